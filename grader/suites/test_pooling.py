"""Hidden suite for part `pooling` (notebook 02): assignment/pooling.py against the reference, on random inputs."""
import time

import numpy as np
import pytest

from grader.suites.checks import assert_close, assert_inputs_unchanged, assert_raises, describe, timed_answer
from solutions import pooling as ref

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1e-4, atol=1e-5)}
KINDS = {"max": (ref.max_pool_forward, ref.max_pool_backward), "avg": (ref.avg_pool_forward, ref.avg_pool_backward)}


def random_input(rng, shape, dtype):
    """Normal values, or small integers half of the time: then windows often hold several equal maxima."""
    if rng.random() < 0.5:
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def random_case(rng, dtype, windows="any"):
    """x, kernel_size, stride with small, often non-square shapes (batch and channels of 1 included).

    windows: "tiling" (stride = kernel_size, the windows cover the input exactly), "general" (overlapping,
    non-tiling or stride > kernel_size windows) or "any"."""
    n, c = (int(v) for v in rng.integers(1, 4, size=2))
    k = int(rng.integers(1, 5))
    if windows == "tiling":
        k = max(k, 2)
        h, w = (k * int(v) for v in rng.integers(1, 5, size=2))
        return random_input(rng, (n, c, h, w), dtype), k, (None if rng.random() < 0.5 else k)
    k = max(k, 2) if windows == "general" else k
    stride = int(rng.integers(1, k)) if (windows == "general" and rng.random() < 0.6) else int(rng.integers(1, 6))
    h = int(rng.integers(k, k + 10))
    w = int(rng.integers(k, k + 10))
    if windows == "general" and stride == k and (h - k) % stride == 0 and (w - k) % stride == 0:
        w += 1 if k > 1 else 0  # make sure it does not tile
    return random_input(rng, (n, c, h, w), dtype), k, stride


def corner_cases(rng, dtype):
    """Overlapping 3x3/1 and 3x3/2 (AlexNet's), stride > kernel, a window as large as the input, 1x1 windows."""
    x = random_input(rng, (2, 3, 9, 7), dtype)
    return [(x, 3, 1), (x, 3, 2), (x, 2, 3), (x, 7, None), (x, 1, 2), (x, 4, None),
            (rng.integers(0, 2, size=(1, 2, 6, 8)).astype(dtype), 3, 1)]  # a sea of ties


def cases(rng, dtype, windows="any", count=12):
    found = [random_case(rng, dtype, windows) for _ in range(count)]
    return found + (corner_cases(rng, dtype) if windows != "tiling" else [])


