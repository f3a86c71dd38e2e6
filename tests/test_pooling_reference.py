"""The reference solutions/pooling.py against an independent oracle (torch) on random shapes.

Max pooling against torch.nn.functional.max_pool2d and its autograd (including where the gradient of a
window with several equal maxima goes), average pooling against avg_pool2d, global average pooling
against adaptive_avg_pool2d(x, 1); all in float64 to 1e-10, plus float32 dtypes and the argument checks.
Padded pooling against max_pool2d / avg_pool2d with `padding` (torch pads max pooling with -inf and counts
the padded zeros in the mean of average pooling, count_include_pad=True), and torch's padding limit.
"""

import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from solutions import pooling

IMPLEMENTATIONS = {
    ("max", "naive"): (pooling.max_pool_forward_naive, pooling.max_pool_backward_naive),
    ("max", "fast"): (pooling.max_pool_forward, pooling.max_pool_backward),
    ("avg", "naive"): (pooling.avg_pool_forward_naive, pooling.avg_pool_backward_naive),
    ("avg", "fast"): (pooling.avg_pool_forward, pooling.avg_pool_backward),
}
TORCH = {"max": tF.max_pool2d, "avg": tF.avg_pool2d}

# (N, C, H, W, kernel_size, stride): edge cases that random draws may miss.
EDGE_CASES = [
    (1, 1, 4, 4, 2, None),   # the lecture's 4x4, 2x2/2 example
    (2, 3, 7, 5, 2, None),   # non-tiling: the last row and column are dropped
    (1, 2, 9, 9, 3, 1),      # overlapping, stride 1
    (2, 2, 13, 11, 3, 2),    # overlapping, AlexNet's 3x3/2
    (1, 3, 9, 8, 2, 3),      # stride > kernel: some pixels are never seen
    (3, 1, 5, 6, 5, None),   # a window as tall as the input
    (1, 2, 6, 7, 1, 2),      # 1x1 windows: plain subsampling
    (2, 1, 8, 3, 3, 1),      # tall and thin
]


def random_case(rng):
    N, C = (int(v) for v in rng.integers(1, 4, size=2))
    k = int(rng.integers(1, 5))
    stride = None if rng.random() < 0.25 else int(rng.integers(1, 5))
    H, W = (int(v) for v in rng.integers(k, k + 9, size=2))
    return N, C, H, W, k, stride


CASES = [pytest.param(case, id="edge%d" % i) for i, case in enumerate(EDGE_CASES)] + [
    pytest.param(random_case(np.random.default_rng(seed)), id="seed%d" % seed) for seed in range(12)
]


def make_input(case, rng, ties, dtype=np.float64):
    N, C, H, W, _, _ = case
    if ties:  # small integers: most windows hold several equal maxima
        return rng.integers(-2, 3, size=(N, C, H, W)).astype(dtype)
    return rng.standard_normal((N, C, H, W)).astype(dtype)


def torch_pool(kind, x, dout, k, stride, padding=0):
    xt = torch.tensor(x, requires_grad=True)
    out = TORCH[kind](xt, k, stride, padding)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("ties", [False, True], ids=["normal", "ties"])
@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS), ids=lambda i: "-".join(i))
@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_match_torch(case, impl, ties):
    rng = np.random.default_rng(zlib.crc32(repr((case, ties)).encode()))
    forward, backward = IMPLEMENTATIONS[impl]
    x = make_input(case, rng, ties)
    k, stride = case[4], case[5]
    out, cache = forward(x, k, stride)
    dout = rng.standard_normal(out.shape)
    ref_out, ref_dx = torch_pool(impl[0], x, dout, k, stride)
    assert out.shape == ref_out.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10)
    dx = backward(dout, cache)
    assert dx.shape == x.shape and dx.dtype == np.float64
    np.testing.assert_allclose(dx, ref_dx, rtol=0, atol=1e-10)


