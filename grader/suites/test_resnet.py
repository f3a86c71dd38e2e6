"""Hidden suite for part `resnet` (notebook 07): assignment/resnet.py against the reference and torch.

The student's objects live in the sandbox; `probe.<name>` calls run the grader's trusted helpers there
(grader/probe.py) and return plain arrays. The expected numbers are computed here, by the reference
(solutions/resnet.py) or by torch.nn.BatchNorm2d, on the same random weights and inputs, and compared here.

What is trusted, and what is only observed in the student's process:
- Models are read through nn.Module's own tables (probe.py), never the model's overridable methods, and
  the reference's weights (batch-norm statistics drawn away from their defaults) are copied in through them.
- Points rest on numbers compared here: outputs in eval and training mode, states after training-mode
  passes (running statistics, num_batches_tracked), gradients, the state after SGD steps, layouts
  (state-dict keys, shapes, dtypes; module classes) and counts.
- Layouts and counts are credited only to models whose forward pass also matches (a table of the right
  shapes is not a network), and the error test only to a module whose BatchNorm2d and CifarResNet work.
- One observation is made in the student's process: whether the student's BatchNorm2d runs torch's own
  normalisation kernels (F.batch_norm, nn.BatchNorm2d, aten::native_batch_norm, ...), read from torch's
  profiler (this thread's operations) and from the output's autograd graph (which shows a kernel run on
  another thread; an output cut off from x is refused). A kernel run on another thread behind a custom
  autograd function, or code that walks the interpreter's frames, could hide it.
- Each test starts in a clean worker: one whose torch settings or functions an earlier test changed is
  restarted first (probe.pristine), so a bug costs points only in the test about it.
- The blocks and networks normalise with torch's nn.BatchNorm2d, so a bug in the student's BatchNorm2d
  costs points only in the BatchNorm2d tests."""
import re

import numpy as np
import pytest
import torch
from torch import nn

from grader import probe
from grader.sandbox import Handle, SandboxFailure, StudentError
from grader.suites.checks import assert_close, assert_equal_value, clean_torch_worker, seed_of
from solutions import resnet as ref

F32 = dict(rtol=1e-4, atol=1e-5)
F64 = dict(rtol=1e-8, atol=1e-10)
TORCH_NORM = re.compile(r"batch_?norm|instance_?norm|group_?norm|layer_?norm", re.IGNORECASE)
REFERENCE = {"BatchNorm2d": ref.BatchNorm2d, "BasicBlock": ref.BasicBlock, "Bottleneck": ref.Bottleneck,
             "PlainBlock": ref.PlainBlock, "ZeroPadShortcut": ref.ZeroPadShortcut, "ResNet": ref.ResNet,
             "CifarResNet": ref.CifarResNet, "resnet18": ref.resnet18, "resnet34": ref.resnet34,
             "resnet50": ref.resnet50, "resnet152": ref.resnet152, "resnet_depth": ref.resnet_depth}
DOCUMENTED = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032, "resnet152": 60_192_808}


@pytest.fixture(autouse=True)
def clean_worker(student):
    clean_torch_worker(student)


# ------------------------------------------------------------------------------------------ building
def words(name, args=(), kwargs=None, block=None):
    """How a case is named in messages: 'ResNet(Bottleneck, [1, 1, 1, 1], num_classes=7)'."""
    parts = ([block] if block else []) + [repr(a) for a in args] + [f"{k}={v!r}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


def build(student, name, *args, block=None, **kwargs):
    """The student's `name(*args, **kwargs)`, kept in the sandbox (float64=True and norm="instance" are the
    probe's options: the model turned to float64, torch's InstanceNorm2d as norm_layer)."""
    model = student.call("probe.construct", f"resnet.{name}", *args,
                         block=f"resnet.{block}" if block else None, **kwargs)
    if not isinstance(model, Handle):
        pytest.fail(f"{words(name, args, plain(kwargs), block)} should build an nn.Module, got {type(model).__name__}")
    return model


def reference(rng, name, *args, block=None, randomise=True, **kwargs):
    """The reference's `name(*args, **kwargs)` with seeded weights and, unless randomise is False, batch-norm
    weights and statistics drawn away from their defaults."""
    torch.manual_seed(seed_of(rng))
    model = probe.construct(REFERENCE[name], *args, block=REFERENCE[block] if block else None, **kwargs)
    if randomise:
        randomise_norms(model, rng)
    return model


def plain(kwargs):
    """The constructor's own keyword arguments (without the probe's options)."""
    return {k: v for k, v in kwargs.items() if k not in ("float64", "norm")}


def randomise_norms(model, rng):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c, dtype = module.num_features, module.running_mean.dtype
                module.running_mean.copy_(torch.from_numpy(rng.normal(0, 0.3, c)).to(dtype))
                module.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, c)).to(dtype))
                module.num_batches_tracked.fill_(int(rng.integers(0, 100)))
                if module.affine:
                    module.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, c)).to(dtype))
                    module.bias.copy_(torch.from_numpy(rng.normal(0, 0.3, c)).to(dtype))