def padded_cases(rng, dtype, count):
    """x, kernel_size, stride, padding with 1 <= padding <= kernel_size // 2: `count` random non-square inputs
    (overlapping windows, stride = or > kernel_size), then ResNet's 3x3/2 and Inception's 3x3/1 with padding 1, a
    4x4/3 window with padding 2, the default stride, and maps of negative values only (where a padding of zeros,
    instead of -inf, would win the border windows of max pooling)."""
    found = []
    for _ in range(count):
        n, c = (int(v) for v in rng.integers(1, 3, size=2))
        k = int(rng.integers(2, 6))
        padding = int(rng.integers(1, k // 2 + 1))
        stride = int(rng.integers(1, k + 2))
        h = int(rng.integers(max(1, k - 2 * padding), k + 8))
        w = int(rng.integers(max(1, k - 2 * padding), k + 8))
        found.append((random_input(rng, (n, c, h, w + (h == w)), dtype), k, stride, padding))
    x = random_input(rng, (2, 2, 9, 7), dtype)
    negative = (-0.5 - np.abs(rng.standard_normal((1, 2, 6, 5)))).astype(dtype)
    return found + [(x, 3, 2, 1), (x, 3, 1, 1), (x, 4, 3, 2), (x, 2, None, 1), (negative, 3, 1, 1)]


def call_forward(student, target, x, kernel_size, stride, padding=0):
    # unpadded cases leave `padding` out, so that they grade the rest of a function that lacks it
    result = student.call(target, x, kernel_size, stride=stride, **({"padding": padding} if padding else {}))
    if not (isinstance(result, tuple) and len(result) == 2):
        pytest.fail(f"{target.split('.')[1]} must return a pair (out, cache)")
    return result


def check_forward(student, kind, naive, rng, dtype, windows="any"):
    target = f"pooling.{kind}_pool_forward{'_naive' if naive else ''}"
    for x, k, stride in cases(rng, dtype, windows):
        expected, _ = KINDS[kind][0](x, k, stride)
        result = call_forward(student, target, x, k, stride)
        assert_close(result[0], expected, f"{target.split('.')[1]} output",
                     context=describe(x=x, kernel_size=k, stride=stride), **TOL[dtype])
        assert_inputs_unchanged(student, {"x": x}, target.split(".")[1])


def check_backward(student, kind, naive, rng, dtype, windows="any"):
    suffix = "_naive" if naive else ""
    forward, backward = f"pooling.{kind}_pool_forward{suffix}", f"pooling.{kind}_pool_backward{suffix}"
    name = backward.split(".")[1]
    for x, k, stride in cases(rng, dtype, windows):
        out, cache = KINDS[kind][0](x, k, stride)
        dout = rng.standard_normal(out.shape).astype(dtype)
        expected = KINDS[kind][1](dout, cache)
        result = call_forward(student, forward, x, k, stride)
        dx = student.call(backward, dout, result[1])
        assert_close(dx, expected, f"{name} dx", context=describe(x=x, kernel_size=k, stride=stride), **TOL[dtype])
        assert_inputs_unchanged(student, {"dout": dout}, name)


def check_padded(student, kind, naive, rng):
    """Forward (values) and backward (dx from the student's own cache) with padding, float64 then float32."""
    suffix = "_naive" if naive else ""
    forward, backward = f"pooling.{kind}_pool_forward{suffix}", f"pooling.{kind}_pool_backward{suffix}"
    for dtype, count in ((np.float64, 4), (np.float32, 1)):
        for x, k, stride, padding in padded_cases(rng, dtype, count):
            context = describe(x=x, kernel_size=k, stride=stride, padding=padding)
            out, cache = KINDS[kind][0](x, k, stride, padding)
            result = call_forward(student, forward, x, k, stride, padding)
            assert_close(result[0], out, f"{forward.split('.')[1]} output", context=context, **TOL[dtype])
            assert_inputs_unchanged(student, {"x": x}, forward.split(".")[1])
            dout = rng.standard_normal(out.shape).astype(dtype)
            dx = student.call(backward, dout, result[1])
            assert_close(dx, KINDS[kind][1](dout, cache), f"{backward.split('.')[1]} dx", context=context,
                         **TOL[dtype])
            assert_inputs_unchanged(student, {"dout": dout}, backward.split(".")[1])


# ----------------------------------------------------------------------------------------- naive
@pytest.mark.points(3)
def test_max_pool_forward_naive(student, rng):
    """max_pool_forward_naive on random non-square inputs, overlapping and non-tiling windows (float64)"""
    check_forward(student, "max", True, rng, np.float64)


@pytest.mark.points(3)
def test_max_pool_backward_naive(student, rng):
    """max_pool_backward_naive: gradient to the first maximum of each window, ties included (float64)"""
    check_backward(student, "max", True, rng, np.float64)


@pytest.mark.points(2)
def test_avg_pool_forward_naive(student, rng):
    """avg_pool_forward_naive on random non-square inputs, overlapping and non-tiling windows (float64)"""
    check_forward(student, "avg", True, rng, np.float64)


@pytest.mark.points(2)
def test_avg_pool_backward_naive(student, rng):
    """avg_pool_backward_naive: overlapping windows add up (float64)"""
    check_backward(student, "avg", True, rng, np.float64)


# ------------------------------------------------------------------------------------ vectorised
@pytest.mark.points(2)
def test_max_pool_forward_tiling(student, rng):
    """max_pool_forward (vectorised) when the windows tile the input (stride = kernel_size)"""
    check_forward(student, "max", False, rng, np.float64, "tiling")


@pytest.mark.points(2)
def test_max_pool_forward_general(student, rng):
    """max_pool_forward (vectorised) with overlapping windows, stride > kernel_size and leftover rows/columns"""
    check_forward(student, "max", False, rng, np.float64, "general")


@pytest.mark.points(3)
def test_max_pool_backward(student, rng):
    """max_pool_backward (vectorised): first maximum of each window, ties and overlapping windows (float64)"""
    check_backward(student, "max", False, rng, np.float64)


@pytest.mark.points(2)
def test_avg_pool_forward_tiling(student, rng):
    """avg_pool_forward (vectorised) when the windows tile the input (stride = kernel_size)"""
    check_forward(student, "avg", False, rng, np.float64, "tiling")


@pytest.mark.points(2)
def test_avg_pool_forward_general(student, rng):
    """avg_pool_forward (vectorised) with overlapping windows, stride > kernel_size and leftover rows/columns"""
    check_forward(student, "avg", False, rng, np.float64, "general")


@pytest.mark.points(2)
def test_avg_pool_backward(student, rng):
    """avg_pool_backward (vectorised): overlapping windows add up (float64)"""
    check_backward(student, "avg", False, rng, np.float64)


@pytest.mark.points(2)
def test_default_stride(student, rng):
    """stride omitted (None) means stride = kernel_size, in all four forward functions"""
    for kind in ("max", "avg"):
        for suffix in ("_naive", ""):
            target = f"pooling.{kind}_pool_forward{suffix}"
            for _ in range(4):
                k = int(rng.integers(2, 4))
                x = rng.standard_normal((int(rng.integers(1, 3)), 2, int(rng.integers(k, 4 * k)),
                                         int(rng.integers(k, 4 * k))))
                expected, _ = KINDS[kind][0](x, k)
                result = student.call(target, x, k)
                if not (isinstance(result, tuple) and len(result) == 2):
                    pytest.fail(f"{target.split('.')[1]} must return a pair (out, cache)")
                assert_close(result[0], expected, f"{target.split('.')[1]} output",
                             context=describe(x=x, kernel_size=k) + ", stride not given")


@pytest.mark.points(2)
def test_float32_kept(student, rng):
    """float32 inputs give float32 outputs and gradients (naive and vectorised, max and average)"""
    for kind in ("max", "avg"):
        for naive in (True, False):
            check_forward(student, kind, naive, rng, np.float32)
            check_backward(student, kind, naive, rng, np.float32)


# --------------------------------------------------------------------------------------- padding
@pytest.mark.points(2)
def test_max_pool_naive_padded(student, rng):
    """max_pool_forward_naive and max_pool_backward_naive with padding: -inf padding never wins a window
    (float64 and float32, non-square, overlapping and strided windows)"""
    check_padded(student, "max", True, rng)


@pytest.mark.points(2)
def test_avg_pool_naive_padded(student, rng):
    """avg_pool_forward_naive and avg_pool_backward_naive with padding: zeros that count in the mean
    (float64 and float32, non-square, overlapping and strided windows)"""
    check_padded(student, "avg", True, rng)


@pytest.mark.points(2)
def test_max_pool_padded(student, rng):
    """max_pool_forward and max_pool_backward (vectorised) with padding: -inf padding never wins a window
    (float64 and float32, non-square, overlapping and strided windows)"""
    check_padded(student, "max", False, rng)


@pytest.mark.points(2)
def test_avg_pool_padded(student, rng):
    """avg_pool_forward and avg_pool_backward (vectorised) with padding: zeros that count in the mean
    (float64 and float32, non-square, overlapping and strided windows)"""
    check_padded(student, "avg", False, rng)


@pytest.mark.points(1)
def test_bad_padding(student, rng):
    """the pooling forward functions raise ValueError for a negative padding, one larger than half the window
    (as torch does) or one that is not an integer"""
    x = rng.standard_normal((1, 2, 6, 5))
    bad = {"padding is negative": (3, -1), "padding is more than kernel_size // 2": (3, 2),
           "padding is a float": (2, 1.0)}
    for kind in ("max", "avg"):
        for suffix in ("_naive", ""):
            target = f"pooling.{kind}_pool_forward{suffix}"
            expected, _ = KINDS[kind][0](x, 3, 1, 1)  # the largest padding allowed works
            assert_close(call_forward(student, target, x, 3, 1, 1)[0], expected, f"{target.split('.')[1]} output",
                         context=describe(x=x, kernel_size=3, stride=1, padding=1))
            for why, (k, padding) in bad.items():
                assert_raises(student, ValueError, target, x, k, stride=1, padding=padding, context=why)


# -------------------------------------------------------------------------------- global average
@pytest.mark.points(1)
def test_global_avg_pool_forward(student, rng):
    """global_avg_pool_forward: (N, C, H, W) -> (N, C) means, float64 and float32"""
    for dtype in (np.float64, np.float32, np.float64, np.float32):
        shape = tuple(int(v) for v in rng.integers(1, 4, size=2)) + tuple(int(v) for v in rng.integers(1, 9, size=2))
        x = random_input(rng, shape, dtype)
        expected, _ = ref.global_avg_pool_forward(x)
        result = call_forward_global(student, x)
        assert_close(result[0], expected, "global_avg_pool_forward output", context=describe(x=x), **TOL[dtype])
        assert_inputs_unchanged(student, {"x": x}, "global_avg_pool_forward")


@pytest.mark.points(1)
def test_global_avg_pool_backward(student, rng):
    """global_avg_pool_backward: dout / (H * W) everywhere, float64 and float32"""
    for dtype in (np.float64, np.float32, np.float64, np.float32):
        shape = tuple(int(v) for v in rng.integers(1, 4, size=2)) + tuple(int(v) for v in rng.integers(1, 9, size=2))
        x = random_input(rng, shape, dtype)
        _, cache = ref.global_avg_pool_forward(x)
        dout = rng.standard_normal(shape[:2]).astype(dtype)
        result = call_forward_global(student, x)
        dx = student.call("pooling.global_avg_pool_backward", dout, result[1])
        assert_close(dx, ref.global_avg_pool_backward(dout, cache), "global_avg_pool_backward dx",
                     context=describe(x=x), **TOL[dtype])
        assert_inputs_unchanged(student, {"dout": dout}, "global_avg_pool_backward")


def call_forward_global(student, x):
    result = student.call("pooling.global_avg_pool_forward", x)
    if not (isinstance(result, tuple) and len(result) == 2):
        pytest.fail("global_avg_pool_forward must return a pair (out, cache)")
    return result


# ------------------------------------------------------------------------------ arguments, speed
@pytest.mark.points(2)
def test_bad_arguments(student, rng):
    """the pooling forward functions raise ValueError for malformed arguments"""
    x = rng.standard_normal((2, 3, 6, 5))
    bad = {
        "x is not 4-D": (x[0], 2, None),
        "kernel_size is 0": (x, 0, None),
        "kernel_size is a float": (x, 2.0, None),
        "kernel_size is larger than the input": (x, 6, None),
        "stride is 0": (x, 2, 0),
        "stride is negative": (x, 2, -1),
        "stride is a float": (x, 2, 1.5),
    }
    for kind in ("max", "avg"):
        for suffix in ("_naive", ""):
            target = f"pooling.{kind}_pool_forward{suffix}"
            expected, _ = KINDS[kind][0](x, 2, 1)
            assert_close(call_forward(student, target, x, 2, 1)[0], expected, f"{target.split('.')[1]} output",
                         context=describe(x=x, kernel_size=2, stride=1))
            for why, (bx, k, s) in bad.items():
                assert_raises(student, ValueError, target, bx, k, stride=s, context=why)
    assert_raises(student, ValueError, "pooling.global_avg_pool_forward", x[0], context="x is not 4-D")


@pytest.mark.points(2)
def test_vectorised_speed(student, rng):
    """each vectorised pooling function is at least 10x faster than naive loops on many small windows"""
    # 2x2 windows at stride 1: one window per pixel, so a Python loop over H' and W' shows; float32 and a
    # small batch keep the transfer to the sandbox short next to the work
    x = rng.standard_normal((1, 2, 128, 128)).astype(np.float32)
    fast = {}
    for kind, (forward, backward) in KINDS.items():
        out, cache = forward(x, 2, 1)
        dout = rng.standard_normal(out.shape).astype(np.float32)
        result = call_forward(student, f"pooling.{kind}_pool_forward", x, 2, 1)
        assert_close(result[0], out, f"{kind}_pool_forward output", context=describe(x=x, kernel_size=2, stride=1),
                     **TOL[np.float32])

        def forward_inputs(kind=kind):  # fresh inputs every repetition: a cache keyed by the inputs saves nothing
            args, kwargs = (rng.standard_normal(x.shape).astype(np.float32), 2), {"stride": 1}
            expected = KINDS[kind][0](*args, **kwargs)[:1]
            return args, kwargs, timed_answer(expected, [f"{kind}_pool_forward output"], **TOL[np.float32])

        def backward_inputs(kind=kind):
            args, kwargs, _ = forward_inputs()
            d = rng.standard_normal(dout.shape).astype(np.float32)
            expected = KINDS[kind][1](d, KINDS[kind][0](*args, **kwargs)[1])
            cache = student.call(f"pooling.{kind}_pool_forward", *args, **kwargs)[1]
            return (d, cache), {}, timed_answer(expected, ["dx"], **TOL[np.float32])

        fast[f"{kind}_pool_forward"] = student.time(f"pooling.{kind}_pool_forward", forward_inputs)
        fast[f"{kind}_pool_backward"] = student.time(f"pooling.{kind}_pool_backward", backward_inputs)
    naive = {}
    with student.stopped():  # nothing of the student's runs while the trusted side measures the loops
        for kind in KINDS:
            start = time.perf_counter()
            out, cache = getattr(ref, f"{kind}_pool_forward_naive")(x, 2, 1)
            naive[f"{kind}_pool_forward"] = time.perf_counter() - start
            start = time.perf_counter()
            getattr(ref, f"{kind}_pool_backward_naive")(out, cache)
            naive[f"{kind}_pool_backward"] = time.perf_counter() - start
    for name, seconds in fast.items():
        seconds = max(seconds, 1e-6)
        assert naive[name] / seconds >= 10, (
            f"{name} took {seconds * 1e3:.1f} ms, only {naive[name] / seconds:.0f}x faster than naive loops "
            f"({naive[name] * 1e3:.0f} ms) on {describe(x=x)} with 2x2 windows at stride 1; "
            "remove the Python loops over N, C, H' and W'")


# ------------------------------------------------------------------- a small ConvNet (section 6)
# The network's tests charge only the network's own bugs (affine, ReLU, softmax cross-entropy, the wiring, the
# initialisation, the regularisation, the momentum step), never a bug of a layer graded elsewhere:
# - conv: ConvNet calls conv.conv2d_forward / conv2d_backward, and in this part's sandbox (and in notebook 02's
#   grading kernel) assignment/conv.py is the reference (grader/parts.py: pooling uses conv); conv bugs are
#   charged by the conv part alone.
# - pooling: the expectation is the reference's layers composed with the student's OWN max_pool_forward and
#   max_pool_backward, called in the sandbox on the exact activations (their cache goes back to the sandbox, as
#   in the pooling tests above); the reference pooling stands in only where the student's raises or returns
#   something unusable. A pooling bug is thus charged by the pooling tests above alone.
import math  # noqa: E402

from grader.sandbox import Handle, SandboxFailure, StudentError  # noqa: E402
from solutions import conv as ref_conv  # noqa: E402

NET_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
NET_TOL = {np.float64: dict(rtol=1e-6, atol=1e-10), np.float32: dict(rtol=2e-3, atol=1e-5)}
# The notebook's network on 32x32 digits: W2 alone holds 131,072 weights, so gradients by finite differences
# (two forward passes per weight) cannot return within the sandbox's time limit.
DEFAULT_NET = dict(input_shape=(1, 32, 32), num_filters=8, kernel_size=5, hidden=64, num_classes=10)


class StudentPooling:
    """2x2/2 max pooling by the student's max_pool_forward / max_pool_backward in the sandbox, or by the
    reference's where the student's raises or returns something unusable (see the comment above)."""

    def __init__(self, student):
        self.student = student

    def forward(self, a):
        expected, ref_cache = ref.max_pool_forward(a, 2, 2)
        try:
            result = self.student.call("pooling.max_pool_forward", a, 2, stride=2)
        except (StudentError, SandboxFailure):
            result = None
        if (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], np.ndarray)
                and result[0].shape == expected.shape and np.all(np.isfinite(result[0]))):
            return result[0].astype(a.dtype, copy=False), ("student", result[1], a)
        return expected, ("reference", ref_cache, a)

    def backward(self, dout, cache):
        who, inner, a = cache
        if who == "student":
            try:
                dx = self.student.call("pooling.max_pool_backward", dout, inner)
            except (StudentError, SandboxFailure):
                dx = None
            if isinstance(dx, np.ndarray) and dx.shape == a.shape and np.all(np.isfinite(dx)):
                return dx.astype(a.dtype, copy=False)
            inner = ref.max_pool_forward(a, 2, 2)[1]
        return ref.max_pool_backward(dout, inner)


