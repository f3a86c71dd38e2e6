"""Hidden suite for part `vgg` (notebook 05): assignment/vgg.py against the reference.

The student's objects live in the sandbox; `probe.<name>` calls run the grader's trusted helpers there
(grader/probe.py) and return plain data. The reference runs here through the same helpers, on the same
random weights (drawn here, at a scale that keeps every activation near 1) and inputs, so both sides are
compared number for number. Configurations are small and drawn at random per test from the run's secret
seed: 1 to 4 blocks of 1 to 3 convolutions, 1 to 6 channels, 1 to 4 input channels, maps of 1x1 to 3x3
after the blocks, batches of 1 and more; blocks alone also see non-square, odd-sized inputs. The
full-size networks (VGG-11 and VGG-16 at 224x224, 133-138 million parameters) are only counted: they are
built on torch's "meta" device, which allocates no memory and draws no weights (for real, about 550 MB, when
the student's code cannot run there), inside one probe call that keeps nothing afterwards.

What is trusted, and what is only observed in the student's process:
- Layouts, parameter counts and state dicts are read through nn.Module's own tables and the layers'
  instance dicts, never the model's overridable methods (probe.py); a layer counts as torch's only when its
  class is exactly torch.nn's. Code that walks the interpreter's frames could change what the probe reports
  (as in every PyTorch suite here); the numeric tests below cannot be forged that way.
- Points for behaviour rest on numbers recomputed here from the reference: logits in eval mode, logits and
  batch-norm statistics in training mode (dropout masks drawn after the same torch.manual_seed on both
  sides), and the weights after a few SGD steps on a fixed stream of batches.
- Clear errors are provided code; they are credited only when the function they guard does its job.
- Each test starts in a clean worker: one whose torch settings or torch functions an earlier test changed
  is restarted first (probe.pristine)."""
import numpy as np
import pytest
import torch

from grader import probe
from grader.sandbox import Handle, StudentError
from grader.suites.checks import assert_close, assert_equal_value, clean_torch_worker, describe, seed_of
from solutions import vgg as ref

F32 = dict(rtol=1e-4, atol=1e-5)
F64 = dict(rtol=1e-7, atol=1e-9)
# Documented parameter counts of torchvision's vgg11, vgg11_bn, vgg16 and vgg16_bn (1000 classes, 224x224).
DOCUMENTED = [("vgg.vgg16", {}, 138_357_544), ("vgg.vgg11", {"batch_norm": True}, 132_868_840),
              ("vgg.vgg11", {}, 132_863_336), ("vgg.VGG", {"arch": ref.VGG16_ARCH, "batch_norm": True}, 138_365_992)]


# ------------------------------------------------------------------------------------ configurations
def random_arch(rng, blocks):
    return tuple((int(rng.integers(1, 4)), int(rng.integers(1, 7))) for _ in range(blocks))


def vgg_config(rng, blocks, side, in_channels, batch_norm, dropout=0.5):
    """VGG keyword arguments: `blocks` random blocks, maps of side x side after them (at least two of them
    when side > 1, so that the order in which a map is flattened matters)."""
    arch = random_arch(rng, blocks)
    if side > 1 and arch[-1][1] == 1:
        arch = arch[:-1] + ((arch[-1][0], int(rng.integers(2, 7))),)
    return {"arch": arch, "num_classes": int(rng.integers(2, 11)), "in_channels": in_channels,
            "image_size": side * 2 ** blocks, "hidden": int(rng.integers(3, 17)), "dropout": dropout,
            "batch_norm": batch_norm}


def configs(rng, dropout=0.5):
    """Four kinds of configuration: colour images and 2x2 maps after 2 blocks (the flatten order matters);
    3 blocks with batch norm; 4 blocks of one-channel images down to 1x1 (2**len(arch), not 2*len(arch));
    one block with batch norm and 3x3 maps, its arch given as a list of lists."""
    found = [vgg_config(rng, 2, 2, 3, False, dropout),
             vgg_config(rng, 3, 1, int(rng.integers(1, 5)), True, dropout),
             vgg_config(rng, 4, 1, 1, bool(rng.integers(2)), dropout),
             vgg_config(rng, 1, 3, int(rng.integers(1, 5)), True, dropout)]
    found[3]["arch"] = [list(entry) for entry in found[3]["arch"]]
    return found