def layout_difference(got, want):
    """What differs between two state layouts ({key: [shape, dtype]}), in a few words; "" when nothing."""
    missing, extra = [k for k in want if k not in got], [k for k in got if k not in want]
    notes = []
    if missing:
        notes.append(f"missing {short_list(missing)}")
    if extra:
        notes.append(f"unexpected {short_list(extra)}")
    for key, (shape, dtype) in want.items():
        if key in got and list(got[key][0]) != list(shape):
            notes.append(f"{key} has shape {tuple(got[key][0])}, expected {tuple(shape)}")
        elif key in got and got[key][1] != dtype:
            notes.append(f"{key} is {got[key][1]}, expected {dtype}")
        if len(notes) >= 4:
            break
    return "; ".join(notes)


def short_list(items, most=4):
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def kinds_difference(got, want):
    """The first module (path and class) that differs between two module listings; "" when none."""
    for i, (path, kind) in enumerate(want):
        if i >= len(got):
            return f"{path} ({kind}) is missing"
        if list(got[i]) != [path, kind]:
            where = f"{got[i][0]} ({got[i][1]})"
            return f"expected {path} ({kind}) at position {i + 1}, found {where}"
    if len(got) > len(want):
        return f"unexpected {got[len(want)][0]} ({got[len(want)][1]})"
    return ""


def load_reference(student, model, expected, where):
    """Copy the reference's weights and statistics into the student's model (keys and shapes must match)."""
    difference = layout_difference(student.call("probe.state_layout", model), probe.state_layout(expected))
    if difference:
        pytest.fail(f"the reference's weights do not fit {where}: {difference} (see the layout tests)")
    student.call("probe.load_state", model, probe.state(expected))


def images(rng, n, channels, h, w, dtype=np.float64, scale=1.0, shift=0.0):
    return (rng.standard_normal((n, channels, h, w)) * scale + shift).astype(dtype)


def labels(rng, n, classes):
    return rng.integers(0, classes, size=n).astype(np.int64)


def tolerance(dtype):
    return F64 if np.dtype(dtype) == np.float64 else F32


def compare_states(got, want, what, where, **tol):
    for key, value in want.items():
        if key not in got:
            pytest.fail(f"{what}: {key} is missing (for {where})")
        if value.dtype.kind in "iu":  # num_batches_tracked: an exact count
            mine = np.asarray(got[key])
            mine = int(mine.reshape(-1)[0]) if mine.size == 1 and mine.dtype.kind in "iu" else mine.tolist()
            assert_equal_value(mine, int(value.reshape(-1)[0]), f"{what}: {key}", context=where)
        else:
            assert_close(np.asarray(got[key]), value, f"{what}: {key}", context=where, **tol)


_VERDICTS = {}


def verdict(name, check, *args):
    """Run `check(*args)` once per suite run and keep how it ended (None when it passed, else the exception):
    the test that scores the check and the tests it guards share one run of it."""
    if name not in _VERDICTS:
        try:
            check(*args)
            _VERDICTS[name] = None
        except (pytest.fail.Exception, StudentError, SandboxFailure) as exc:
            _VERDICTS[name] = exc
    return _VERDICTS[name]


def scored(name, check, *args):
    """The test about `check`: it fails as the check failed."""
    error = verdict(name, check, *args)
    if error is not None:
        raise error


def guarded_by(name, check, *args, what):
    """Credit a test only to a module that also passes `check` (layouts, counts and errors are not a network)."""
    error = verdict(name, check, *args)
    if error is None:
        return
    if isinstance(error, StudentError):
        reason = (f"not implemented yet ({error.message})" if error.type_name == "NotImplementedError"
                  else f"your code raised {error.type_name}: {error.message}")
    else:
        reason = str(error)
    pytest.fail(f"not checked while {what}: {reason}")


# ------------------------------------------------------------------------------------ BatchNorm2d
def torch_bn(rng, channels, float64, randomise=True, **kwargs):
    bn = nn.BatchNorm2d(channels, **kwargs)
    if float64:
        bn = bn.double()
    if randomise:
        randomise_norms(bn, rng)
    return bn


def bn_words(channels, kwargs, float64):
    """'BatchNorm2d(C, eps=<drawn>, affine=False), float64': the kind of case, not its values."""
    args = ["C"] + [f"{k}={v}" if k == "affine" else f"{k}=<drawn>" for k, v in kwargs.items()]
    return f"BatchNorm2d({', '.join(args)}), {'float64' if float64 else 'float32'}"


def run_bn(student, rng, stream, channels, float64=True, training=True, backward=False, **kwargs):
    """The student's BatchNorm2d(channels, **kwargs) and torch's, holding the same (randomised) state, run on
    `stream` (see probe.norm_steps): (got, want, where). Fails when torch's own kernels did the work."""
    where = bn_words(channels, kwargs, float64)
    expected = torch_bn(rng, channels, float64, **kwargs)
    model = build(student, "BatchNorm2d", channels, float64=float64, **kwargs)
    load_reference(student, model, expected, where)
    got = student.call("probe.norm_steps", model, stream, training=training, backward=backward)
    require_own_normalisation(got)
    return got, probe.norm_steps(expected, stream, training=training, backward=backward), where


