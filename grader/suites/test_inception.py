"""Hidden suite for part `inception` (notebook 06): assignment/inception.py against the reference.

The student's objects live in the sandbox; `probe.<name>` calls run the grader's trusted helpers there
(grader/probe.py) and return plain arrays. The reference runs here through the same helpers, on the same
random weights and inputs (module configurations, image sizes and loss weights drawn per run), so both
sides are compared number for number.

- Models are read through nn.Module's own tables (children, state keys and shapes, parameter counts),
  never through the model's overridable methods.
- Shapes, depths and branch orders are credited only to modules whose children and parameters are laid
  out as the reference's (the state-dict keys and shapes): a module that merely returns tensors of the
  right shape gets nothing.
- The reference's weights are He-initialised (with random biases and batch-norm statistics) before they are
  copied in, so that a mistake in an early layer still shows in a deep network's logits.
- Training-mode outputs are compared with dropout on: torch's generator is seeded on both sides right
  before the forward pass, so the masks agree when the layers run in the reference's order.
- Values come back from the sandbox and are compared here; nothing the student's process says about
  itself is trusted, except that its layers were called through their __call__ (hooks see them) when
  the first differing layer is named in a message.
- Each test starts in a clean worker (probe.pristine), so a bug costs points only in the tests about it."""
import numpy as np
import pytest
import torch
from torch import nn

from grader import probe
from grader.sandbox import Handle, StudentError
from grader.suites.checks import assert_close, assert_equal_value, clean_torch_worker, kind, seed_of
from solutions import inception as ref

F32 = dict(rtol=1e-4, atol=1e-5)
F64 = dict(rtol=1e-8, atol=1e-10)
BRANCHES = list(ref.BRANCHES)
GOOGLENET_LAYERS = ["conv1", "maxpool1", "lrn1", "conv2", "conv3", "lrn2", "maxpool2", "inception3a", "inception3b",
                    "maxpool3", "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4",
                    "inception5a", "inception5b", "aux1", "aux2", "avgpool", "dropout", "fc"]


@pytest.fixture(autouse=True)
def clean_worker(student):
    clean_torch_worker(student)


# ----------------------------------------------------------------------------------------- building
def signature(name, args, kwargs):
    shown = [str(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def build(student, name, *args, float64=False, **kwargs):
    """The student's `name(*args, **kwargs)`, kept in the sandbox (as float64 when asked)."""
    model = student.call(f"inception.{name}", *args, **kwargs)
    if not isinstance(model, Handle):
        pytest.fail(f"{signature(name, args, kwargs)} should build an nn.Module, got {type(model).__name__}")
    if float64:
        student.call("probe.as_float64", model)
    return model


def reference(rng, name, *args, float64=False, weights=True, **kwargs):
    """The reference's `name(*args, **kwargs)` holding lively random weights (built without torch's default
    initialisation, which would be replaced anyway); with weights=False, shapes only (on the meta device)."""
    torch.manual_seed(seed_of(rng))
    with torch.device("meta"):
        model = getattr(ref, name)(*args, **kwargs)
    if not weights:
        return model
    return lively(model.to(torch.float64 if float64 else torch.float32).to_empty(device="cpu"))


def lively(model):
    """He-initialised weights (torch's defaults shrink the signal so much that a deep network's logits hardly
    depend on its early layers), random biases and batch-norm parameters and statistics: every layer's
    mistake shows in the outputs that are compared."""
    ref.init_weights(model)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)) and module.bias is not None:
                module.bias.uniform_(-0.1, 0.1)
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.1, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.zero_()
    return model


def naive_config(rng):
    return tuple(int(v) for v in rng.integers(1, 9, size=4))


def inception_config(rng):
    return tuple(int(v) for v in rng.integers(1, 9, size=7))


def images(rng, n, channels, size, dtype=np.float32, scale=1.0):
    return (scale * rng.standard_normal((n, channels, *size))).astype(dtype)


def small_size(rng):
    """A random, usually non-square, map size from 1x1 up."""
    return tuple(int(v) for v in rng.integers(1, 10, size=2))