def expected_network(params, x, y, reg, pool):
    """The ConvNet of solutions/pooling.py (conv - relu - 2x2 max pool - affine - relu - affine) from the
    reference layers and `pool`'s max pooling: scores when y is None, else (loss, grads)."""
    pad = (params["W1"].shape[2] - 1) // 2
    a1, conv_cache = ref_conv.conv2d_forward(x, params["W1"], params["b1"], 1, pad)
    r1, relu1_cache = ref.relu_forward(a1)
    pooled, pool_cache = pool.forward(r1)
    a2, affine2_cache = ref.affine_forward(pooled, params["W2"], params["b2"])
    r2, relu2_cache = ref.relu_forward(a2)
    scores, affine3_cache = ref.affine_forward(r2, params["W3"], params["b3"])
    if y is None:
        return scores
    loss, dscores = ref.softmax_cross_entropy(scores, y)
    loss += 0.5 * reg * sum(float(np.sum(params[k] ** 2)) for k in ("W1", "W2", "W3"))
    grads = {}
    dr2, grads["W3"], grads["b3"] = ref.affine_backward(dscores, affine3_cache)
    dpooled, grads["W2"], grads["b2"] = ref.affine_backward(ref.relu_backward(dr2, relu2_cache), affine2_cache)
    da1 = ref.relu_backward(pool.backward(dpooled, pool_cache), relu1_cache)
    _, grads["W1"], grads["b1"] = ref_conv.conv2d_backward(da1, conv_cache)
    for k in ("W1", "W2", "W3"):
        grads[k] = grads[k] + reg * params[k]
    return loss, grads