def require_own_normalisation(got):
    if got["detached"]:
        pytest.fail("your BatchNorm2d's output is not connected to x by autograd (computed under torch.no_grad, "
                    "detached, or from a copy): gradients could not flow back through it")
    used = [name for name in list(got["ops"]) + list(got["graph"]) if TORCH_NORM.search(str(name))]
    if used:
        pytest.fail(f"your BatchNorm2d runs torch's own normalisation ({short_list(sorted(set(used)), 3)}): write it "
                    "with tensor operations (mean, var, sqrt, ...), not F.batch_norm or nn.BatchNorm2d")


def shape_words(x):
    n, c, h, w = x.shape
    return f"a batch of {'1' if n == 1 else 'N > 1'}, {'1x1 maps' if h * w == 1 else 'H != W' if h != w else 'H == W'}"


def compare_outputs(got, want, what, where, dtype, stream):
    for i, (g, w) in enumerate(zip(got, want)):
        x = stream[i][0] if isinstance(stream[i], tuple) else stream[i]
        assert_close(g, w, what, context=f"{where}, {shape_words(x)}", **tolerance(dtype))


def bn_training_cases(rng):
    """(stream, channels, float64, kwargs): float64 with eps large enough to matter, float32 with the default
    eps, a batch of one image with H*W > 1, and N > 1 images of one pixel."""
    c = int(rng.integers(1, 7))
    h, w = int(rng.integers(2, 6)), int(rng.integers(6, 9))
    eps, momentum = float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.05, 0.9))
    return [
        ([images(rng, int(rng.integers(2, 5)), c, h, w, scale=0.2, shift=1.5)], c, True,
         {"eps": eps, "momentum": momentum}),
        ([images(rng, int(rng.integers(2, 5)), c, w, h, np.float32)], c, False, {}),
        ([images(rng, 1, c, h, w, scale=0.3)], c, True, {"eps": eps}),
        ([images(rng, int(rng.integers(2, 6)), c, 1, 1)], c, True, {"momentum": momentum}),
    ]


def check_bn_training_forward(student, rng):
    for stream, c, float64, kwargs in bn_training_cases(rng):
        got, want, where = run_bn(student, rng, stream, c, float64, **kwargs)
        compare_outputs(got["outputs"], want["outputs"], "BatchNorm2d's output in training mode", where,
                        np.float64 if float64 else np.float32, stream)


@pytest.mark.points(3)
def test_batchnorm_training_forward(student, rng):
    """BatchNorm2d in training mode normalises with the batch's statistics over (N, H, W), as torch's does"""
    scored("bn", check_bn_training_forward, student, rng)


@pytest.mark.points(3)
def test_batchnorm_running_statistics(student, rng):
    """running_mean, running_var (unbiased) and num_batches_tracked after several training steps, as torch's"""
    c = int(rng.integers(1, 7))
    stream = [images(rng, int(rng.integers(2, 5)), c, int(rng.integers(2, 5)), int(rng.integers(5, 8)), shift=0.5),
              images(rng, 1, c, 2, 3, scale=2.0), images(rng, int(rng.integers(2, 6)), c, 1, 1, scale=0.5),
              images(rng, int(rng.integers(2, 4)), c, 3, 2)]
    for kwargs in ({"momentum": float(rng.uniform(0.05, 0.95))}, {}):
        got, want, where = run_bn(student, rng, stream, c, **kwargs)
        where += f", {len(stream)} training steps of different sizes"
        compare_states(got["state"], want["state"], "state after the steps", where, **F64)


@pytest.mark.points(2)
def test_batchnorm_eval_mode(student, rng):
    """in eval mode BatchNorm2d normalises with its running statistics and changes nothing"""
    c = int(rng.integers(1, 7))
    eps = float(rng.uniform(0.01, 0.3))
    stream = [images(rng, int(rng.integers(2, 5)), c, 3, 5), images(rng, 1, c, 1, 1)]
    for float64, kwargs in ((True, {"eps": eps}), (False, {})):
        if not float64:
            stream = [x.astype(np.float32) for x in stream]
        got, want, where = run_bn(student, rng, stream, c, float64, training=False, **kwargs)
        where += ", eval mode"
        compare_outputs(got["outputs"], want["outputs"], "BatchNorm2d's output in eval mode", where,
                        np.float64 if float64 else np.float32, stream)
        compare_states(got["state"], want["state"], "state after eval-mode passes (nothing should change)",
                       where, rtol=0, atol=0)


@pytest.mark.points(1)
def test_batchnorm_affine_off(student, rng):
    """BatchNorm2d(affine=False) has no weight or bias and normalises like torch's in both modes"""
    c = int(rng.integers(1, 7))
    stream = [images(rng, int(rng.integers(2, 5)), c, 4, 3, scale=0.5, shift=-1.0), images(rng, 1, c, 2, 5)]
    for training in (True, False):
        got, want, where = run_bn(student, rng, stream, c, training=training, affine=False,
                                  momentum=float(rng.uniform(0.05, 0.9)))
        mode = "training" if training else "eval"
        compare_outputs(got["outputs"], want["outputs"], f"BatchNorm2d's output in {mode} mode", where,
                        np.float64, stream)
        compare_states(got["state"], want["state"], f"state after {mode}-mode passes", where, **F64)