def aux_size(rng):
    """An image size whose maps after inception4a are 14 to 16 pixels high and wide (the auxiliary heads' range);
    the height gives 16 there, so that inception5b's map is 8 high, not the 7 of a 224x224 image."""
    return int(rng.integers(255, 271)), int(rng.integers(223, 271))


def copy_weights(student, model, expected, what):
    """Copy the reference's weights into the student's model (keys and shapes must match)."""
    try:
        student.call("probe.load_state", model, probe.state(expected))
    except StudentError as err:
        pytest.fail(f"the reference's weights do not fit {what}: {err.message[:300]} (see the layout test)")


def outputs(student, model, x, training=False, seed=0, child=None):
    return student.call("probe.mode_outputs", model, x, training=training, seed=seed, child=child)


def require_output(got, want, what, where, tol):
    """Compare two mode_outputs answers: the same structure (a tensor, or a tuple of three), then the values."""
    (got_kind, got_values), (want_kind, want_values) = got, want
    if got_kind != want_kind or len(got_values) != len(want_values):
        shape = f"a tuple of {len(got_values)} tensors" if got_kind == "tuple" else f"a {got_kind}"
        expected = "a tuple (logits, aux1, aux2)" if want_kind == "tuple" else "one tensor of logits"
        pytest.fail(f"{what} returned {shape}, expected {expected} ({where})")
    names = ["logits", "aux1", "aux2"] if want_kind == "tuple" else [what]
    for name, g, w in zip(names, got_values, want_values):
        assert_close(g, w, name, context=where, **tol)


# ----------------------------------------------------------------------------------------- layouts
def require_layout(student, model, expected, what, children=None):
    """The model's direct children (in order) and state keys and shapes are the reference's."""
    got_children = [name for name, _, _ in student.call("probe.children", model)]
    want_children = [name for name, _, _ in probe.children(expected)] if children is None else children
    if got_children != want_children:
        pytest.fail(f"{what} has the children {got_children}; expected {want_children} "
                    "(assign them in that order in __init__)")
    got, want = student.call("probe.key_shapes", model), probe.key_shapes(expected)
    if sorted(got) != sorted(want):
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        pytest.fail(f"{what}: the state dict lacks {missing[:6]} and has {extra[:6]} that the reference does not; "
                    "build each branch as the docstring says (nn.Sequential(*conv_relu(...), ...))")
    for key, shape in want.items():
        if list(got[key]) != shape:
            pytest.fail(f"{what}: {key} has shape {tuple(got[key])}, expected {tuple(shape)}")


def gate_layout(student, model, expected, what):
    """Structure-dependent tests are credited only to a module laid out as the reference's."""
    try:
        require_layout(student, model, expected, what)
    except pytest.fail.Exception as exc:
        pytest.fail(f"not checked until the layout is right: {exc}")


@pytest.mark.points(2)
def test_conv_macs(student, rng):
    """conv_macs counts in * out * kh * kw * H' * W' multiply-adds (square and rectangular kernels)"""
    for _ in range(25):
        cin, cout, oh, ow = (int(v) for v in rng.integers(1, 300, size=4))
        k = int(rng.integers(1, 8)) if rng.random() < 0.6 else tuple(int(v) for v in rng.integers(1, 8, size=2))
        assert_equal_value(student.call("inception.conv_macs", cin, cout, k, oh, ow),
                           ref.conv_macs(cin, cout, k, oh, ow), "conv_macs",
                           kind(in_channels=cin, out_channels=cout, kernel_size=k, out_h=oh, out_w=ow))


@pytest.mark.points(2)
def test_naive_inception_layout(student, rng):
    """NaiveInception's branches branch1x1, branch3x3, branch5x5, branch_pool, with the reference's parameters"""
    for _ in range(3):
        args = naive_config(rng)
        require_layout(student, build(student, "NaiveInception", *args),
                       reference(rng, "NaiveInception", *args, weights=False), "NaiveInception", children=BRANCHES)
    args = (256, 128, 192, 96)  # cs231n's example: 1x1, 3x3 and 5x5 convolutions on 256 maps
    got = student.call("probe.parameter_count", build(student, "NaiveInception", *args))
    assert_equal_value(got, probe.parameter_count(ref.NaiveInception(*args)), "parameters of NaiveInception",
                       "cs231n's example module")


