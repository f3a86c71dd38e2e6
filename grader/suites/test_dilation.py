"""Hidden suite for part `dilation` (notebook 03): assignment/dilation.py against the reference, on random inputs."""
import time

import numpy as np
import pytest

from grader.suites.checks import (assert_close, assert_equal_value, assert_inputs_unchanged, assert_raises, describe,
                                  timed_answer)
from solutions import dilation as ref

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1e-4, atol=1e-5)}
FORWARD, BACKWARD = "dilation.conv2d_dilated_forward", "dilation.conv2d_dilated_backward"


def random_case(rng, dtype=np.float64, dilation=None):
    """x, w, b, stride, padding, dilation with small, often non-square shapes (batch/channels of 1 included)."""
    n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
    hh, ww = (int(v) for v in rng.integers(1, 5, size=2))
    stride, padding = int(rng.integers(1, 5)), int(rng.integers(0, 4))
    dilation = int(rng.integers(1, 5)) if dilation is None else dilation
    eff_h, eff_w = dilation * (hh - 1) + 1, dilation * (ww - 1) + 1
    h = int(rng.integers(max(1, eff_h - 2 * padding), eff_h + 9))
    w_ = int(rng.integers(max(1, eff_w - 2 * padding), eff_w + 9))
    x = rng.standard_normal((n, c, h, w_)).astype(dtype)
    w = rng.standard_normal((f, c, hh, ww)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    return x, w, b, stride, padding, dilation


def cases(rng, dtype=np.float64):
    """Random cases (every dilation 1..4 at least twice) plus corners: stride > effective kernel, 1x1 kernels,
    stride equal to the dilation, a window exactly as large as the padded input, a one-row kernel."""
    found = [random_case(rng, dtype, dilation=1 + i % 4) for i in range(10)]
    x = rng.standard_normal((2, 3, 11, 8)).astype(dtype)

    def wb(f, hh, ww):
        return rng.standard_normal((f, 3, hh, ww)).astype(dtype), rng.standard_normal(f).astype(dtype)

    found.append((x, *wb(4, 2, 2), 4, 0, 2))   # stride 4 > effective 3: pixels skipped
    found.append((x, *wb(5, 1, 1), 2, 1, 3))   # 1x1: dilation changes nothing
    found.append((x, *wb(2, 3, 3), 2, 1, 2))   # stride = dilation
    found.append((x, *wb(1, 4, 3), 1, 1, 3))   # effective 10x7 on the padded 13x10
    found.append((x, *wb(3, 3, 2), 1, 0, 5))   # effective 11x6: one output row
    found.append((x, *wb(2, 1, 3), 3, 2, 4))   # one-row kernel, wide effective span
    return found


def call_forward(student, x, w, b, stride, padding, dilation):
    result = student.call(FORWARD, x, w, b, stride=stride, padding=padding, dilation=dilation)
    if not (isinstance(result, tuple) and len(result) == 2):
        pytest.fail("conv2d_dilated_forward must return a pair (out, cache)")
    return result


def check_forward(student, rng, dtype, only_dilation_one=False):
    for x, w, b, stride, padding, dilation in cases(rng, dtype):
        if only_dilation_one:
            dilation = 1
            if w.shape[2] > x.shape[2] + 2 * padding or w.shape[3] > x.shape[3] + 2 * padding:
                continue
        context = describe(x=x, w=w, stride=stride, padding=padding, dilation=dilation)
        expected, _ = ref.conv2d_dilated_forward(x, w, b, stride=stride, padding=padding, dilation=dilation)
        out, _ = call_forward(student, x, w, b, stride, padding, dilation)
        assert_close(out, expected, "conv2d_dilated_forward output", context=context, **TOL[dtype])
        assert_inputs_unchanged(student, {"x": x, "w": w, "b": b}, "conv2d_dilated_forward")


def check_backward(student, rng, dtype):
    for x, w, b, stride, padding, dilation in cases(rng, dtype):
        context = describe(x=x, w=w, stride=stride, padding=padding, dilation=dilation)
        out, cache = ref.conv2d_dilated_forward(x, w, b, stride=stride, padding=padding, dilation=dilation)
        dout = rng.standard_normal(out.shape).astype(dtype)
        expected = ref.conv2d_dilated_backward(dout, cache)
        _, handle = call_forward(student, x, w, b, stride, padding, dilation)
        grads = student.call(BACKWARD, dout, handle)
        if not (isinstance(grads, tuple) and len(grads) == 3):
            pytest.fail("conv2d_dilated_backward must return a triple (dx, dw, db)")
        for label, got, want in zip(("dx", "dw", "db"), grads, expected):
            assert_close(got, want, f"conv2d_dilated_backward {label}", context=context, **TOL[dtype])
        assert_inputs_unchanged(student, {"dout": dout}, "conv2d_dilated_backward")


def random_stack(rng, strides=True):
    """A random list of (kernel_size, stride, dilation) layers (1 to 6 of them)."""
    layers = []
    for _ in range(int(rng.integers(1, 7))):
        k = int(rng.integers(1, 8))
        s = int(rng.integers(1, 4)) if strides and rng.random() < 0.6 else 1
        d = int(rng.integers(1, 9)) if rng.random() < 0.7 else 1
        layers.append((k, s, d))
    return layers


# ----------------------------------------------------------------------------------- dilated kernels
@pytest.mark.points(2)
def test_dilate_kernel(student, rng):
    """dilate_kernel inserts dilation - 1 zeros between taps (random shapes and dilations, float32 and float64)"""
    for i in range(12):
        dtype = (np.float64, np.float32)[i % 2]
        w = rng.standard_normal(tuple(int(v) for v in rng.integers(1, 5, size=4))).astype(dtype)
        dilation = 1 + i % 5
        got = student.call("dilation.dilate_kernel", w, dilation)
        assert_close(got, ref.dilate_kernel(w, dilation), "dilate_kernel", context=describe(w=w, dilation=dilation),
                     rtol=0, atol=0)
        assert_inputs_unchanged(student, {"w": w}, "dilate_kernel")


@pytest.mark.points(1)
def test_dilate_kernel_rejects_bad_arguments(student, rng):
    """dilate_kernel raises ValueError for a dilation that is not a positive integer"""
    w = rng.standard_normal((2, 3, 3, 2))
    assert_close(student.call("dilation.dilate_kernel", w, 2), ref.dilate_kernel(w, 2), "dilate_kernel",
                 context=describe(w=w, dilation=2))
    for bad, why in ((0, "dilation 0"), (-2, "a negative dilation"), (1.5, "a fractional dilation"),
                     (2.0, "a dilation given as a float")):
        assert_raises(student, ValueError, "dilation.dilate_kernel", w, bad, context=why)


# --------------------------------------------------------------------------------- dilated convolution
@pytest.mark.points(2)
def test_forward_dilation_one(student, rng):
    """conv2d_dilated_forward with dilation 1 is the ordinary convolution (random strides and paddings)"""
    check_forward(student, rng, np.float64, only_dilation_one=True)


@pytest.mark.points(4)
def test_forward(student, rng):
    """conv2d_dilated_forward on random non-square inputs, strides, paddings and dilations (float64)"""
    check_forward(student, rng, np.float64)


@pytest.mark.points(4)
def test_backward(student, rng):
    """conv2d_dilated_backward: dx, dw, db on random strides, paddings and dilations (float64)"""
    check_backward(student, rng, np.float64)


@pytest.mark.points(2)
def test_float32_kept(student, rng):
    """float32 inputs give float32 outputs and gradients"""
    check_forward(student, rng, np.float32)
    check_backward(student, rng, np.float32)


@pytest.mark.points(1)
def test_cache_reused(student, rng):
    """two forward passes, then their backward passes in reverse order (each cache keeps its own inputs)"""
    runs = []
    for _ in range(2):
        x, w, b, stride, padding, dilation = random_case(rng, dilation=int(rng.integers(2, 4)))
        out, cache = ref.conv2d_dilated_forward(x, w, b, stride=stride, padding=padding, dilation=dilation)
        dout = rng.standard_normal(out.shape)
        runs.append((describe(x=x, w=w, stride=stride, padding=padding, dilation=dilation), dout,
                     ref.conv2d_dilated_backward(dout, cache), call_forward(student, x, w, b, stride, padding,
                                                                            dilation)[1]))
    for context, dout, expected, handle in reversed(runs):
        grads = student.call(BACKWARD, dout, handle)
        if not (isinstance(grads, tuple) and len(grads) == 3):
            pytest.fail("conv2d_dilated_backward must return a triple (dx, dw, db)")
        for label, got, want in zip(("dx", "dw", "db"), grads, expected):
            assert_close(got, want, f"conv2d_dilated_backward {label}", context=context)


@pytest.mark.points(2)
def test_bad_arguments(student, rng):
    """conv2d_dilated_forward raises ValueError for mismatched or malformed arguments"""
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    expected, _ = ref.conv2d_dilated_forward(x, w, b, stride=1, padding=1, dilation=2)
    out, _ = call_forward(student, x, w, b, 1, 1, 2)
    assert_close(out, expected, "conv2d_dilated_forward output",
                 context=describe(x=x, w=w, stride=1, padding=1, dilation=2))
    bad = {
        "the dilated kernel (effective 7x7) is larger than the 7x6 input": (x, w, b, 1, 0, 3),
        "the dilated kernel (effective 9x9) is larger than the padded 9x8 input": (x, w, b, 1, 1, 4),
        "dilation is 0": (x, w, b, 1, 0, 0),
        "dilation is 1.5": (x, w, b, 1, 0, 1.5),
        "channels of x and w differ": (x, rng.standard_normal((4, 2, 3, 3)), b, 1, 0, 1),
        "b has the wrong length": (x, w, b[:3], 1, 0, 2),
        "stride is 0": (x, w, b, 0, 0, 2),
        "padding is negative": (x, w, b, 1, -1, 1),
    }
    for why, (bx, bw, bb, s, p, d) in bad.items():
        assert_raises(student, ValueError, FORWARD, bx, bw, bb, stride=s, padding=p, dilation=d, context=why)


@pytest.mark.points(2)
def test_vectorised_speed(student, rng):
    """conv2d_dilated_forward + backward is at least 50x faster than naive loops on a mid-size input"""
    x = rng.standard_normal((8, 3, 32, 32))
    w = rng.standard_normal((16, 3, 3, 3))
    b = rng.standard_normal(16)
    out, _ = ref.conv2d_dilated_forward(x, w, b, stride=1, padding=2, dilation=2)
    dout = rng.standard_normal(out.shape)
    result = call_forward(student, x, w, b, 1, 2, 2)
    assert_close(result[0], out, "conv2d_dilated_forward output",
                 context=describe(x=x, w=w, stride=1, padding=2, dilation=2))

    def forward_inputs():  # fresh inputs every repetition: a cache keyed by the inputs saves nothing
        args, kwargs = (rng.standard_normal(x.shape), w, b), {"stride": 1, "padding": 2, "dilation": 2}
        expected = ref.conv2d_dilated_forward(*args, **kwargs)[:1]
        return args, kwargs, timed_answer(expected, ["conv2d_dilated_forward output"])

    def backward_inputs():
        args, kwargs, _ = forward_inputs()
        d = rng.standard_normal(dout.shape)
        expected = ref.conv2d_dilated_backward(d, ref.conv2d_dilated_forward(*args, **kwargs)[1])
        cache = student.call(FORWARD, *args, **kwargs)[1]
        return (d, cache), {}, timed_answer(expected, ["dx", "dw", "db"], rtol=1e-6, atol=1e-8)

    fast = student.time(FORWARD, forward_inputs) + student.time(BACKWARD, backward_inputs)
    with student.stopped():  # nothing of the student's runs while the trusted side measures the loops
        start = time.perf_counter()
        naive_dilated_loops(x, w, b, dout, padding=2, dilation=2)
        naive = time.perf_counter() - start
    assert naive / fast >= 50, (f"conv2d_dilated_forward + conv2d_dilated_backward took {fast * 1e3:.1f} ms, only "
                                f"{naive / fast:.0f}x faster than naive loops ({naive * 1e3:.0f} ms); "
                                "remove the Python loops over N, F, H' and W'")


def naive_dilated_loops(x, w, b, dout, padding, dilation):
    """Forward and backward with explicit loops over N, F, H' and W' (stride 1): the speed yardstick."""
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    out = np.zeros(dout.shape)
    span_h, span_w = dilation * (HH - 1) + 1, dilation * (WW - 1) + 1
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x_pad[n, :, i:i + span_h:dilation, j:j + span_w:dilation]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
                    dx_pad[n, :, i:i + span_h:dilation, j:j + span_w:dilation] += w[f] * dout[n, f, i, j]
                    dw[f] += window * dout[n, f, i, j]
    return out, dx_pad, dw


# ------------------------------------------------------------------------------------ receptive fields
@pytest.mark.points(2)
def test_receptive_field_stride_one(student, rng):
    """receptive_field of stacks at stride 1: 3x3 stacks, dilations 1, 2, 4, 8, random kernels and dilations"""
    known = [[(3, 1, 1)] * 3, [(3, 1, 1), (3, 1, 2), (3, 1, 4)], [(3, 1, 2 ** i) for i in range(5)], [(5, 1, 1)],
             [(1, 1, 1)], [(3, 1, 2)] * 3]
    for layers in known + [random_stack(rng, strides=False) for _ in range(25)]:
        assert_equal_value(student.call("dilation.receptive_field", layers), ref.receptive_field(layers),
                           "receptive_field", stack_kind(layers))


@pytest.mark.points(2)
def test_receptive_field_with_strides(student, rng):
    """receptive_field of stacks with strides and pooling layers (random, and VGG-like)"""
    known = [[(3, 1, 1), (2, 2, 1), (3, 1, 1)], [(3, 1, 1), (3, 1, 1), (2, 2, 1)] * 3, [(7, 2, 1), (3, 2, 1)],
             [(3, 2, 1), (3, 1, 2)], [(2, 2, 1)] * 4]
    for layers in known + [random_stack(rng) for _ in range(25)]:
        assert_equal_value(student.call("dilation.receptive_field", layers), ref.receptive_field(layers),
                           "receptive_field", stack_kind(layers))
    tupled = tuple(tuple(layer) for layer in known[1])
    assert_equal_value(student.call("dilation.receptive_field", tupled), ref.receptive_field(tupled),
                       "receptive_field", "layers given as a tuple of tuples, " + stack_kind(tupled))


@pytest.mark.points(1)
def test_receptive_field_rejects_bad_arguments(student):
    """receptive_field raises ValueError for layers that are not (kernel_size, stride, dilation) triples"""
    assert_equal_value(student.call("dilation.receptive_field", [(3, 1, 1), (3, 2, 2)]), 7, "receptive_field",
                       "valid layers, " + stack_kind([(3, 1, 1), (3, 2, 2)]))
    bad = [([(3, 1)], "a layer of two numbers"), ([(3, 1, 0)], "dilation 0"), ([(0, 1, 1)], "kernel_size 0"),
           ([(3, -1, 1)], "a negative stride"), ([(3.5, 1, 1)], "a fractional kernel_size"),
           ([3, 1, 1], "numbers instead of (kernel_size, stride, dilation) triples"), ("3x3", "a string")]
    for layers, why in bad:
        assert_raises(student, ValueError, "dilation.receptive_field", layers, context=why)


def stack_kind(layers):
    """'3 layers, strides > 1, dilations > 1': the kind of a stack, not its numbers."""
    layers = [tuple(layer) for layer in layers]
    words = [f"{len(layers)} layer{'s' if len(layers) != 1 else ''}"]
    words += ["strides > 1"] if any(s > 1 for _, s, _ in layers) else []
    words += ["dilations > 1"] if any(d > 1 for *_, d in layers) else []
    words += ["1x1 kernels"] if any(k == 1 for k, *_ in layers) else []
    return ", ".join(words)