def net_config(rng, kernel_size=None, dtype="float64"):
    """A small network with odd, often non-square inputs (the pooled size floors) and a random kernel size;
    the dtype by name (a numpy type cannot be sent to the sandbox)."""
    k = kernel_size or int(rng.choice([1, 3, 5]))
    return dict(input_shape=(int(rng.integers(1, 4)), int(rng.integers(4, 12)), int(rng.integers(4, 12))),
                num_filters=int(rng.integers(2, 6)), kernel_size=k, hidden=int(rng.integers(3, 12)),
                num_classes=int(rng.integers(2, 8)), dtype=dtype)


def random_params(rng, config):
    """Parameters for `config` of the reference's shapes: He-scaled weights and small nonzero biases."""
    params = ref.ConvNet(**config, seed=int(rng.integers(1 << 30))).params
    return {k: (v if k.startswith("W") else 0.1 * rng.standard_normal(v.shape)).astype(config.get("dtype", "float64"))
            for k, v in params.items()}


def batch(rng, config, n=None):
    n = n or int(rng.integers(2, 6))
    dtype = config.get("dtype", "float64")
    x = rng.standard_normal((n, *config["input_shape"])).astype(dtype)
    return x, rng.integers(0, config["num_classes"], size=n)


def student_net(student, config, **extra):
    """A ConvNet built in the sandbox (a Handle to it)."""
    net = student.call("pooling.ConvNet", **config, **extra)
    if not isinstance(net, Handle):
        pytest.fail(f"ConvNet(...) returned {type(net).__name__} data instead of an object")
    return net