@pytest.mark.points(2)
def test_inception_layout(student, rng):
    """Inception's branches and parameters (1x1 reductions, pool projection), with and without batch norm"""
    for batch_norm in (False, True, False):
        args = inception_config(rng)
        where = f"Inception with batch_norm={batch_norm}"
        require_layout(student, build(student, "Inception", *args, batch_norm=batch_norm),
                       reference(rng, "Inception", *args, batch_norm=batch_norm, weights=False), where,
                       children=BRANCHES)
    for name in ("3a", "4e"):
        got = student.call("probe.parameter_count", build(student, "Inception", *ref.TABLE1[name]))
        assert_equal_value(got, probe.parameter_count(ref.Inception(*ref.TABLE1[name])), "parameters of Inception",
                           f"GoogLeNet's inception ({name})")


def branch_cases(rng):
    """(class name, args, kwargs) for a naive and two bottleneck modules."""
    return [("NaiveInception", naive_config(rng), {}), ("Inception", inception_config(rng), {}),
            ("Inception", inception_config(rng), {"batch_norm": True})]


@pytest.mark.points(2)
def test_branch_shapes(student, rng):
    """every branch keeps the height and width and has the depth the reference's has (non-square, 1x1 maps)"""
    for name, args, kwargs in branch_cases(rng):
        model, expected = build(student, name, *args, **kwargs), reference(rng, name, *args, **kwargs)
        gate_layout(student, model, expected, name)
        for size in (small_size(rng), (1, 1)):
            x = images(rng, int(rng.integers(1, 4)), args[0], size)
            for branch in BRANCHES:
                try:
                    got_kind, got = outputs(student, model, x, child=branch)
                except StudentError as err:
                    if err.type_name == "NotImplementedError":
                        raise
                    pytest.fail(f"{name}.{branch} raised {err.type_name} on {kind(x=x)}: {err.message[:200]} "
                                "(every branch must keep H and W, even of a 1x1 map)")
                _, want = probe.mode_outputs(expected, x, child=branch)
                if got_kind != "tensor" or got[0].shape != want[0].shape:
                    pytest.fail(f"{name}.{branch} gives {got[0].shape if got else got_kind}, expected "
                                f"{want[0].shape} (for {kind(x=x)}): every branch must keep H and W")


@pytest.mark.points(2)
def test_output_depth_and_branch_order(student, rng):
    """the output stacks the branches' outputs along the channels, in the order 1x1, 3x3, 5x5, pool"""
    for name, args, kwargs in branch_cases(rng):
        model, expected = build(student, name, *args, **kwargs), reference(rng, name, *args, **kwargs)
        gate_layout(student, model, expected, name)
        x = images(rng, int(rng.integers(1, 4)), args[0], small_size(rng))
        got_kind, got = outputs(student, model, x)
        if got_kind != "tensor":
            pytest.fail(f"{name} returned a {got_kind}, expected one tensor")
        depth = expected.out_channels
        if got[0].ndim != 4 or got[0].shape[1] != depth or got[0].shape[0] != x.shape[0]:
            pytest.fail(f"{name}'s output has shape {got[0].shape}, expected (N, {depth}, H, W): "
                        "concatenate the branches along dim=1 (the channels)")
        parts = [outputs(student, model, x, child=branch)[1][0] for branch in BRANCHES]
        start = 0
        for branch, part in zip(BRANCHES, parts):
            stop = start + part.shape[1]
            if not np.allclose(got[0][:, start:stop], part, rtol=1e-6, atol=1e-7):
                pytest.fail(f"{name}'s output channels {start}..{stop - 1} are not {branch}'s output: stack the "
                            f"branches in the order {', '.join(BRANCHES)}")
            start = stop


@pytest.mark.points(2)
def test_naive_forward_matches_reference(student, rng):
    """with the reference's weights copied in, NaiveInception's output equals the reference's (float32, float64)"""
    for dtype, tol in ((np.float64, F64), (np.float32, F32)):
        args = naive_config(rng)
        f64 = dtype == np.float64
        model, expected = build(student, "NaiveInception", *args, float64=f64), reference(rng, "NaiveInception",
                                                                                          *args, float64=f64)
        copy_weights(student, model, expected, "NaiveInception")
        for n in (1, int(rng.integers(2, 5))):
            x = images(rng, n, args[0], small_size(rng), dtype)
            require_output(outputs(student, model, x), probe.mode_outputs(expected, x), "NaiveInception",
                           kind(x=x), tol)