def block_configs(rng):
    """vgg_block arguments (in_channels, out_channels, num_convs, batch_norm): one convolution and several,
    with and without batch norm, one input channel and several; in_channels != out_channels where a block
    has several convolutions (only its first one reads in_channels)."""
    wide, narrow = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    return [(1, int(rng.integers(1, 6)), 1, False), (wide, wide + int(rng.integers(1, 4)), 3, True),
            (narrow, int(rng.integers(1, narrow)), 2, False), (3, int(rng.integers(1, 6)), 1, True)]


def context(kwargs):
    return f"VGG({describe(**kwargs)})"


def block_context(args):
    return "vgg_block({}, {}, {}, batch_norm={})".format(*args)


def images(rng, n, kwargs, dtype=np.float32):
    size = kwargs["image_size"]
    return rng.standard_normal((n, kwargs["in_channels"], size, size)).astype(dtype)


def batch_sizes(rng):
    return (1, int(rng.integers(2, 6)))


# ------------------------------------------------------------------------------------ models
def build(student, target, *args, what=None, **kwargs):
    """The student's `target(*args, **kwargs)`, kept in the sandbox."""
    model = student.call(target, *args, **kwargs)
    if not isinstance(model, Handle):
        pytest.fail(f"{what or target.split('.')[-1]} should build an nn.Module, got {type(model).__name__}")
    return model


def build_vgg(student, kwargs):
    return build(student, "vgg.VGG", what=context(kwargs), **kwargs)


def build_block(student, args):
    return build(student, "vgg.vgg_block", *args, what=block_context(args))


def random_weights(model, rng, dtype=np.float32):
    """Arrays for every entry of the model's state: He-scaled weights (activations stay near 1 through the
    ReLUs), small biases, batch-norm scales, shifts and running statistics away from their defaults."""
    arrays = {}
    for name, module in model.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            shape = tuple(module.weight.shape)
            fan_in = int(np.prod(shape[1:]))
            arrays[prefix + "weight"] = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
            if module.bias is not None:
                arrays[prefix + "bias"] = 0.1 * rng.standard_normal(shape[0])
        elif isinstance(module, torch.nn.BatchNorm2d):
            n = module.num_features
            arrays[prefix + "weight"] = rng.uniform(0.5, 1.5, n)
            arrays[prefix + "bias"] = 0.2 * rng.standard_normal(n)
            arrays[prefix + "running_mean"] = 0.3 * rng.standard_normal(n)
            arrays[prefix + "running_var"] = rng.uniform(0.5, 2.0, n)
            arrays[prefix + "num_batches_tracked"] = np.array(int(rng.integers(1, 100)), dtype=np.int64)
    return {k: v if v.dtype == np.int64 else v.astype(dtype) for k, v in arrays.items()}


def reference_vgg(rng, kwargs, dtype=np.float32):
    """The reference VGG holding random weights, and those weights."""
    model = ref.VGG(**kwargs)
    arrays = random_weights(model, rng, dtype)
    probe.load_state(model, arrays)
    return model, arrays


def reference_block(rng, args, dtype=np.float32):
    model = ref.vgg_block(*args)
    arrays = random_weights(model, rng, dtype)
    probe.load_state(model, arrays)
    return model, arrays


def load_weights(student, model, arrays, what):
    """Copy the reference's weights into the student's model (keys and shapes must match)."""
    try:
        student.call("probe.load_state", model, arrays)
    except StudentError as err:
        pytest.fail(f"the reference's weights do not fit {what}: {err.message} (see the state dict and layout tests)")


@pytest.fixture(autouse=True)
def clean_worker(student):
    clean_torch_worker(student)


# ------------------------------------------------------------------------------------ layouts
def show(row):
    path, kind, settings, _ = row
    return f"`{path or 'the top module'}` ({kind})"


def layout_difference(got, want):
    """What first differs between two layouts (probe.layout rows), or None."""
    for i, w in enumerate(want):
        if i >= len(got):
            return f"{show(w)} is missing"
        g = got[i]
        if g[0] != w[0]:
            paths = [row[0] for row in got]
            if w[0] not in paths:
                return f"{show(w)} is missing (found {show(g)} in its place)"
            return f"{show(g)} comes before {show(w)}, which should come first"
        if g[1] != w[1]:
            return f"`{w[0] or 'the top module'}` is a {g[1]}, expected a {w[1]}"
        wrong = [f"{k} {g[2].get(k, 'missing')!r} (expected {v!r})" for k, v in w[2].items() if g[2].get(k, '?') != v]
        if wrong:
            return f"{show(g)} has {', '.join(wrong)}"
        if g[3] != w[3]:
            return f"{show(g)} holds {g[3]} parameters of its own"
    if len(got) > len(want):
        return f"there is an extra module {show(got[len(want)])}"
    return None