@pytest.mark.points(2)
def test_batchnorm_gradients(student, rng):
    """in training mode the gradients with respect to x, weight and bias equal those through torch's BatchNorm2d"""
    c = int(rng.integers(1, 7))
    for affine in (True, False):
        x = images(rng, int(rng.integers(2, 4)), c, 3, 4, shift=0.7)
        stream = [(x, rng.standard_normal(x.shape)), (images(rng, 1, c, 2, 3), rng.standard_normal((1, c, 2, 3)))]
        got, want, where = run_bn(student, rng, stream, c, backward=True, affine=affine,
                                  eps=float(rng.uniform(1e-3, 0.3)))
        for i, (x, _) in enumerate(stream):
            case = f"{where}, {shape_words(x)}"
            if sorted(got["grads"][i]) != sorted(want["grads"][i]):
                pytest.fail(f"BatchNorm2d's parameters are {sorted(got['grads'][i])}, expected "
                            f"{sorted(want['grads'][i])} (for {case}): the running statistics are buffers "
                            "(register_buffer), not parameters")
            if got["dx"][i] is None:
                pytest.fail(f"no gradient reaches x (for {case}): is the output detached from x?")
            assert_close(got["dx"][i], want["dx"][i], "gradient with respect to x", context=case, **F64)
            for name, grad in want["grads"][i].items():
                mine = got["grads"][i].get(name)
                if mine is None:
                    pytest.fail(f"{name} gets no gradient (for {case})")
                assert_close(mine, grad, f"gradient with respect to {name}", context=case, **F64)


@pytest.mark.points(1)
def test_batchnorm_state_dict(student, rng):
    """BatchNorm2d's state dict has torch's keys, shapes, dtypes and initial values (affine on and off)"""
    guarded_by("bn", check_bn_training_forward, student, rng, what="the training-mode output is wrong")
    c = int(rng.integers(1, 9))
    for affine in (True, False):
        where = f"BatchNorm2d(C, affine={affine})"
        model = build(student, "BatchNorm2d", c, affine=affine)
        got = student.call("probe.state", model)
        want = probe.state(nn.BatchNorm2d(c, affine=affine))
        if sorted(got) != sorted(want):
            pytest.fail(f"state dict keys {sorted(got)}, expected {sorted(want)} (for {where})")
        for key, value in want.items():
            if got[key].shape != value.shape or got[key].dtype != value.dtype:
                pytest.fail(f"{key} has shape {got[key].shape} and dtype {got[key].dtype}, expected {value.shape} "
                            f"and {value.dtype} (for {where}; num_batches_tracked is a 0-d int64 tensor)")
            if not np.array_equal(got[key], value):
                pytest.fail(f"{key} does not start as torch's does (for {where}): weight ones, bias zeros, "
                            "running_mean zeros, running_var ones, num_batches_tracked 0")
        assert_equal_value(student.call("probe.parameter_count", model), 2 * c if affine else 0,
                           "number of parameters (weight and bias; the running statistics are buffers)", context=where)


# ------------------------------------------------------------------------------------------ blocks
def block_cases(rng, name):
    """(in_channels, width, stride, what) for a block: shape kept, channels changed, stride 2, both."""
    c = int(rng.integers(2, 6))
    if name == "Bottleneck":
        mid = int(rng.integers(1, 4))
        other = 4 * mid + int(rng.integers(1, 4))
        return [(4 * mid, mid, 1, "in_channels == 4 * mid_channels, stride 1"),
                (other, mid, 1, "in_channels != 4 * mid_channels, stride 1"),
                (4 * mid, mid, 2, "in_channels == 4 * mid_channels, stride 2"),
                (other, mid, 2, "in_channels != 4 * mid_channels, stride 2")]
    wider = c + int(rng.integers(1, 4))
    return [(c, c, 1, "in_channels == out_channels, stride 1"), (c, wider, 1, "in_channels != out_channels, stride 1"),
            (c, c, 2, "in_channels == out_channels, stride 2"), (c, wider, 2, "in_channels != out_channels, stride 2")]


def block_input(rng, channels, n=None):
    return images(rng, n or int(rng.integers(2, 4)), channels, int(rng.integers(5, 8)), int(rng.integers(8, 11)))


def compare_block(student, rng, name, in_channels, width, stride, what, **kwargs):
    """The student's block against the reference's, same weights, in eval and training mode (float64)."""
    where = f"{name}, {what}" + "".join(f", {k}={v!r}" for k, v in kwargs.items())
    expected = reference(rng, name, in_channels, width, stride, float64=True, **kwargs)
    model = build(student, name, in_channels, width, stride, float64=True, **kwargs)
    load_reference(student, model, expected, where)
    x = block_input(rng, in_channels)
    got = student.call("probe.forward_both", model, x)
    want = probe.forward_both(expected, x)
    assert_close(got["eval"], want["eval"], "output in eval mode", context=where, **F64)
    assert_close(got["train"], want["train"], "output in training mode", context=where, **F64)
    compare_states(got["state"], want["state"], "state after a training-mode pass", where, **F64)


