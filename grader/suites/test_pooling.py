"""Hidden suite for part `pooling` (notebook 02): assignment/pooling.py against the reference, on random inputs."""
import time

import numpy as np
import pytest

from grader.suites.checks import assert_close, assert_inputs_unchanged, assert_raises, describe
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


def call_forward(student, target, x, kernel_size, stride):
    result = student.call(target, x, kernel_size, stride=stride)
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

        def forward_inputs():  # fresh inputs every repetition: a cache keyed by the inputs saves nothing
            return (rng.standard_normal(x.shape).astype(np.float32), 2), {"stride": 1}

        def backward_inputs(kind=kind):
            args, kwargs = forward_inputs()
            cache = student.call(f"pooling.{kind}_pool_forward", *args, **kwargs)[1]
            return (rng.standard_normal(dout.shape).astype(np.float32), cache), {}

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