def require_layout(got, want, what):
    problem = layout_difference(got, want)
    if problem:
        pytest.fail(f"{what}: {problem}")


def subtree_counts(rows, depth):
    """{path: parameters of the module and everything below it} for the modules `depth` levels down."""
    counts = {}
    for path, _, _, own in rows:
        parts = path.split(".") if path else []
        if len(parts) >= depth:
            key = ".".join(parts[:depth])
            counts[key] = counts.get(key, 0) + own
    return counts


def count_summary(result):
    """From probe.build_layout: {"blocks": {features.i: count}, "layers": [counts of the classifier's layers
    that hold parameters, in order], "others": [other children holding parameters], "total": count}."""
    below, top = subtree_counts(result["layout"], 2), subtree_counts(result["layout"], 1)
    return {"blocks": {k: v for k, v in below.items() if k.startswith("features.")},
            "layers": [v for k, v in below.items() if k.startswith("classifier.") and v],
            "others": sorted(k for k, v in top.items() if k not in ("features", "classifier") and v),
            "total": result["total"]}


def require_counts(got, want, what):
    """Per-block and per-layer counts and the total, from probe.build_layout on both sides."""
    mine, expected = count_summary(got), count_summary(want)
    for path, count in expected["blocks"].items():
        assert_equal_value(mine["blocks"].get(path, 0), count, f"parameters of {path}", context=what)
    if len(mine["blocks"]) != len(expected["blocks"]):
        pytest.fail(f"{what}: features holds {len(mine['blocks'])} modules, expected one block per arch entry")
    if mine["others"]:
        pytest.fail(f"{what}: parameters outside features and classifier, in {mine['others']}")
    if len(mine["layers"]) != len(expected["layers"]):
        pytest.fail(f"{what}: the classifier has {len(mine['layers'])} layers with parameters, expected "
                    f"{len(expected['layers'])}")
    for i, (count, expected_count) in enumerate(zip(mine["layers"], expected["layers"])):
        assert_equal_value(count, expected_count, f"parameters of the classifier's Linear layer {i + 1}", context=what)
    assert_equal_value(mine["total"], expected["total"], "total parameters", context=what)


# ------------------------------------------------------------------------------------ section 2
@pytest.mark.points(2)
def test_stacked_conv_params(student, rng):
    """stacked_conv_params counts the weights of stacked CxC convolutions (27 C^2 for three 3x3, 49 C^2 for one 7x7)"""
    channels = int(rng.integers(2, 513))
    cases = [(channels, 3, 3), (channels, 7, 1), (channels, 3, 2), (channels, 5, 1), (1, 1, 1)]
    cases += [(int(rng.integers(1, 700)), int(rng.integers(1, 12)), int(rng.integers(1, 7))) for _ in range(20)]
    for c, k, n in cases:
        assert_equal_value(student.call("vgg.stacked_conv_params", c, k, n), ref.stacked_conv_params(c, k, n),
                           "stacked_conv_params", context=f"{n} layer(s) of {k}x{k}")


@pytest.mark.points(3)
def test_vgg_block_layout(student, rng):
    """vgg_block: [3x3 conv stride 1 pad 1 with bias, (BatchNorm2d,) ReLU] * num_convs, then 2x2 max pool stride 2"""
    for args in block_configs(rng):
        got = student.call("probe.layout", build_block(student, args))
        require_layout(got, probe.layout(ref.vgg_block(*args)), block_context(args))


@pytest.mark.points(3)
def test_vgg_block_matches_reference(student, rng):
    """with the reference's weights, a block's output equals the reference's (non-square and odd inputs; eval and training mode)"""
    for args in block_configs(rng):
        expected, arrays = reference_block(rng, args)
        model = build_block(student, args)
        load_weights(student, model, arrays, block_context(args))
        for n in (1, int(rng.integers(2, 5))):
            x = rng.standard_normal((n, args[0], int(rng.integers(2, 10)), int(rng.integers(2, 10)))).astype(np.float32)
            where = f"{block_context(args)}, {describe(x=x)}"
            assert_close(student.call("probe.forward", model, x), probe.forward(expected, x), "block output (eval)",
                         context=where, **F32)
            if n > 1:
                got, want = student.call("probe.forward_train", model, x), probe.forward_train(expected, x)
                assert_close(got["logits"], want["logits"], "block output (training mode)", context=where, **F32)
                for key, value in want["state"].items():
                    assert_close(np.asarray(got["state"].get(key)), value, f"{key} after a training-mode forward",
                                 context=where, **F32)