def check_block_forward(student, rng, name):
    for in_channels, width, stride, what in block_cases(rng, name):
        compare_block(student, rng, name, in_channels, width, stride, what)


@pytest.mark.points(3)
def test_basic_block_forward(student, rng):
    """BasicBlock computes ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)) for kept and changed shapes"""
    scored("BasicBlock", check_block_forward, student, rng, "BasicBlock")


@pytest.mark.points(3)
def test_bottleneck_forward(student, rng):
    """Bottleneck computes 1x1 - 3x3 (with the stride) - 1x1 (4x wider) plus the shortcut, then ReLU"""
    scored("Bottleneck", check_block_forward, student, rng, "Bottleneck")


@pytest.mark.points(2)
def test_plain_block_forward(student, rng):
    """PlainBlock computes ReLU(bn2(conv2(ReLU(bn1(conv1(x)))))) for kept and changed shapes"""
    scored("PlainBlock", check_block_forward, student, rng, "PlainBlock")


SHORTCUT_HINTS = {
    "BasicBlock": "the shortcut is x itself when the shape is kept, and bn(conv1x1 with the stride) otherwise",
    "Bottleneck": "the shortcut is x itself when in_channels == 4 * mid_channels and stride is 1, and "
                  "bn(conv1x1 to 4 * mid_channels with the stride) otherwise",
}


def last_norm(name):
    return "bn3" if name == "Bottleneck" else "bn2"


def silenced(expected, name):
    """The reference's state with the last BN's weight and bias set to zero: the residual branch F(x) is 0."""
    arrays = probe.state(expected)
    for key in (f"{last_norm(name)}.weight", f"{last_norm(name)}.bias"):
        arrays[key] = np.zeros_like(arrays[key])
    return arrays


@pytest.mark.points(2)
def test_shortcut_alone(student, rng):
    """with the residual branch silenced (last BN's weight and bias zero) a block outputs ReLU(shortcut(x))"""
    for name in ("BasicBlock", "Bottleneck"):
        for in_channels, width, stride, what in block_cases(rng, name):
            where = f"{name}, {what}"
            expected = reference(rng, name, in_channels, width, stride, float64=True)
            model = build(student, name, in_channels, width, stride, float64=True)
            load_reference(student, model, expected, where)
            arrays = silenced(expected, name)
            student.call("probe.load_state", model, arrays)
            probe.load_state(expected, arrays)
            x = block_input(rng, in_channels)
            got, want = student.call("probe.forward", model, x), probe.forward(expected, x)
            if got.shape == want.shape and not np.allclose(got, want, **F64):
                pytest.fail(f"with {last_norm(name)}'s weight and bias at zero the output is not ReLU(shortcut(x)) "
                            f"(for {where}): {SHORTCUT_HINTS[name]}, added before the last ReLU")
            assert_close(got, want, "output with the residual branch silenced", context=where, **F64)


@pytest.mark.points(1)
def test_plain_block_has_no_shortcut(student, rng):
    """PlainBlock has no shortcut: with its last BN's weight and bias zero its output is zero for every input"""
    for in_channels, width, stride, what in block_cases(rng, "PlainBlock"):
        where = f"PlainBlock, {what}"
        expected = reference(rng, "PlainBlock", in_channels, width, stride, float64=True)
        model = build(student, "PlainBlock", in_channels, width, stride, float64=True)
        load_reference(student, model, expected, where)
        student.call("probe.load_state", model, silenced(expected, "PlainBlock"))
        x = block_input(rng, in_channels)
        got = student.call("probe.forward", model, x)
        if not isinstance(got, np.ndarray) or got.shape[:2] != (x.shape[0], width) or np.any(got != 0):
            pytest.fail(f"with bn2's weight and bias at zero PlainBlock's output still depends on x (for {where}): "
                        "a plain block has no shortcut, its output is ReLU(bn2(conv2(...))) alone")
        compare_block(student, rng, "PlainBlock", in_channels, width, stride, what)


def check_block_layouts(student, rng):
    for name in ("BasicBlock", "Bottleneck", "PlainBlock"):
        for in_channels, width, stride, what in block_cases(rng, name):
            got = student.call("probe.built_layout", f"resnet.{name}", in_channels, width, stride)
            want = probe.built_layout(REFERENCE[name], in_channels, width, stride)
            compare_layouts(got, want, f"{name}, {what}")


def stateful(listing):
    """The modules of a `built_layout` that hold parameters or buffers, themselves or below them (ReLU,
    pooling and parameter-free shortcuts may be modules or functions; the forward tests judge them)."""
    keys = list(listing["layout"])
    return [[path, kind] for path, kind in listing["kinds"] if any(k.startswith(path + ".") for k in keys)]


