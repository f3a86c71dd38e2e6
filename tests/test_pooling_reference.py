"""The reference solutions/pooling.py against an independent oracle (torch) on random shapes.

Max pooling against torch.nn.functional.max_pool2d and its autograd (including where the gradient of a
window with several equal maxima goes), average pooling against avg_pool2d, global average pooling
against adaptive_avg_pool2d(x, 1); all in float64 to 1e-10, plus float32 dtypes and the argument checks.
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


def torch_pool(kind, x, dout, k, stride):
    xt = torch.tensor(x, requires_grad=True)
    out = TORCH[kind](xt, k, stride)
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