# ------------------------------------------------------------------------------------ section 3: structure
@pytest.mark.points(3)
def test_vgg_layout(student, rng):
    """VGG has the children features (one vgg_block per arch entry) and classifier (Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear)"""
    for kwargs in configs(rng, dropout=round(float(rng.uniform(0.1, 0.9)), 2)):
        got = student.call("probe.layout", build_vgg(student, kwargs))
        want = probe.layout(ref.VGG(**kwargs))
        names = [row[0] for row in got if row[0] and "." not in row[0]]
        if names != ["features", "classifier"]:
            pytest.fail(f"VGG's children are {names}; expected ['features', 'classifier'] (for {context(kwargs)})")
        require_layout(got[1:], want[1:], context(kwargs))


@pytest.mark.points(1)
def test_state_dict_layout(student, rng):
    """the state dict has the keys features.<block>.<layer>.* and classifier.<layer>.* with the reference's shapes"""
    for kwargs in configs(rng):
        got = student.call("probe.state", build_vgg(student, kwargs))
        want = probe.state(ref.VGG(**kwargs))
        if sorted(got) != sorted(want):
            missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
            pytest.fail(f"state dict keys: missing {missing}, unexpected {extra} (for {context(kwargs)})")
        for key, value in want.items():
            if got[key].shape != value.shape:
                pytest.fail(f"{key} has shape {got[key].shape}, expected {value.shape} (for {context(kwargs)})")


@pytest.mark.points(3)
def test_parameter_counts(student, rng):
    """the parameters of every block and every classifier layer, for random archs, image sizes, hidden sizes and class counts"""
    cases = configs(rng)
    extra = vgg_config(rng, 2, 1, 3, False)
    extra.update(hidden=int(rng.integers(20, 200)), num_classes=int(rng.integers(50, 300)))
    for kwargs in cases + [extra]:
        got = student.call("probe.build_layout", "vgg.VGG", kwargs)
        require_counts(got, probe.build_layout(ref.VGG, kwargs), context(kwargs))


@pytest.mark.points(3)
def test_shapes_after_each_block(student, rng):
    """the output shape of every block and every classifier layer, for several configurations and batch sizes (1 included)"""
    for kwargs in configs(rng):
        model, expected = build_vgg(student, kwargs), ref.VGG(**kwargs)
        for n in batch_sizes(rng):
            x = images(rng, n, kwargs)
            got, want = student.call("probe.child_shapes", model, x), probe.child_shapes(expected, x)
            if isinstance(got, dict):
                pytest.fail(f"VGG has no child module {' or '.join(got['missing'])} (for {context(kwargs)})")
            if got != want:
                pytest.fail(f"shapes after each layer {[tuple(s) for _, s in got]} ({[p for p, _ in got]}), expected "
                            f"{[tuple(s) for _, s in want]} (for {context(kwargs)}, a batch of {n})")


# ------------------------------------------------------------------------------------ section 3: numbers
@pytest.mark.points(4)
def test_forward_matches_reference(student, rng):
    """with the reference's weights copied in, the logits equal the reference's in eval mode, and the input is left unchanged"""
    for kwargs in configs(rng):
        expected, arrays = reference_vgg(rng, kwargs)
        model = build_vgg(student, kwargs)
        load_weights(student, model, arrays, context(kwargs))
        for n in batch_sizes(rng):
            x = images(rng, n, kwargs)
            got = student.call("probe.forward_keeps_input", model, x.copy())
            where = f"{context(kwargs)}, a batch of {n}"
            assert_close(got["logits"], probe.forward(expected, x), "logits", context=where, **F32)
            if not np.array_equal(got["input"], x):
                pytest.fail(f"forward changed its input in place (for {where}): an in-place operation "
                            "(ReLU(inplace=True) or a method ending in _) reaches the caller's tensor")