def student_params(student, net):
    params = student.attribute(net, "params")
    if not isinstance(params, dict):
        pytest.fail(f"ConvNet's params should be a dict of numpy arrays, got {type(params).__name__}")
    if set(params) != set(NET_KEYS):
        pytest.fail(f"ConvNet's params has the keys {sorted(params)}, expected {list(NET_KEYS)}")
    for key, value in params.items():
        if not isinstance(value, np.ndarray):
            pytest.fail(f"ConvNet's params[{key!r}] should be a numpy array, got {type(value).__name__}")
    return params


def set_params(student, net, params):
    student.call_method(net, "params.update", params)


def student_loss(student, net, x, y=None):
    result = student.call_method(net, "loss", x) if y is None else student.call_method(net, "loss", x, y)
    assert_inputs_unchanged(student, {"x": x, "y": y}, "ConvNet.loss")
    if y is None:
        return result
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
        pytest.fail("ConvNet.loss(x, y) must return a pair (loss, grads) with grads a dict")
    return result


def assert_number(actual, expected, what, rtol, atol, context=""):
    where = f" (for {context})" if context else ""
    if isinstance(actual, np.ndarray) and actual.shape == ():
        actual = actual[()]
    if isinstance(actual, (bool, np.bool_)) or not isinstance(actual, (int, float, np.integer, np.floating)):
        pytest.fail(f"{what}: expected a number, got {type(actual).__name__}{where}")
    if not abs(float(actual) - expected) <= atol + rtol * abs(expected):  # NaN fails too
        pytest.fail(f"{what}: yours is {float(actual):.8g}, off by {abs(float(actual) - expected):.3g}{where}")