def compare_layouts(got, want, where):
    difference = kinds_difference(stateful(got), stateful(want))
    if difference:
        pytest.fail(f"the modules of {where}: {difference}")
    difference = layout_difference(got["layout"], want["layout"])
    if difference:
        pytest.fail(f"the state dict of {where}: {difference}")
    assert_equal_value(got["total"], want["total"], "number of parameters", context=where)


@pytest.mark.points(2)
def test_block_layouts(student, rng):
    """blocks hold conv1 bn1 conv2 bn2 [conv3 bn3] and a projection `downsample` exactly when the shape changes"""
    for name in ("BasicBlock", "Bottleneck", "PlainBlock"):
        guarded_by(name, check_block_forward, student, rng, name, what=f"{name}'s output is wrong")
    check_block_layouts(student, rng)


@pytest.mark.points(2)
def test_zero_pad_shortcut(student, rng):
    """option A: BasicBlock(shortcut="zero_pad") subsamples x and appends zero channels, with no parameters"""
    c = int(rng.integers(1, 5))
    wider = c + int(rng.integers(1, 5))
    for in_channels, width, stride, what in ((c, wider, 2, "in_channels < out_channels, stride 2"),
                                             (c, wider, 1, "in_channels < out_channels, stride 1"),
                                             (c, c, 2, "in_channels == out_channels, stride 2")):
        got = student.call("probe.built_layout", "resnet.BasicBlock", in_channels, width, stride, shortcut="zero_pad")
        want = probe.built_layout(ref.BasicBlock, in_channels, width, stride, shortcut="zero_pad")
        compare_layouts(got, want, f"BasicBlock, {what}, shortcut='zero_pad'")
        compare_block(student, rng, "BasicBlock", in_channels, width, stride, what, shortcut="zero_pad")
    model = build(student, "ZeroPadShortcut", c, wider, 2)
    x = images(rng, 2, c, int(rng.integers(4, 8)), int(rng.integers(8, 12)))
    assert_close(student.call("probe.forward", model, x), probe.forward(ref.ZeroPadShortcut(c, wider, 2), x),
                 "ZeroPadShortcut's output", context="stride 2, more output channels, odd or even H and W", **F64)


# ---------------------------------------------------------------------------------------- networks
def small_resnets(rng):
    """(block, layers, kwargs): the smallest ImageNet-style ResNets, with other class and channel counts."""
    return [("BasicBlock", [1, 1, 1, 1],
             {"num_classes": int(rng.integers(2, 13)), "in_channels": int(rng.integers(1, 5))}),
            ("Bottleneck", [1, 1, 1, 1], {"num_classes": int(rng.integers(2, 13))})]


def check_resnet_forward(student, rng, cases=None):
    for block, layers, kwargs in cases or small_resnets(rng):
        where = words("ResNet", [layers], kwargs, block)
        expected = reference(rng, "ResNet", layers, block=block, **kwargs)
        model = build(student, "ResNet", layers, block=block, **kwargs)
        load_reference(student, model, expected, where)
        x = images(rng, 2, kwargs.get("in_channels", 3), int(rng.integers(20, 33)), int(rng.integers(33, 45)),
                   np.float32)
        got, want = student.call("probe.forward_both", model, x), probe.forward_both(expected, x)
        where += ", non-square input"
        assert_close(got["eval"], want["eval"], "logits in eval mode", context=where, **F32)
        assert_close(got["train"], want["train"], "logits in training mode", context=where, **F32)
        compare_states(got["state"], want["state"], "state after a training-mode pass", where, **F32)


@pytest.mark.points(4)
def test_resnet_forward(student, rng):
    """with the reference's weights copied in, ResNet's logits and BN statistics equal the reference's"""
    scored("ResNet", check_resnet_forward, student, rng)


@pytest.mark.points(2)
def test_resnet_layer_shapes(student, rng):
    """the shape after every layer: 224 -> 112 (conv1) -> 56 (padded max pool) -> 56, 28, 14, 7 -> 1"""
    x = images(rng, 1, 3, 224, 224, np.float32)
    got = student.call("probe.layer_shapes", build(student, "resnet18"), x)
    want = probe.layer_shapes(ref.resnet18(), x)
    if got != want:
        pytest.fail(f"resnet18's shapes after each layer on a 224x224 image are {[tuple(s) for _, s in got]} "
                    f"({[n for n, _ in got]}), expected {[tuple(s) for _, s in want]}")
    c = int(rng.integers(1, 5))
    x = images(rng, 2, c, int(rng.integers(57, 80)), int(rng.integers(81, 100)), np.float32)
    for block in ("Bottleneck", "PlainBlock"):
        got = student.call("probe.layer_shapes", build(student, "ResNet", [1, 1, 1, 1], block=block, in_channels=c), x)
        want = probe.layer_shapes(ref.ResNet(REFERENCE[block], [1, 1, 1, 1], in_channels=c), x)
        if got != want:
            pytest.fail(f"ResNet({block}, [1, 1, 1, 1])'s shapes after each layer on an odd-sized, non-square "
                        f"image are {[tuple(s) for _, s in got]} ({[n for n, _ in got]}), expected "
                        f"{[tuple(s) for _, s in want]}")