@pytest.mark.points(2)
def test_batch_norm_training_mode_matches_reference(student, rng):
    """with batch norm and dropout 0, training-mode logits and the updated running statistics equal the reference's"""
    for kwargs in configs(rng, dropout=0.0):
        kwargs["batch_norm"] = True
        expected, arrays = reference_vgg(rng, kwargs)
        model = build_vgg(student, kwargs)
        load_weights(student, model, arrays, context(kwargs))
        x = images(rng, int(rng.integers(2, 6)), kwargs)
        got, want = student.call("probe.forward_train", model, x), probe.forward_train(expected, x)
        where = f"{context(kwargs)}, training mode"
        assert_close(got["logits"], want["logits"], "logits", context=where, **F32)
        for key, value in want["state"].items():
            if key not in got["state"]:
                pytest.fail(f"{key} is missing from the state (for {where})")
            assert_close(np.asarray(got["state"][key]), value, key, context=where, **F32)


def dropout_case(rng, kwargs):
    """The reference with random weights, a batch and a seed under which its training-mode logits differ from
    its eval-mode ones (drawn again while every hidden unit is dead, which would hide dropout)."""
    for _ in range(50):
        expected, arrays = reference_vgg(rng, kwargs)
        x, seed = images(rng, int(rng.integers(2, 6)), kwargs), seed_of(rng)
        trained, evaluated = probe.forward_train(expected, x, seed)["logits"], probe.forward(expected, x)
        if not np.allclose(trained, evaluated, **F32):
            break
    return arrays, x, seed, trained, evaluated


@pytest.mark.points(2)
def test_dropout_in_training_mode_only(student, rng):
    """dropout with the given probability acts in training mode (the reference's masks under the same seed) and not in eval mode"""
    for kwargs in configs(rng, dropout=round(float(rng.uniform(0.2, 0.8)), 2)):
        arrays, x, seed, trained, evaluated = dropout_case(rng, kwargs)
        model = build_vgg(student, kwargs)
        load_weights(student, model, arrays, context(kwargs))
        where = f"{context(kwargs)}, training mode with torch.manual_seed set"
        assert_close(student.call("probe.forward_train", model, x, seed)["logits"], trained, "logits", context=where,
                     **F32)
        assert_close(student.call("probe.forward", model, x), evaluated, "logits in eval mode",
                     context=f"{context(kwargs)}, after training mode", **F32)


def stream(rng, kwargs, sizes):
    return [(images(rng, b, kwargs, np.float64), rng.integers(0, kwargs["num_classes"], size=b).astype(np.int64))
            for b in sizes]


@pytest.mark.points(4)
def test_training_steps_match_reference(student, rng):
    """a few SGD steps (momentum, float64) on a fixed stream of batches leave the reference's weights and statistics"""
    cases = configs(rng, dropout=round(float(rng.uniform(0.2, 0.6)), 2))
    cases[1]["dropout"] = 0.0
    for kwargs in cases:
        expected, arrays = reference_vgg(rng, kwargs, np.float64)
        batches = stream(rng, kwargs, [4, 2, int(rng.integers(2, 6))])
        seeds = [seed_of(rng) for _ in batches]
        model = build_vgg(student, kwargs)
        load_weights(student, model, arrays, context(kwargs))
        where = f"{context(kwargs)}, 3 SGD steps"
        got = student.call("probe.train_steps", model, arrays, batches, seeds)
        want = probe.train_steps(expected, arrays, batches, seeds)
        assert_close(np.asarray(got["losses"]), np.asarray(want["losses"]), "losses", context=where, **F64)
        for key, value in want["state"].items():
            if key not in got["state"]:
                pytest.fail(f"{key} is missing from the state (for {where})")
            assert_close(np.asarray(got["state"][key]), value, f"{key} after the steps", context=where, **F64)


# ------------------------------------------------------------------------------------ full-size networks
@pytest.mark.points(3)
def test_documented_parameter_counts(student, rng):
    """VGG-16 has 138,357,544 parameters, VGG-11 132,863,336 (with batch norm 138,365,992 and 132,868,840), block by block"""
    cases = DOCUMENTED + [("vgg.vgg16", {"num_classes": int(rng.integers(2, 1000))}, None),
                          ("vgg.vgg11", {"num_classes": int(rng.integers(2, 1000))}, None)]
    for target, kwargs, documented in cases:
        what = f"{target.split('.')[-1]}({describe(**kwargs)})"
        try:
            got = student.call("probe.build_layout", target, kwargs, "meta")
        except StudentError:
            got = student.call("probe.build_layout", target, kwargs)  # code that cannot run on "meta": built for real
        want = probe.build_layout(getattr(ref, target.split(".")[-1]), kwargs, "meta")
        assert documented is None or want["total"] == documented
        require_counts(got, want, what)