def check_network(student, config, params, x, y, reg, what):
    """The student's scores, loss and every gradient against the expectation, for these parameters."""
    tol = NET_TOL[np.dtype(config.get("dtype", "float64")).type]
    net = student_net(student, config, reg=reg)
    set_params(student, net, params)
    context = describe(x=x) + f", kernel_size={config['kernel_size']}, reg={reg:g}"
    pool = StudentPooling(student)
    assert_close(student_loss(student, net, x), expected_network(params, x, None, reg, pool),
                 f"{what}: ConvNet.loss(x) scores", context=context, **tol)
    loss, grads = student_loss(student, net, x, y)
    want_loss, want = expected_network(params, x, y, reg, pool)
    assert_number(loss, want_loss, f"{what}: the loss", tol["rtol"], tol["atol"], context)
    if set(grads) != set(NET_KEYS):
        pytest.fail(f"{what}: grads has the keys {sorted(grads)}, expected {list(NET_KEYS)}")
    for key in NET_KEYS:
        scale = float(np.abs(want[key]).max(initial=0.0))
        assert_close(grads[key], want[key], f"{what}: grads[{key!r}]", context=context,
                     rtol=tol["rtol"], atol=tol["atol"] + tol["rtol"] * 1e-2 * scale)


@pytest.mark.points(1)
def test_affine_forward(student, rng):
    """affine_forward: inputs of 2 to 4 axes flattened per example, float64 and float32"""
    for dtype in (np.float64, np.float32):
        for _ in range(4):
            shape = tuple(int(v) for v in rng.integers(1, 5, size=int(rng.integers(2, 5))))
            D, M = int(np.prod(shape[1:])), int(rng.integers(1, 7))
            x, w, b = (rng.standard_normal(s).astype(dtype) for s in (shape, (D, M), (M,)))
            result = student.call("pooling.affine_forward", x, w, b)
            if not (isinstance(result, tuple) and len(result) == 2):
                pytest.fail("affine_forward must return a pair (out, cache)")
            assert_close(result[0], ref.affine_forward(x, w, b)[0], "affine_forward output",
                         context=describe(x=x, w=w), **TOL[dtype])
            assert_inputs_unchanged(student, {"x": x, "w": w, "b": b}, "affine_forward")


@pytest.mark.points(2)
def test_affine_backward(student, rng):
    """affine_backward: dx shaped like x, dw and db, float64 and float32"""
    for dtype in (np.float64, np.float32):
        for _ in range(4):
            shape = tuple(int(v) for v in rng.integers(1, 5, size=int(rng.integers(2, 5))))
            D, M = int(np.prod(shape[1:])), int(rng.integers(1, 7))
            x, w, b = (rng.standard_normal(s).astype(dtype) for s in (shape, (D, M), (M,)))
            dout = rng.standard_normal((shape[0], M)).astype(dtype)
            want = ref.affine_backward(dout, ref.affine_forward(x, w, b)[1])
            cache = student.call("pooling.affine_forward", x, w, b)[1]
            result = student.call("pooling.affine_backward", dout, cache)
            if not (isinstance(result, tuple) and len(result) == 3):
                pytest.fail("affine_backward must return a triple (dx, dw, db)")
            for name, got, expected in zip(("dx", "dw", "db"), result, want):
                assert_close(got, expected, f"affine_backward {name}", context=describe(x=x, w=w), **TOL[dtype])
            assert_inputs_unchanged(student, {"dout": dout}, "affine_backward")


@pytest.mark.points(1)
def test_relu(student, rng):
    """relu_forward and relu_backward, exact zeros included (no gradient there, as in PyTorch), float64 and float32"""
    for dtype in (np.float64, np.float32):
        for _ in range(3):
            shape = tuple(int(v) for v in rng.integers(1, 6, size=int(rng.integers(2, 5))))
            x = random_input(rng, shape, dtype)
            x.flat[::3] = 0  # the ReLU's kink
            dout = rng.standard_normal(shape).astype(dtype)
            result = student.call("pooling.relu_forward", x)
            if not (isinstance(result, tuple) and len(result) == 2):
                pytest.fail("relu_forward must return a pair (out, cache)")
            out, ref_cache = ref.relu_forward(x)
            assert_close(result[0], out, "relu_forward output", context=describe(x=x), **TOL[dtype])
            assert_inputs_unchanged(student, {"x": x}, "relu_forward")
            dx = student.call("pooling.relu_backward", dout, result[1])
            assert_close(dx, ref.relu_backward(dout, ref_cache), "relu_backward dx",
                         context=describe(x=x) + ", some entries of x exactly 0", **TOL[dtype])
            assert_inputs_unchanged(student, {"dout": dout}, "relu_backward")


@pytest.mark.points(2)
def test_softmax_cross_entropy(student, rng):
    """softmax_cross_entropy: mean loss and dscores, float64 and float32, scores in the thousands included"""
    for dtype in (np.float64, np.float32):
        for spread in (1.0, 3.0, 1000.0, 1000.0):
            N, C = int(rng.integers(2, 7)), int(rng.integers(2, 11))
            scores = (spread * rng.standard_normal((N, C)) + (5000.0 if spread > 1 else 0.0)).astype(dtype)
            y = rng.integers(0, C, size=N)
            want_loss, want = ref.softmax_cross_entropy(scores, y)
            result = student.call("pooling.softmax_cross_entropy", scores, y)
            if not (isinstance(result, tuple) and len(result) == 2):
                pytest.fail("softmax_cross_entropy must return a pair (loss, dscores)")
            context = describe(scores=scores) + (", large scores" if spread > 100 else "")
            assert_number(result[0], want_loss, "softmax_cross_entropy loss", TOL[dtype]["rtol"], TOL[dtype]["atol"],
                          context)
            assert_close(result[1], want, "softmax_cross_entropy dscores", context=context, **TOL[dtype])
            assert_inputs_unchanged(student, {"scores": scores, "y": y}, "softmax_cross_entropy")