@pytest.mark.points(3)
def test_inception_forward_matches_reference(student, rng):
    """with the reference's weights copied in, Inception's output equals the reference's (batch norm in both modes)"""
    for batch_norm, dtype, tol in ((False, np.float64, F64), (False, np.float32, F32), (True, np.float64, F64)):
        args = inception_config(rng)
        f64 = dtype == np.float64
        model = build(student, "Inception", *args, batch_norm=batch_norm, float64=f64)
        expected = reference(rng, "Inception", *args, batch_norm=batch_norm, float64=f64)
        copy_weights(student, model, expected, "Inception")
        for training in (False, True) if batch_norm else (False,):
            x = images(rng, int(rng.integers(2, 5)), args[0], small_size(rng), dtype)
            where = f"batch_norm={batch_norm}, {'training' if training else 'eval'} mode, {kind(x=x)}"
            require_output(outputs(student, model, x, training), probe.mode_outputs(expected, x, training),
                           "Inception", where, tol)


@pytest.mark.points(2)
def test_inception_gradients_match_reference(student, rng):
    """backpropagation through Inception gives the reference's input and parameter gradients"""
    for batch_norm in (False, True):
        args = inception_config(rng)
        model = build(student, "Inception", *args, batch_norm=batch_norm, float64=True)
        expected = reference(rng, "Inception", *args, batch_norm=batch_norm, float64=True)
        copy_weights(student, model, expected, "Inception")
        x = images(rng, int(rng.integers(2, 4)), args[0], small_size(rng), np.float64)
        dout = rng.standard_normal((x.shape[0], expected.out_channels, *x.shape[2:]))
        got = student.call("probe.output_vjp", model, x, dout, training=batch_norm)
        want = probe.output_vjp(expected, x, dout, training=batch_norm)
        where = f"batch_norm={batch_norm}, {kind(x=x)}"
        assert_close(got["dx"], want["dx"], "gradient with respect to the input", context=where, **F64)
        for name, grad in want["grads"].items():
            if got["grads"].get(name) is None:
                pytest.fail(f"{name} gets no gradient ({where}): is it frozen, detached or unused in forward?")
            assert_close(got["grads"][name], grad, f"gradient of {name}", context=where, **F64)


# ----------------------------------------------------------------------------------------- GoogLeNet
@pytest.mark.points(2)
def test_aux_head_matches_reference(student, rng):
    """InceptionAux: its layers, and its logits in eval and training mode (dropout) on 14x14 to 16x16 maps"""
    for batch_norm in (False, True):
        cin, classes, conv_channels, hidden = (int(v) for v in rng.integers(1, 24, size=4))
        kwargs = dict(batch_norm=batch_norm, conv_channels=conv_channels, hidden=hidden)
        model = build(student, "InceptionAux", cin, classes, float64=True, **kwargs)
        expected = reference(rng, "InceptionAux", cin, classes, float64=True, **kwargs)
        require_layout(student, model, expected, "InceptionAux", children=["pool", "conv", "fc1", "dropout", "fc2"])
        copy_weights(student, model, expected, "InceptionAux")
        for training in (False, True):
            x = images(rng, int(rng.integers(2, 5)), cin, tuple(int(v) for v in rng.integers(14, 17, size=2)),
                       np.float64)
            seed = seed_of(rng)
            where = f"batch_norm={batch_norm}, {'training' if training else 'eval'} mode, {kind(x=x)}"
            require_output(outputs(student, model, x, training, seed), probe.mode_outputs(expected, x, training, seed),
                           "InceptionAux", where, F64)


def googlenet_cases(rng):
    return [dict(num_classes=int(rng.integers(2, 30))), dict(num_classes=int(rng.integers(2, 30)), aux_logits=False,
                                                             in_channels=1)]