# (N, C, H, W, kernel_size, stride, padding), 1 <= padding <= kernel_size // 2
PADDED_EDGE_CASES = [
    (2, 3, 16, 16, 3, 2, 1),   # ResNet's stem pooling, 3x3/2 pad 1: 16 -> 8, exactly half
    (2, 2, 9, 7, 3, 1, 1),     # Inception's pool branch, 3x3/1 pad 1: the size is kept
    (1, 2, 7, 10, 4, 3, 2),    # padding = kernel_size // 2 with an even window, stride < kernel
    (2, 1, 5, 6, 5, 1, 2),     # a 5x5 window with padding 2 ('same' size)
    (1, 2, 6, 7, 2, None, 1),  # default stride with padding
    (3, 1, 8, 3, 2, 3, 1),     # stride > kernel: some pixels are never seen
    (1, 1, 1, 1, 2, 1, 1),     # a single pixel: every window is mostly padding
    (1, 2, 2, 9, 4, 1, 2),     # a window taller than the input, which only the padding makes fit
]


def random_padded_case(rng):
    N, C = (int(v) for v in rng.integers(1, 4, size=2))
    k = int(rng.integers(2, 6))
    padding = int(rng.integers(1, k // 2 + 1))
    stride = None if rng.random() < 0.2 else int(rng.integers(1, 5))
    H, W = (int(v) for v in rng.integers(max(1, k - 2 * padding), k + 9, size=2))
    return N, C, H, W, k, stride, padding


PADDED_CASES = [pytest.param(case, id="padded-edge%d" % i) for i, case in enumerate(PADDED_EDGE_CASES)] + [
    pytest.param(random_padded_case(np.random.default_rng(100 + seed)), id="padded-seed%d" % seed)
    for seed in range(12)
]


@pytest.mark.parametrize("values", ["normal", "ties", "negative"])
@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS), ids=lambda i: "-".join(i))
@pytest.mark.parametrize("case", PADDED_CASES)
def test_padded_values_and_gradients_match_torch(case, impl, values):
    """Padded pooling: values, output size and gradients as torch's, on random values, small integers
    (ties) and negative values only (where padding max pooling with zeros would change the border)."""
    rng = np.random.default_rng(zlib.crc32(repr((case, values)).encode()))
    forward, backward = IMPLEMENTATIONS[impl]
    N, C, H, W, k, stride, padding = case
    x = make_input(case[:6], rng, values == "ties")
    if values == "negative":
        x = -0.5 - np.abs(x)
    out, cache = forward(x, k, stride, padding)
    dout = rng.standard_normal(out.shape)
    ref_out, ref_dx = torch_pool(impl[0], x, dout, k, stride, padding)
    assert out.shape == ref_out.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10)
    dx = backward(dout, cache)
    assert dx.shape == x.shape and dx.dtype == np.float64
    np.testing.assert_allclose(dx, ref_dx, rtol=0, atol=1e-10)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS), ids=lambda i: "-".join(i))
def test_padded_float32_and_what_the_padding_holds(impl):
    """float32 stays float32 with padding; a map of -1 max-pooled with padding stays -1 (the padding is -inf);
    average pooling divides by kernel_size**2 whatever the window holds (the padded zeros count)."""
    kind = impl[0]
    forward, backward = IMPLEMENTATIONS[impl]
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 9, 7)).astype(np.float32)
    x_before = x.copy()
    out, cache = forward(x, 3, 2, 1)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx = backward(dout, cache)
    assert out.dtype == dx.dtype == np.float32
    np.testing.assert_array_equal(x, x_before)
    ref_out, ref_dx = torch_pool(kind, x, dout, 3, 2, 1)
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-5, atol=1e-6)
    ones = np.ones((1, 1, 3, 3))
    if kind == "max":
        np.testing.assert_array_equal(forward(-ones, 3, 1, 1)[0], -ones)
    else:
        np.testing.assert_allclose(forward(ones, 3, 1, 1)[0][0, 0], np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]]) / 9,
                                   rtol=0, atol=1e-15)


@pytest.mark.parametrize("forward", [f for f, _ in IMPLEMENTATIONS.values()], ids=lambda f: f.__name__)
@pytest.mark.parametrize("kernel_size,padding,why", [
    (3, -1, ">= 0"), (3, 2, "at most half"), (2, 2, "at most half"), (2, 1.0, "integer"), (2, (1, 1), "one integer"),
])
def test_bad_padding_raises_value_error(forward, kernel_size, padding, why):
    x = np.zeros((1, 2, 6, 5))
    with pytest.raises(ValueError, match=why):
        forward(x, kernel_size, 1, padding)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_torch_has_the_same_padding_limit(kind):
    """The limit the argument check enforces is torch's: padding at most kernel_size // 2."""
    x = torch.zeros((1, 1, 6, 6))
    assert TORCH[kind](x, 3, 1, 1).shape == (1, 1, 6, 6)
    with pytest.raises(RuntimeError, match="half"):
        TORCH[kind](x, 3, 1, 2)


