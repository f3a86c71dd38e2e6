"""Hidden suite for part `conv` (notebook 01): assignment/conv.py against the reference, on random inputs."""
import time

import numpy as np
import pytest

from grader.suites.checks import (assert_close, assert_equal_value, assert_inputs_unchanged, assert_raises, describe,
                                  kind, timed_answer)
from solutions import conv as ref

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1e-4, atol=1e-5)}


def random_conv_case(rng, dtype=np.float64):
    """x, w, b, stride, padding with random small, often non-square shapes (batch/channels of 1 included)."""
    n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
    hh, ww = (int(v) for v in rng.integers(1, 5, size=2))
    stride, padding = int(rng.integers(1, 5)), int(rng.integers(0, 3))
    h = int(rng.integers(max(1, hh - 2 * padding), hh + 9))
    w_ = int(rng.integers(max(1, ww - 2 * padding), ww + 9))
    x = rng.standard_normal((n, c, h, w_)).astype(dtype)
    w = rng.standard_normal((f, c, hh, ww)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    return x, w, b, stride, padding


def fixed_cases(rng, dtype=np.float64):
    """Random cases plus the corners: stride larger than the kernel, 1x1 kernels, a single pixel output."""
    cases = [random_conv_case(rng, dtype) for _ in range(10)]
    x = rng.standard_normal((2, 3, 9, 7)).astype(dtype)
    cases.append((x, rng.standard_normal((4, 3, 2, 2)).astype(dtype), rng.standard_normal(4).astype(dtype), 3, 0))
    cases.append((x, rng.standard_normal((5, 3, 1, 1)).astype(dtype), rng.standard_normal(5).astype(dtype), 2, 1))
    cases.append((x, rng.standard_normal((1, 3, 9, 7)).astype(dtype), rng.standard_normal(1).astype(dtype), 1, 0))
    return cases


def check_forward(student, target, rng, dtype):
    for x, w, b, stride, padding in fixed_cases(rng, dtype):
        context = describe(x=x, w=w, stride=stride, padding=padding)
        expected, _ = ref.conv2d_forward(x, w, b, stride=stride, padding=padding)
        result = student.call(target, x, w, b, stride=stride, padding=padding)
        if not (isinstance(result, tuple) and len(result) == 2):
            pytest.fail(f"{target.split('.')[1]} must return a pair (out, cache)")
        assert_close(result[0], expected, f"{target.split('.')[1]} output", context=context, **TOL[dtype])
        assert_inputs_unchanged(student, {"x": x, "w": w, "b": b}, target.split(".")[1])


def check_backward(student, forward, backward, rng, dtype):
    for x, w, b, stride, padding in fixed_cases(rng, dtype):
        context = describe(x=x, w=w, stride=stride, padding=padding)
        out, cache = ref.conv2d_forward(x, w, b, stride=stride, padding=padding)
        dout = rng.standard_normal(out.shape).astype(dtype)
        expected = ref.conv2d_backward(dout, cache)
        result = student.call(forward, x, w, b, stride=stride, padding=padding)
        if not (isinstance(result, tuple) and len(result) == 2):
            pytest.fail(f"{forward.split('.')[1]} must return a pair (out, cache)")
        grads = student.call(backward, dout, result[1])
        name = backward.split(".")[1]
        if not (isinstance(grads, tuple) and len(grads) == 3):
            pytest.fail(f"{name} must return a triple (dx, dw, db)")
        for label, got, want in zip(("dx", "dw", "db"), grads, expected):
            assert_close(got, want, f"{name} {label}", context=context, **TOL[dtype])
        assert_inputs_unchanged(student, {"dout": dout}, name)


# ----------------------------------------------------------------------------- sizes and counts
@pytest.mark.points(2)
def test_conv_output_size(student, rng):
    """conv_output_size matches the floor formula (stride, padding, dilation)"""
    for _ in range(60):
        size, k, stride, pad, dil = (int(v) for v in (rng.integers(1, 40), rng.integers(1, 8), rng.integers(1, 5),
                                                      rng.integers(0, 4), rng.integers(1, 4)))
        if size + 2 * pad < dil * (k - 1) + 1:
            continue
        expected = ref.conv_output_size(size, k, stride, pad, dil)
        got = student.call("conv.conv_output_size", size, k, stride, pad, dil)
        assert_equal_value(got, expected, "conv_output_size",
                           kind(size=size, kernel_size=k, stride=stride, padding=pad, dilation=dil))


@pytest.mark.points(2)
def test_conv_output_size_rejects_bad_arguments(student):
    """conv_output_size raises ValueError for impossible hyper-parameters"""
    assert_equal_value(student.call("conv.conv_output_size", 32, 5, 1, 2), 32, "conv_output_size",
                       "valid arguments whose padding keeps the size")
    bad = {(32, 0): "kernel_size 0", (32, 3, 0): "stride 0", (32, 3, 1, -1): "negative padding",
           (32, 3, 1, 0, 0): "dilation 0", (4, 7): "a kernel larger than the input",
           (5, 3, 1, 0, 3): "a dilated kernel larger than the input", (32, -3): "negative kernel_size"}
    for args, why in bad.items():
        assert_raises(student, ValueError, "conv.conv_output_size", *args, context=why)


@pytest.mark.points(1)
def test_window_fits(student, rng):
    """window_fits says whether the windows tile the padded input exactly"""
    for _ in range(40):
        size, k, stride, pad = (int(v) for v in (rng.integers(3, 30), rng.integers(1, 6), rng.integers(1, 5),
                                                 rng.integers(0, 3)))
        if size + 2 * pad < k:
            continue
        assert_equal_value(student.call("conv.window_fits", size, k, stride, pad), ref.window_fits(size, k, stride, pad),
                           "window_fits", kind(size=size, kernel_size=k, stride=stride, padding=pad))
    assert_equal_value(student.call("conv.window_fits", 7, 3, 3), False, "window_fits",
                       "stride equal to the kernel size, no padding")


@pytest.mark.points(1)
def test_same_padding(student):
    """same_padding for odd (dilated) kernels, ValueError for even effective sizes"""
    for k in (1, 2, 3, 4, 5, 7, 11):
        for d in (1, 2, 3, 4):
            if (d * (k - 1) + 1) % 2 == 0:
                continue
            assert_equal_value(student.call("conv.same_padding", k, d), ref.same_padding(k, d), "same_padding",
                               "an odd " + kind(kernel_size=k, dilation=d))
    for k, d in ((2, 1), (4, 1), (6, 3), (2, 3)):
        assert_raises(student, ValueError, "conv.same_padding", k, d,
                      context="an even effective kernel size, " + kind(dilation=d))


@pytest.mark.points(2)
def test_conv_param_count(student, rng):
    """conv_param_count for square and rectangular kernels, with and without bias"""
    for _ in range(20):
        cin, cout = (int(v) for v in rng.integers(1, 100, size=2))
        k = int(rng.integers(1, 8)) if rng.random() < 0.5 else tuple(int(v) for v in rng.integers(1, 8, size=2))
        bias = bool(rng.random() < 0.5)
        assert_equal_value(student.call("conv.conv_param_count", cin, cout, k, bias=bias),
                           ref.conv_param_count(cin, cout, k, bias=bias), "conv_param_count",
                           kind(in_channels=cin, out_channels=cout, kernel_size=k, bias=bias))


@pytest.mark.points(2)
def test_zero_pad(student, rng):
    """zero_pad pads H and W only, keeps dtype, leaves the input alone"""
    for dtype in (np.float64, np.float32, np.float64):
        x = rng.standard_normal(tuple(int(v) for v in rng.integers(1, 6, size=4))).astype(dtype)
        pad = int(rng.integers(0, 4))
        assert_close(student.call("conv.zero_pad", x, pad), ref.zero_pad(x, pad), "zero_pad",
                     context=describe(x=x, padding=pad))
        assert_inputs_unchanged(student, {"x": x}, "zero_pad")


# ----------------------------------------------------------------------------------- convolution
@pytest.mark.points(3)
def test_naive_forward(student, rng):
    """conv2d_forward_naive on random non-square inputs, strides and paddings (float64)"""
    check_forward(student, "conv.conv2d_forward_naive", rng, np.float64)


@pytest.mark.points(3)
def test_naive_backward(student, rng):
    """conv2d_backward_naive: dx, dw, db (float64)"""
    check_backward(student, "conv.conv2d_forward_naive", "conv.conv2d_backward_naive", rng, np.float64)


@pytest.mark.points(3)
def test_forward(student, rng):
    """conv2d_forward (vectorised) on random non-square inputs, strides and paddings (float64)"""
    check_forward(student, "conv.conv2d_forward", rng, np.float64)


@pytest.mark.points(3)
def test_backward(student, rng):
    """conv2d_backward (vectorised): dx, dw, db (float64)"""
    check_backward(student, "conv.conv2d_forward", "conv.conv2d_backward", rng, np.float64)


@pytest.mark.points(2)
def test_float32_kept(student, rng):
    """float32 inputs give float32 outputs and gradients (naive and vectorised)"""
    check_forward(student, "conv.conv2d_forward_naive", rng, np.float32)
    check_forward(student, "conv.conv2d_forward", rng, np.float32)
    check_backward(student, "conv.conv2d_forward_naive", "conv.conv2d_backward_naive", rng, np.float32)
    check_backward(student, "conv.conv2d_forward", "conv.conv2d_backward", rng, np.float32)


@pytest.mark.points(2)
def test_bad_arguments(student, rng):
    """conv2d_forward raises ValueError for mismatched or malformed arguments"""
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    expected, _ = ref.conv2d_forward(x, w, b, stride=1, padding=1)
    assert_close(student.call("conv.conv2d_forward", x, w, b, stride=1, padding=1)[0], expected,
                 "conv2d_forward output", context=describe(x=x, w=w, stride=1, padding=1))
    bad = {
        "channels of x and w differ": (x, rng.standard_normal((4, 2, 3, 3)), b, 1, 0),
        "x is not 4-D": (x[0], w, b, 1, 0),
        "w is not 4-D": (x, w[0], b, 1, 0),
        "b has the wrong length": (x, w, b[:3], 1, 0),
        "the kernel is larger than the padded input": (x, rng.standard_normal((4, 3, 9, 9)), b, 1, 1),
        "stride is 0": (x, w, b, 0, 0),
        "padding is negative": (x, w, b, 1, -1),
    }
    for name in ("conv.conv2d_forward", "conv.conv2d_forward_naive"):
        for why, (bx, bw, bb, s, p) in bad.items():
            assert_raises(student, ValueError, name, bx, bw, bb, stride=s, padding=p, context=why)


@pytest.mark.points(2)
def test_vectorised_speed(student, rng):
    """the vectorised forward+backward is at least 50x faster than naive loops on a mid-size input"""
    x = rng.standard_normal((8, 3, 32, 32))
    w = rng.standard_normal((16, 3, 3, 3))
    b = rng.standard_normal(16)
    out, cache = ref.conv2d_forward(x, w, b, stride=1, padding=1)
    dout = rng.standard_normal(out.shape)
    result = student.call("conv.conv2d_forward", x, w, b, stride=1, padding=1)
    assert_close(result[0], out, "conv2d_forward output", context=describe(x=x, w=w, stride=1, padding=1))

    def forward_inputs():  # fresh inputs every repetition: a cache keyed by the inputs saves nothing
        args, kwargs = (rng.standard_normal(x.shape), w, b), {"stride": 1, "padding": 1}
        return args, kwargs, timed_answer(ref.conv2d_forward(*args, **kwargs)[:1], ["conv2d_forward output"])

    def backward_inputs():
        args, kwargs, _ = forward_inputs()
        d = rng.standard_normal(dout.shape)
        expected = ref.conv2d_backward(d, ref.conv2d_forward(*args, **kwargs)[1])
        cache = student.call("conv.conv2d_forward", *args, **kwargs)[1]
        return (d, cache), {}, timed_answer(expected, ["dx", "dw", "db"], rtol=1e-6, atol=1e-8)

    fast = student.time("conv.conv2d_forward", forward_inputs) + student.time("conv.conv2d_backward", backward_inputs)
    with student.stopped():  # nothing of the student's runs while the trusted side measures the loops
        start = time.perf_counter()
        _, naive_cache = ref.conv2d_forward_naive(x, w, b, stride=1, padding=1)
        ref.conv2d_backward_naive(dout, naive_cache)
        naive = time.perf_counter() - start
    assert naive / fast >= 50, (f"conv2d_forward + conv2d_backward took {fast * 1e3:.1f} ms, only "
                                f"{naive / fast:.0f}x faster than naive loops ({naive * 1e3:.0f} ms); "
                                "remove the Python loops over N, F, H' and W'")