def googlenet_layers(kwargs):
    return [n for n in GOOGLENET_LAYERS if kwargs.get("aux_logits", True) or not n.startswith("aux")]


@pytest.mark.points(3)
def test_googlenet_layout_and_parameter_counts(student, rng):
    """GoogLeNet's layers in order, with Table 1's parameters per layer (with and without the auxiliary heads)"""
    for kwargs in googlenet_cases(rng):
        model, expected = build(student, "GoogLeNet", **kwargs), reference(rng, "GoogLeNet", weights=False, **kwargs)
        where = signature("GoogLeNet", (), kwargs)
        got = {name: count for name, _, count in student.call("probe.children", model)}
        for name, _, count in probe.children(expected):
            assert_equal_value(got.get(name), count, f"parameters of {name}", context=where)
        require_layout(student, model, expected, where, children=googlenet_layers(kwargs))
        assert_equal_value(student.call("probe.parameter_count", model), probe.parameter_count(expected),
                           "total parameters", context=where)


@pytest.mark.points(2)
def test_googlenet_layer_shapes(student, rng):
    """the output shape after every layer, at 224x224 and at other (non-square) image sizes"""
    for kwargs, size in ((dict(num_classes=int(rng.integers(2, 30))), (224, 224)),
                         (dict(aux_logits=False), tuple(int(v) for v in rng.integers(31, 90, size=2)))):
        model, expected = build(student, "GoogLeNet", **kwargs), reference(rng, "GoogLeNet", **kwargs)
        gate_layout(student, model, expected, "GoogLeNet")
        x = images(rng, 1, 3, size)
        got = student.call("probe.child_outputs", model, x, values=False)
        want = probe.child_outputs(expected, x, values=False)
        ran, should = [n for n, _, _ in got[:-1]], [n for n, _, _ in want[:-1]]
        if ran != should:
            pytest.fail(f"in eval mode the layers ran in the order {ran}, expected {should} (call each layer as "
                        "self.<name>(x); the auxiliary heads run in training mode only)")
        for (name, shape, _), (_, want_shape, _) in zip(got, want[:-1]):
            if shape != want_shape:
                pytest.fail(f"the output of {name} has shape {tuple(shape)}, expected {tuple(want_shape)} "
                            f"(for {kind(x=x)})")
        if got[-1][1] != "tensor":
            pytest.fail(f"in eval mode GoogLeNet returned a {got[-1][1]}, expected the logits alone")


def first_difference(student, model, expected, x, training=False, seed=0):
    """The first layer whose output differs from the reference's (hooks on the direct children), or None."""
    got = student.call("probe.child_outputs", model, x, training=training, seed=seed)
    want = probe.child_outputs(expected, x, training=training, seed=seed)
    for (gname, gshape, gvalue), (wname, wshape, wvalue) in zip(got, want):
        if wname == "output":
            return None
        if gname != wname:
            return f"{gname} ran where {wname} should have"
        if gvalue is None or gvalue.shape != wvalue.shape or not np.allclose(gvalue, wvalue, rtol=1e-6, atol=1e-8):
            return f"the output of {wname} differs"
    return None


def require_googlenet_output(student, model, expected, x, where, training=False, seed=0, tol=F64):
    got = outputs(student, model, x, training, seed)
    want = probe.mode_outputs(expected, x, training, seed)
    try:
        require_output(got, want, "GoogLeNet", where, tol)
    except pytest.fail.Exception as exc:
        hint = first_difference(student, model, expected, x, training, seed)
        pytest.fail(f"{exc}{f'; the first difference: {hint}' if hint else ''}")


@pytest.mark.points(3)
def test_googlenet_eval_logits(student, rng):
    """with the reference's weights copied in, GoogLeNet's eval-mode logits equal the reference's (any image size)"""
    for kwargs, size in ((dict(num_classes=int(rng.integers(2, 30))), tuple(int(v) for v in rng.integers(31, 90, 2))),
                         (dict(aux_logits=False, in_channels=1), tuple(int(v) for v in rng.integers(31, 90, 2)))):
        model = build(student, "GoogLeNet", float64=True, **kwargs)
        expected = reference(rng, "GoogLeNet", float64=True, **kwargs)
        copy_weights(student, model, expected, "GoogLeNet")
        x = images(rng, 2, kwargs.get("in_channels", 3), size, np.float64, scale=float(rng.uniform(2, 10)))
        require_googlenet_output(student, model, expected, x, f"{signature('GoogLeNet', (), kwargs)}, eval mode, "
                                 f"{kind(x=x)}")