_LAYOUTS = {}


def expected_layout(name, **kwargs):
    """The reference's built_layout of a factory, kept for the next test (resnet152 takes a second or two)."""
    key = (name, tuple(sorted(kwargs.items())))
    if key not in _LAYOUTS:
        _LAYOUTS[key] = probe.built_layout(REFERENCE[name], **kwargs)
    return _LAYOUTS[key]


def require_small_resnet(student, rng):
    guarded_by("ResNet", check_resnet_forward, student, rng, what="ResNet's output is wrong")


@pytest.mark.points(3)
def test_parameter_counts(student, rng):
    """resnet18/34/50/152 have 11,689,512 / 21,797,672 / 25,557,032 / 60,192,808 parameters (and per layer)"""
    require_small_resnet(student, rng)
    for name in ("resnet18", "resnet34", "resnet50", "resnet152"):
        classes = int(rng.integers(2, 1000))  # num_classes is passed on: the counts differ from the default's
        got = student.call("probe.built_layout", f"resnet.{name}", num_classes=classes)
        want = expected_layout(name, num_classes=classes)
        features = 2048 if name in ("resnet50", "resnet152") else 512
        documented = DOCUMENTED[name] - (1000 - classes) * (features + 1)  # guards the suite itself
        assert_equal_value(want["total"], documented, "the reference's count")
        where = f"{name}(num_classes={classes}), {DOCUMENTED[name]:,} parameters with 1000 classes"
        per_layer = {n: count for n, _, count in got["children"]}
        for layer, _, count in want["children"]:
            assert_equal_value(per_layer.get(layer), count, f"parameters of {layer}", context=where)
        assert_equal_value(got["total"], want["total"], "total parameters", context=where)


@pytest.mark.points(2)
def test_state_dict_keys(student, rng):
    """ResNet's modules and state-dict keys are torchvision's: conv1 bn1 layer1..4 fc, blocks' downsample.0/1"""
    require_small_resnet(student, rng)
    for name in ("resnet18", "resnet50"):
        compare_layouts(student.call("probe.built_layout", f"resnet.{name}"), expected_layout(name), name)


@pytest.mark.points(3)
def test_training_step(student, rng):
    """SGD steps in training mode leave ResNet's and CifarResNet's weights and statistics as the reference's do"""
    classes = int(rng.integers(2, 11))
    cases = [("ResNet", ([1, 1, 1, 1],), {"block": "BasicBlock", "num_classes": classes}, np.float32, (3,), 32),
             ("CifarResNet", (8,), {"residual": bool(rng.integers(2)), "num_classes": classes, "float64": True},
              np.float64, (3, 2), 12)]
    for name, args, kwargs, dtype, sizes, size in cases:
        where = words(name, args, {k: v for k, v in plain(kwargs).items() if k != "block"}, kwargs.get("block"))
        expected = reference(rng, name, *args, **kwargs)
        model = build(student, name, *args, **kwargs)
        load_reference(student, model, expected, where)
        stream = [(images(rng, n, 3, size, size + 4, dtype), labels(rng, n, classes)) for n in sizes]
        got, want = student.call("probe.sgd_steps", model, stream), probe.sgd_steps(expected, stream)
        for i, (mine, theirs) in enumerate(zip(got["losses"], want["losses"])):
            if not np.isclose(mine, theirs, **tolerance(dtype)):
                pytest.fail(f"the loss of step {i + 1} is {mine:.6g}, expected {theirs:.6g} (for {where})")
        compare_states(got["state"], want["state"], f"state after {len(stream)} SGD step(s)", where, **tolerance(dtype))


@pytest.mark.points(1)
def test_resnet_depth(student, rng):
    """resnet_depth counts the weighted layers: 18, 34, 50, 152 from their configurations, and random ones"""
    cases = [("BasicBlock", [2, 2, 2, 2]), ("BasicBlock", [3, 4, 6, 3]), ("Bottleneck", [3, 4, 6, 3]),
             ("Bottleneck", [3, 8, 36, 3]), ("PlainBlock", [int(n) for n in rng.integers(1, 9, 3)])]
    cases += [(name, [int(n) for n in rng.integers(1, 20, 4)]) for name in ("BasicBlock", "Bottleneck")]
    for block, layers in cases:
        got = student.call("probe.construct", "resnet.resnet_depth", layers, block=f"resnet.{block}")
        assert_equal_value(got, ref.resnet_depth(REFERENCE[block], layers), "resnet_depth",
                           context=f"{block} with {len(layers)} stages")


# ------------------------------------------------------------------------------------------- CIFAR
def cifar_cases(rng):
    """(depth, kwargs) for forward checks: residual with option A and B, plain, other classes and channels."""
    return [(8, {}), (14, {"shortcut": "projection", "num_classes": int(rng.integers(2, 20))}),
            (8, {"residual": False, "in_channels": int(rng.integers(1, 5))})]