@pytest.mark.points(1)
def test_softmax_cross_entropy_bad_arguments(student, rng):
    """softmax_cross_entropy raises ValueError for labels out of range and mismatched shapes"""
    scores = rng.standard_normal((3, 4))
    want_loss, _ = ref.softmax_cross_entropy(scores, np.array([0, 3, 1]))
    assert_number(student.call("pooling.softmax_cross_entropy", scores, np.array([0, 3, 1]))[0], want_loss,
                  "softmax_cross_entropy loss", 1e-7, 1e-9, describe(scores=scores))
    bad = {"a label equal to the number of classes": (scores, np.array([0, 4, 1])),
           "a negative label": (scores, np.array([0, -1, 1])),
           "fewer labels than rows of scores": (scores, np.array([0, 1])),
           "float labels": (scores, np.array([0.0, 1.0, 2.0])),
           "scores of one axis": (scores[0], np.array([1]))}
    for why, args in bad.items():
        assert_raises(student, ValueError, "pooling.softmax_cross_entropy", *args, context=why)


@pytest.mark.points(2)
def test_convnet_init(student, rng):
    """ConvNet's parameters: keys, shapes ("same" conv, 2x2 pooling), dtype, zero biases, He scale or weight_scale, seed"""
    configs = [(dict(input_shape=(3, 16, 16), num_filters=16, kernel_size=5, hidden=32, num_classes=10), {}),
               (dict(input_shape=(2, 11, 9), num_filters=6, kernel_size=3, hidden=40, num_classes=7),
                {"weight_scale": 0.05}),
               (dict(input_shape=(1, 7, 13), num_filters=5, kernel_size=1, hidden=50, num_classes=3,
                     dtype="float32"), {"seed": 3})]
    for config, extra in configs:
        context = describe(**config, **extra)
        want = ref.ConvNet(**config, **extra).params
        params = student_params(student, student_net(student, config, **extra))
        for key in NET_KEYS:
            got = params[key]
            if got.shape != want[key].shape or got.dtype != want[key].dtype:
                pytest.fail(f"params[{key!r}] has shape {got.shape} ({got.dtype}), expected {want[key].shape} "
                            f"({want[key].dtype}) (for {context})")
            if key.startswith("b"):
                if np.any(got != 0):
                    pytest.fail(f"params[{key!r}] should start at zero (for {context})")
                continue
            if got.size < 250:
                continue  # too few weights for their statistics
            fan_in = int(np.prod(got.shape[1:])) if key == "W1" else got.shape[0]
            scale = extra.get("weight_scale", math.sqrt(2 / fan_in))
            std, mean = float(got.std()), float(got.mean())
            if not (abs(std / scale - 1) < 0.2 and abs(mean) < 5 * scale / math.sqrt(got.size)):
                how = "weight_scale" if "weight_scale" in extra else "He's sqrt(2 / fan_in)"
                pytest.fail(f"params[{key!r}] has mean {mean:.3g} and standard deviation {std:.3g}; expected mean 0 "
                            f"and a standard deviation of {how} (for {context})")
    config = configs[1][0]
    first, again, other = (student_params(student, student_net(student, config, seed=s)) for s in (7, 7, 8))
    if not all(np.array_equal(first[k], again[k]) for k in NET_KEYS):
        pytest.fail("two ConvNets with the same seed have different weights; draw them from "
                    "np.random.default_rng(seed)")
    if np.array_equal(first["W2"], other["W2"]):
        pytest.fail("ConvNets with different seeds have the same weights")


@pytest.mark.points(2)
def test_convnet_scores_and_loss(student, rng):
    """ConvNet.loss: scores (y None) and the loss on small random inputs (odd sizes, kernel sizes 1, 3, 5)"""
    for k in (1, 3, 5, 3):
        config = net_config(rng, k)
        params, (x, y) = random_params(rng, config), batch(rng, config)
        net = student_net(student, config)
        set_params(student, net, params)
        context = describe(x=x) + f", kernel_size={k}"
        pool = StudentPooling(student)
        assert_close(student_loss(student, net, x), expected_network(params, x, None, 0.0, pool),
                     "ConvNet.loss(x) scores", context=context, **NET_TOL[np.float64])
        loss = student_loss(student, net, x, y)[0]
        assert_number(loss, expected_network(params, x, y, 0.0, pool)[0], "ConvNet.loss(x, y) loss", 1e-6, 1e-10,
                      context)


@pytest.mark.points(3)
def test_convnet_gradients(student, rng):
    """ConvNet.loss: every gradient, reg = 0, on small random inputs and on the notebook's 32x32 network"""
    for k in (1, 3, 5):
        config = net_config(rng, k)
        check_network(student, config, random_params(rng, config), *batch(rng, config), 0.0, "reg 0")
    check_network(student, DEFAULT_NET, random_params(rng, DEFAULT_NET), *batch(rng, DEFAULT_NET, 4), 0.0,
                  "the 32x32 network")