@pytest.mark.points(3)
def test_googlenet_training_outputs(student, rng):
    """in training mode GoogLeNet returns (logits, aux1, aux2) equal to the reference's (dropout on); without
    auxiliary heads, the logits alone"""
    dropout = float(rng.choice([0.2, 0.5, 0.6]))
    for kwargs, n, size in ((dict(num_classes=int(rng.integers(2, 30)), dropout=dropout), 1, aux_size(rng)),
                            (dict(aux_logits=False), 2, tuple(int(v) for v in rng.integers(31, 90, size=2)))):
        model = build(student, "GoogLeNet", float64=True, **kwargs)
        expected = reference(rng, "GoogLeNet", float64=True, **kwargs)
        copy_weights(student, model, expected, "GoogLeNet")
        x = images(rng, n, 3, size, np.float64, scale=float(rng.uniform(2, 10)))
        require_googlenet_output(student, model, expected, x, f"{signature('GoogLeNet', (), kwargs)}, training mode, "
                                 f"{kind(x=x)}", training=True, seed=seed_of(rng))


@pytest.mark.points(2)
def test_aux_loss(student, rng):
    """aux_loss adds weight x each auxiliary loss to the main one in training, and is the plain loss in eval"""
    for loss, weight in (("cross_entropy", None), ("smoothed", float(rng.uniform(0.05, 0.9))),
                         ("margin", float(rng.uniform(0.05, 0.9))), ("summed", None)):
        n, classes = int(rng.integers(2, 7)), int(rng.integers(2, 12))
        triple = [rng.standard_normal((n, classes)) for _ in range(3)]
        targets = rng.integers(0, classes, size=n).astype(np.int64)
        for given in (triple, triple[0]):
            where = f"{loss} loss, weight {'left at its default' if weight is None else 'given'}, " + \
                    ("a tuple of three outputs" if given is triple else "a tensor of logits")
            got = student.call("probe.aux_loss_call", "inception.aux_loss", given, targets, loss=loss, weight=weight)
            want = probe.aux_loss_call(ref.aux_loss, given, targets, loss=loss, weight=weight)
            if not isinstance(got["loss"], np.ndarray) or got["loss"].shape != ():
                pytest.fail(f"aux_loss returned {type(got['loss']).__name__}, expected a scalar tensor ({where})")
            assert_close(got["loss"].reshape(1), want["loss"].reshape(1), "aux_loss", context=where, **F64)
            for name, g, w in zip(("logits", "aux1", "aux2"), got["grads"], want["grads"]):
                if g is None:
                    pytest.fail(f"aux_loss does not depend on {name} ({where})")
                assert_close(g, w, f"gradient of aux_loss with respect to {name}", context=where, **F64)


@pytest.mark.points(3)
def test_training_step_matches_reference(student, rng):
    """one training step with aux_loss (the course's 32x32 network with its auxiliary heads, GoogLeNet without):
    the loss and every parameter's gradient equal the reference's"""
    small = tuple(int(v) for v in rng.integers(31, 90, size=2))
    for name, kwargs, weight, size in (
            ("googlenet_cifar", dict(width=0.25, batch_norm=True), float(rng.uniform(0.05, 0.9)), (32, 32)),
            ("googlenet_cifar", dict(width=0.125, batch_norm=False), None, (32, 32)),
            ("GoogLeNet", dict(num_classes=int(rng.integers(2, 30)), aux_logits=False), None, small)):
        model = build(student, name, float64=True, **kwargs)
        expected = reference(rng, name, float64=True, **kwargs)
        copy_weights(student, model, expected, name)
        x = images(rng, 3, 3, size, np.float64, scale=float(rng.uniform(2, 10)))
        y = rng.integers(0, kwargs.get("num_classes", 10), size=3).astype(np.int64)
        seed = seed_of(rng)
        where = f"{signature(name, (), kwargs)}, weight {'left at its default' if weight is None else 'given'}"
        got = student.call("probe.aux_train_step", model, x, y, "inception.aux_loss", weight=weight, seed=seed,
                           grads_float32=False)
        want = probe.aux_train_step(expected, x, y, ref.aux_loss, weight=weight, seed=seed, grads_float32=False)
        if not isinstance(got["loss"], np.ndarray) or got["loss"].shape != ():
            pytest.fail(f"aux_loss returned a value of shape {np.shape(got['loss'])}, expected a scalar ({where})")
        assert_close(got["loss"].reshape(1), want["loss"].reshape(1), "the loss", context=where, **F64)
        for key, grad in want["grads"].items():
            if got["grads"].get(key) is None:
                pytest.fail(f"{key} gets no gradient ({where})")
            assert_close(got["grads"][key], grad, f"gradient of {key}", context=where, rtol=1e-7,
                         atol=1e-9 * float(np.abs(grad).max()) + 1e-14)