def test_max_gradient_goes_to_the_first_maximum_like_torch():
    """A window full of equal values: torch and the reference both pick its top-left entry."""
    x = np.ones((1, 1, 4, 4))
    dout = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    _, ref_dx = torch_pool("max", x, dout, 2, 2)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, ::2, ::2] = dout[0, 0]
    np.testing.assert_array_equal(ref_dx, expected)
    for forward, backward in (IMPLEMENTATIONS[("max", "naive")], IMPLEMENTATIONS[("max", "fast")]):
        out, cache = forward(x, 2)
        np.testing.assert_array_equal(backward(dout, cache), expected)
    # overlapping windows: a pixel that is the first maximum of several windows collects all their gradients
    x = np.array([[[[0.0, 5.0, 5.0, 0.0], [1.0, 5.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])
    out_t, dx_t = torch_pool("max", x, np.ones((1, 1, 2, 3)), 2, 1)
    for forward, backward in (IMPLEMENTATIONS[("max", "naive")], IMPLEMENTATIONS[("max", "fast")]):
        out, cache = forward(x, 2, 1)
        np.testing.assert_array_equal(out, out_t)
        np.testing.assert_array_equal(backward(np.ones(out.shape), cache), dx_t)


@pytest.mark.parametrize("shape", [(2, 3, 7, 5), (1, 1, 1, 1), (3, 4, 1, 9), (2, 2, 6, 6)])
def test_global_average_pooling_matches_adaptive_avg_pool(shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    ref = tF.adaptive_avg_pool2d(xt, 1)
    dout = rng.standard_normal(shape[:2])
    ref.backward(torch.tensor(dout)[:, :, None, None])
    out, cache = pooling.global_avg_pool_forward(x)
    np.testing.assert_allclose(out, ref.detach().numpy()[:, :, 0, 0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(pooling.global_avg_pool_backward(dout, cache), xt.grad.numpy(), rtol=0, atol=1e-10)
    # global average pooling is average pooling with a window as large as the input (square inputs)
    if shape[2] == shape[3]:
        np.testing.assert_allclose(out, pooling.avg_pool_forward(x, shape[2])[0][:, :, 0, 0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS), ids=lambda i: "-".join(i))
def test_float32_in_float32_out_and_inputs_untouched(impl):
    rng = np.random.default_rng(3)
    forward, backward = IMPLEMENTATIONS[impl]
    x = rng.standard_normal((2, 3, 9, 7)).astype(np.float32)
    x_before = x.copy()
    out, cache = forward(x, 3, 2)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dout_before = dout.copy()
    dx = backward(dout, cache)
    assert out.dtype == dx.dtype == np.float32
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
    ref_out, ref_dx = torch_pool(impl[0], x, dout, 3, 2)
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-5, atol=1e-6)
    out, cache = pooling.global_avg_pool_forward(x)
    assert out.dtype == pooling.global_avg_pool_backward(out, cache).dtype == np.float32


@pytest.mark.parametrize("forward", [f for f, _ in IMPLEMENTATIONS.values()], ids=lambda f: f.__name__)
@pytest.mark.parametrize("kernel_size,stride,why", [
    (0, None, "positive"), (2.0, None, "kernel_size=2"), (True, None, "integer"), ((2, 2), None, "one integer"),
    (2, 0, "positive"), (2, 1.5, "integer"), (7, None, "larger than"),
])
def test_bad_arguments_raise_value_error(forward, kernel_size, stride, why):
    x = np.zeros((1, 2, 6, 5))
    with pytest.raises(ValueError, match=why):
        forward(x, kernel_size, stride)


def test_bad_arrays_raise_value_error():
    with pytest.raises(ValueError, match=r"x\[None\]"):
        pooling.max_pool_forward(np.zeros((2, 6, 5)), 2)
    with pytest.raises(ValueError, match="floating-point"):
        pooling.avg_pool_forward(np.zeros((1, 2, 6, 5), dtype=np.int64), 2)
    with pytest.raises(ValueError, match="4 axes"):
        pooling.global_avg_pool_forward(np.zeros((2, 6)))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        pooling.global_avg_pool_backward(np.zeros((2, 3, 1, 1)), ((2, 3, 4, 4), np.float64))