@pytest.mark.points(2)
def test_convnet_regularisation(student, rng):
    """ConvNet.loss with reg > 0: 0.5 * reg * sum(W**2) in the loss, reg * W in the gradients of W1, W2, W3"""
    for k, reg in ((3, 0.1), (5, 1.3)):
        config = net_config(rng, k)
        check_network(student, config, random_params(rng, config), *batch(rng, config), reg, f"reg {reg:g}")
    check_network(student, DEFAULT_NET, random_params(rng, DEFAULT_NET), *batch(rng, DEFAULT_NET, 4), 0.05,
                  "the 32x32 network")


@pytest.mark.points(1)
def test_convnet_float32(student, rng):
    """ConvNet with dtype float32: float32 parameters, scores and gradients"""
    for k in (3, 5):
        config = net_config(rng, k, dtype="float32")
        check_network(student, config, random_params(rng, config), *batch(rng, config), 0.1, "float32")
    config = dict(DEFAULT_NET, dtype="float32")
    check_network(student, config, random_params(rng, config), *batch(rng, config, 4), 0.0, "the 32x32 network")


@pytest.mark.points(1)
def test_convnet_initial_loss(student, rng):
    """with tiny weights (weight_scale 1e-3) the initial loss is ln(num_classes), the loss of a uniform guess"""
    for classes in (10, 3):
        config = dict(net_config(rng, 3), num_classes=classes)
        net = student_net(student, config, weight_scale=1e-3)
        params = student_params(student, net)
        x, y = batch(rng, config, 6)
        loss = student_loss(student, net, x, y)[0]
        want = expected_network(params, x, y, 0.0, StudentPooling(student))[0]
        assert_number(loss, want, f"the initial loss with {classes} classes", 1e-6, 1e-10, "weight_scale=1e-3")
        assert abs(want - math.log(classes)) < 1e-2  # the expectation itself: near ln(C)


@pytest.mark.points(2)
def test_sgd_momentum(student, rng):
    """sgd_momentum over several steps with varying gradients and learning rates (PyTorch's formulation)"""
    for dtype in (np.float64, np.float32):
        shape = tuple(int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 4))))
        w = rng.standard_normal(shape).astype(dtype)
        want_w, mine, velocity, want_v = w, w, None, None
        momentum = float(rng.uniform(0.5, 0.95))
        for step, lr in enumerate((0.1, 0.1, 0.05, 0.02, 0.3)):
            dw = rng.standard_normal(shape).astype(dtype)
            want_w, want_v = ref.sgd_momentum(want_w, dw, want_v, lr, momentum)
            result = student.call("pooling.sgd_momentum", mine, dw, velocity, lr, momentum=momentum)
            if not (isinstance(result, tuple) and len(result) == 2):
                pytest.fail("sgd_momentum must return a pair (w, velocity)")
            context = f"step {step + 1}, " + describe(w=w) + (", velocity None" if velocity is None else "")
            assert_inputs_unchanged(student, {"w": mine, "dw": dw, "velocity": velocity}, "sgd_momentum")
            mine, velocity = result
            assert_close(velocity, want_v, "sgd_momentum velocity", context=context, **TOL[dtype])
            assert_close(mine, want_w, "sgd_momentum w", context=context, **TOL[dtype])
    w, dw = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    v = rng.standard_normal((3, 4))
    result = student.call("pooling.sgd_momentum", w, dw, v, 0.1)
    assert_close(result[1], ref.sgd_momentum(w, dw, v, 0.1)[1], "sgd_momentum velocity",
                 context="momentum not given (0.9)")


@pytest.mark.points(2)
def test_convnet_training_steps(student, rng):
    """a few steps of SGD with momentum on the notebook's 32x32 network give the reference's parameters"""
    config, steps, lr, momentum = DEFAULT_NET, 3, 0.05, 0.9
    params = random_params(rng, config)
    net = student_net(student, config)
    set_params(student, net, params)
    want, mine = dict(params), dict(params)
    want_v, velocity = dict.fromkeys(NET_KEYS), dict.fromkeys(NET_KEYS)
    pool = StudentPooling(student)
    for step in range(steps):
        x, y = batch(rng, config, 4)
        _, grads = student_loss(student, net, x, y)
        _, want_grads = expected_network(want, x, y, 0.0, pool)
        for key in NET_KEYS:
            want[key], want_v[key] = ref.sgd_momentum(want[key], want_grads[key], want_v[key], lr, momentum)
            if not isinstance(grads.get(key), np.ndarray):
                pytest.fail(f"ConvNet.loss's grads has no array {key!r}")
            mine[key], velocity[key] = student.call("pooling.sgd_momentum", mine[key], grads[key], velocity[key],
                                                    lr, momentum=momentum)
        set_params(student, net, mine)
    for key in NET_KEYS:
        scale = float(np.abs(want[key]).max(initial=0.0))
        assert_close(mine[key], want[key], f"params[{key!r}] after {steps} steps", context=f"learning rate {lr}",
                     rtol=1e-6, atol=1e-9 * scale)