@pytest.mark.points(2)
def test_googlenet_cifar_runs_your_modules(student, rng):
    """the course's 32x32 network (googlenet_cifar, built from your modules) computes the reference's outputs"""
    for kwargs in (dict(width=float(rng.choice([0.125, 0.25])), batch_norm=True),
                   dict(width=float(rng.choice([0.125, 0.25])), batch_norm=False, aux_logits=False)):
        model = build(student, "googlenet_cifar", float64=True, **kwargs)
        expected = reference(rng, "googlenet_cifar", float64=True, **kwargs)
        copy_weights(student, model, expected, "googlenet_cifar")
        x = images(rng, 3, 3, (32, 32), np.float64)
        for training in (True, False):
            require_googlenet_output(student, model, expected, x, f"{signature('googlenet_cifar', (), kwargs)}, "
                                     f"{'training' if training else 'eval'} mode", training, seed_of(rng))


@pytest.mark.points(2)
def test_clear_errors(student, rng):
    """bad channel counts, wrong inputs, and outputs that are not a model's raise ValueError with a message"""
    args = inception_config(rng)
    model, expected = build(student, "Inception", *args), reference(rng, "Inception", *args)
    copy_weights(student, model, expected, "Inception")
    x = images(rng, 2, args[0], small_size(rng))
    require_output(outputs(student, model, x), probe.mode_outputs(expected, x), "Inception", kind(x=x), F32)
    assert_equal_value(student.call("inception.conv_macs", 256, 96, 5, 28, 28), 481689600, "conv_macs",
                       "a valid 5x5 convolution")
    cases = [("inception.Inception", (*args[:3], 0, *args[4:]), {}, "a branch with 0 filters"),
             ("inception.NaiveInception", (args[0], 4, -1, 2), {}, "a negative channel count"),
             ("inception.GoogLeNet", (), {"num_classes": 0}, "num_classes=0"),
             ("inception.GoogLeNet", (), {"dropout": 1.5}, "dropout=1.5"),
             ("inception.conv_macs", (3, 8, 0, 5, 5), {}, "kernel_size 0"),
             ("inception.aux_loss", ([x[:, :1, 0, 0]] * 2, np.zeros(2, np.int64), None), {}, "a pair of outputs")]
    for target, bad_args, kwargs, why in cases:
        try:
            student.call(target, *bad_args, **kwargs)
        except StudentError as err:
            if err.type_name == "NotImplementedError":
                pytest.fail(f"{target.split('.')[-1]} is not implemented yet")
            if err.type_name != "ValueError":
                pytest.fail(f"{target.split('.')[-1]} raised {err.type_name}, expected ValueError (for {why})")
            continue
        pytest.fail(f"{target.split('.')[-1]} accepted {why} without raising ValueError")
    try:
        student.call("probe.mode_outputs", model, images(rng, 1, args[0] + 1, (5, 5)))
    except StudentError as err:
        if err.type_name != "ValueError":
            pytest.fail(f"Inception raised {err.type_name} for an input with the wrong number of channels, "
                        "expected ValueError (keep the provided check at the start of forward)")
    else:
        pytest.fail("Inception accepted an input with the wrong number of channels")