# ------------------------------------------------------------------------------------ errors
def not_checked_unless(check, *args, what):
    """Errors are credited only to a function that also does its job; returns what `check` returned."""
    try:
        return check(*args)
    except pytest.fail.Exception as exc:
        pytest.fail(f"not checked while {what}: {exc}")


def require_working_vgg(student, rng, kwargs):
    expected, arrays = reference_vgg(rng, kwargs)
    model = build_vgg(student, kwargs)
    load_weights(student, model, arrays, context(kwargs))
    x = images(rng, 2, kwargs)
    assert_close(student.call("probe.forward", model, x), probe.forward(expected, x), "logits", context=context(kwargs),
                 **F32)
    return model


def require_raises(student, exc_type, target, *args, why, **kwargs):
    try:
        result = student.call(target, *args, **kwargs)
    except StudentError as err:
        if err.type_name != exc_type.__name__:
            pytest.fail(f"{target.split('.')[-1]} raised {err.type_name}, expected {exc_type.__name__} (for {why})")
        return
    kind = "a model" if isinstance(result, Handle) else type(result).__name__
    pytest.fail(f"{target.split('.')[-1]} returned {kind} instead of raising {exc_type.__name__} (for {why})")


@pytest.mark.points(2)
def test_bad_arguments_are_refused(student, rng):
    """VGG, its forward, vgg_block and stacked_conv_params raise clear errors for impossible arguments"""
    kwargs = vgg_config(rng, 2, 1, 3, True)
    model = not_checked_unless(require_working_vgg, student, rng, kwargs, what="VGG does not match the reference")
    args = block_configs(rng)[1]
    not_checked_unless(lambda: require_layout(student.call("probe.layout", build_block(student, args)),
                                              probe.layout(ref.vgg_block(*args)), block_context(args)),
                       what="vgg_block's layout is wrong")
    not_checked_unless(lambda: assert_equal_value(student.call("vgg.stacked_conv_params", 8, 3, 3),
                                                  ref.stacked_conv_params(8, 3, 3), "stacked_conv_params"),
                       what="stacked_conv_params is wrong")
    good = dict(arch=((1, 4), (2, 5)), num_classes=3, in_channels=2, image_size=8, hidden=6)
    bad = {"image_size not a multiple of 2**len(arch)": dict(good, image_size=10),
           "image_size smaller than 2**len(arch)": dict(good, image_size=2),
           "an empty arch": dict(good, arch=()),
           "an arch entry that is not a pair": dict(good, arch=((1, 4), (5,))),
           "an arch entry with 0 convolutions": dict(good, arch=((0, 4), (2, 5))),
           "an arch entry with 0 channels": dict(good, arch=((1, 4), (2, 0))),
           "num_classes 0": dict(good, num_classes=0), "hidden 0": dict(good, hidden=0),
           "in_channels -1": dict(good, in_channels=-1),
           "dropout 1.0": dict(good, dropout=1.0), "dropout -0.1": dict(good, dropout=-0.1)}
    for why, arguments in bad.items():
        require_raises(student, ValueError, "vgg.VGG", why=why, **arguments)
    size, channels = kwargs["image_size"], kwargs["in_channels"]
    wrong_inputs = {"an input with the wrong number of channels": (2, channels + 1, size, size),
                    "an input of another size": (2, channels, 2 * size, 2 * size),
                    "a 3-D input": (channels, size, size)}
    for why, shape in wrong_inputs.items():
        require_raises(student, ValueError, "probe.forward", model, np.zeros(shape, np.float32), why=why)
    require_raises(student, TypeError, "probe.call_with_array", model, images(rng, 2, kwargs), why="a numpy array")
    for why, arguments in {"num_convs 0": (3, 4, 0), "in_channels 0": (0, 4, 1), "out_channels 2.0": (3, 2.0, 1),
                           "batch_norm 'yes'": (3, 4, 1, "yes")}.items():
        require_raises(student, ValueError, "vgg.vgg_block", *arguments, why=why)
    for why, arguments in {"channels 0": (0, 3, 3), "kernel_size 3.0": (4, 3.0, 2), "num_layers -1": (4, 3, -1),
                           "num_layers True": (4, 3, True)}.items():
        require_raises(student, ValueError, "vgg.stacked_conv_params", *arguments, why=why)