def check_cifar_forward(student, rng):
    for depth, kwargs in cifar_cases(rng):
        where = words("CifarResNet", [depth], kwargs)
        expected = reference(rng, "CifarResNet", depth, float64=True, **kwargs)
        model = build(student, "CifarResNet", depth, float64=True, **kwargs)
        load_reference(student, model, expected, where)
        x = images(rng, 2, kwargs.get("in_channels", 3), int(rng.integers(9, 16)), int(rng.integers(16, 22)))
        got, want = student.call("probe.forward_both", model, x), probe.forward_both(expected, x)
        where += ", non-square input"
        assert_close(got["eval"], want["eval"], "logits in eval mode", context=where, **F64)
        assert_close(got["train"], want["train"], "logits in training mode", context=where, **F64)
        compare_states(got["state"], want["state"], "state after a training-mode pass", where, **F64)


@pytest.mark.points(3)
def test_cifar_forward(student, rng):
    """CifarResNet's logits equal the reference's (residual with option A or B, plain, other classes and channels)"""
    scored("CifarResNet", check_cifar_forward, student, rng)


@pytest.mark.points(2)
def test_cifar_layouts(student, rng):
    """CifarResNet(depth) is 6n+2 layers of 16/32/64 filters: ResNet-20 has 269,722 parameters (0.27M), -56 853,018"""
    guarded_by("CifarResNet", check_cifar_forward, student, rng, what="CifarResNet's output is wrong")
    n = int(rng.integers(1, 6))
    for depth, kwargs in ((20, {}), (56, {}), (6 * n + 2, {"residual": False}), (20, {"shortcut": "projection"}),
                          (6 * n + 2, {"num_classes": int(rng.integers(2, 100)), "in_channels": 1})):
        compare_layouts(student.call("probe.built_layout", "resnet.CifarResNet", depth, **kwargs),
                        probe.built_layout(ref.CifarResNet, depth, **kwargs), words("CifarResNet", [depth], kwargs))


def norms(listing):
    return [[path, kind] for path, kind in listing["kinds"] if "Norm" in kind]


@pytest.mark.points(1)
def test_norm_layer_is_used(student, rng):
    """norm_layer replaces every normalisation layer (stem, blocks, projections) of ResNet and CifarResNet"""
    guarded_by("CifarResNet", check_cifar_forward, student, rng, what="CifarResNet's output is wrong")
    for name, args, kwargs in (("CifarResNet", (8,), {"shortcut": "projection"}),
                               ("CifarResNet", (8,), {"residual": False}),
                               ("ResNet", ([1, 1, 1, 1],), {"block": "BasicBlock"})):
        block = kwargs.pop("block", None)
        got = student.call("probe.built_layout", f"resnet.{name}", *args, norm="instance",
                           block=f"resnet.{block}" if block else None, **kwargs)
        want = probe.built_layout(REFERENCE[name], *args, norm="instance", block=REFERENCE[block] if block else None,
                                  **kwargs)
        difference = kinds_difference(norms(got), norms(want))
        if difference:
            pytest.fail(f"with norm_layer=nn.InstanceNorm2d, the normalisation layers of "
                        f"{words(name, args, kwargs, block)}: "
                        f"{difference} (pass norm_layer on to every block and use it for every normalisation)")


# ------------------------------------------------------------------------------------------- errors
ERRORS = [
    ("BatchNorm2d", (0,), {}, "num_features 0"),
    ("BatchNorm2d", (4,), {"momentum": 1.5}, "momentum > 1"),
    ("CifarResNet", (21,), {}, "depth not of the form 6n + 2"),
    ("ResNet", ([2, 2, 2],), {"block": "resnet.BasicBlock"}, "three stages instead of four"),
    ("BasicBlock", (4, 0), {}, "out_channels 0"),
]


@pytest.mark.points(1)
def test_errors_are_clear(student, rng):
    """bad arguments and inputs raise ValueError (or TypeError for a non-tensor) with a message"""
    guarded_by("bn", check_bn_training_forward, student, rng, what="BatchNorm2d's training-mode output is wrong")
    guarded_by("CifarResNet", check_cifar_forward, student, rng, what="CifarResNet's output is wrong")
    for name, args, kwargs, why in ERRORS:
        expect_error(student, ValueError, "probe.construct", f"resnet.{name}", *args, context=why, **kwargs)
    model = build(student, "CifarResNet", 8)
    expect_error(student, ValueError, "probe.forward", model, images(rng, 2, 1, 8, 8, np.float32),
                 context="an input with 1 channel for a network built for 3")
    bn = build(student, "BatchNorm2d", 3)
    expect_error(student, ValueError, "probe.norm_steps", bn, [images(rng, 1, 3, 1, 1)],
                 context="one value per channel in training mode")


def expect_error(student, exc_type, target, *args, context="", **kwargs):
    try:
        student.call(target, *args, **kwargs)
    except StudentError as err:
        if err.type_name != exc_type.__name__:
            pytest.fail(f"raised {err.type_name}, expected {exc_type.__name__} (for {context})")
        if not err.message.strip():
            pytest.fail(f"the {exc_type.__name__} has no message (for {context}): say what is wrong")
        return
    pytest.fail(f"no error for {context}: expected a {exc_type.__name__} that explains it")
