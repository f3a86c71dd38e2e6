"""The reference solutions/conv.py against an independent oracle (torch) on random shapes.

Forward values and the gradients dx, dw, db come from torch.nn.functional.conv2d and autograd;
output sizes from the shapes torch produces; parameter counts from torch.nn.Conv2d.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from solutions import conv

IMPLEMENTATIONS = {
    "naive": (conv.conv2d_forward_naive, conv.conv2d_backward_naive),
    "fast": (conv.conv2d_forward, conv.conv2d_backward),
}

# (N, C, H, W, F, HH, WW, stride, padding): edge cases that random draws may miss.
EDGE_CASES = [
    (1, 1, 5, 7, 1, 3, 2, 1, 0),    # batch and channels of 1, non-square input and kernel
    (2, 2, 9, 11, 3, 2, 1, 3, 0),   # stride > kernel: some input pixels are never seen
    (1, 3, 8, 6, 2, 1, 1, 3, 1),    # 1x1 kernel, stride 3, padding
    (2, 1, 3, 4, 2, 5, 6, 1, 2),    # kernel larger than the input, fits thanks to padding
    (3, 2, 7, 7, 2, 3, 3, 2, 1),    # cs231n-style: odd size, stride 2, pad 1
    (1, 2, 10, 5, 4, 4, 3, 2, 2),   # even kernel height, last rows skipped by the floor
    (2, 3, 6, 9, 1, 3, 3, 1, 1),    # one filter
]


def random_case(rng):
    """A random, valid configuration with small, usually non-square sizes."""
    N, C, F = (int(v) for v in rng.integers(1, 4, size=3))
    HH, WW = (int(v) for v in rng.integers(1, 5, size=2))
    stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    H = int(rng.integers(max(1, HH - 2 * padding), HH + 9))
    W = int(rng.integers(max(1, WW - 2 * padding), WW + 9))
    return N, C, H, W, F, HH, WW, stride, padding


CASES = [pytest.param(case, id="edge%d" % i) for i, case in enumerate(EDGE_CASES)] + [
    pytest.param(random_case(np.random.default_rng(seed)), id="seed%d" % seed) for seed in range(14)
]


def make_arrays(case, rng, dtype=np.float64):
    N, C, H, W, F, HH, WW, stride, padding = case
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    H_out = (H + 2 * padding - HH) // stride + 1
    W_out = (W + 2 * padding - WW) // stride + 1
    dout = rng.standard_normal((N, F, H_out, W_out)).astype(dtype)
    return x, w, b, dout


def torch_conv(x, w, b, dout, stride, padding):
    """Output and gradients (dx, dw, db) from torch autograd, in float64."""
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    out = tF.conv2d(xt, wt, bt, stride=stride, padding=padding)
    out.backward(torch.tensor(dout, dtype=torch.float64))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def run(impl, x, w, b, dout, stride, padding):
    forward, backward = IMPLEMENTATIONS[impl]
    out, cache = forward(x, w, b, stride=stride, padding=padding)
    dx, dw, db = backward(dout, cache)
    return out, dx, dw, db


NAMES = ("out", "dx", "dw", "db")


# ---------------------------------------------------------------------------
# Values and gradients against torch
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("case", CASES)
def test_matches_torch_float64(impl, case):
    stride, padding = case[-2:]
    x, w, b, dout = make_arrays(case, np.random.default_rng(list(case)))
    expected = torch_conv(x, w, b, dout, stride, padding)
    for name, got, want in zip(NAMES, run(impl, x, w, b, dout, stride, padding), expected):
        assert isinstance(got, np.ndarray), name
        assert got.shape == want.shape, f"{name}: shape {got.shape}, torch {want.shape}"
        assert got.dtype == np.float64, f"{name}: dtype {got.dtype}"
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("seed", range(4))
def test_float32_close_and_dtype_preserved(impl, seed):
    rng = np.random.default_rng(100 + seed)
    case = EDGE_CASES[seed] if seed < 2 else random_case(rng)
    stride, padding = case[-2:]
    x, w, b, dout = make_arrays(case, rng, np.float32)
    expected = torch_conv(x, w, b, dout, stride, padding)  # float64 from the same float32 inputs
    for name, got, want in zip(NAMES, run(impl, x, w, b, dout, stride, padding), expected):
        assert got.dtype == np.float32, f"{name}: float32 in, {got.dtype} out"
        assert got.shape == want.shape, name
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale, err_msg=name)


@pytest.mark.parametrize("seed", range(6))
def test_naive_equals_fast(seed):
    rng = np.random.default_rng(200 + seed)
    case = random_case(rng)
    stride, padding = case[-2:]
    x, w, b, dout = make_arrays(case, rng)
    for name, a, c in zip(NAMES, run("naive", x, w, b, dout, stride, padding),
                          run("fast", x, w, b, dout, stride, padding)):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("padding", [0, 1])
def test_inputs_not_modified(impl, padding):
    forward, backward = IMPLEMENTATIONS[impl]
    case = (2, 2, 6, 5, 1, 2, 2, 2, padding)  # one filter, non-overlapping windows
    x, w, b, dout = make_arrays(case, np.random.default_rng(7))
    originals = [a.copy() for a in (x, w, b, dout)]
    out, cache = forward(x, w, b, stride=2, padding=padding)
    backward(dout, cache)
    backward(dout, cache)  # the cache survives a second use
    for name, a, original in zip(("x", "w", "b", "dout"), (x, w, b, dout), originals):
        assert np.array_equal(a, original), f"{name} was modified"


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
def test_caches_are_independent(impl):
    """Two forward passes in a row, then their backward passes in reverse order."""
    forward, backward = IMPLEMENTATIONS[impl]
    rng = np.random.default_rng(8)
    cases = [(2, 3, 7, 5, 2, 3, 2, 1, 1), (1, 2, 6, 9, 3, 2, 3, 2, 0)]
    arrays = [make_arrays(case, rng) for case in cases]
    caches = [forward(x, w, b, stride=case[-2], padding=case[-1])[1]
              for case, (x, w, b, _) in zip(cases, arrays)]
    for case, (x, w, b, dout), cache in reversed(list(zip(cases, arrays, caches))):
        expected = torch_conv(x, w, b, dout, *case[-2:])[1:]
        for name, got, want in zip(NAMES[1:], backward(dout, cache), expected):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=name)


def test_correlation_not_convolution():
    """A one-hot kernel picks the input pixel at the same offset (no flip)."""
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 0, 0] = 1.0
    for forward, _ in IMPLEMENTATIONS.values():
        out, _ = forward(x, w, np.zeros(1))
        np.testing.assert_array_equal(out[0, 0], x[0, 0, :2, :2])


# ---------------------------------------------------------------------------
# zero_pad
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("padding", [0, 1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_pad(padding, dtype):
    x = np.random.default_rng(padding).standard_normal((2, 3, 4, 5)).astype(dtype)
    original = x.copy()
    got = conv.zero_pad(x, padding)
    want = tF.pad(torch.from_numpy(x), (padding,) * 4).numpy()
    assert got.dtype == dtype and got.shape == (2, 3, 4 + 2 * padding, 5 + 2 * padding)
    np.testing.assert_array_equal(got, want)
    assert not np.shares_memory(got, x)
    assert np.array_equal(x, original)


# ---------------------------------------------------------------------------
# Output sizes, windows, "same" padding, parameter counts
# ---------------------------------------------------------------------------

def torch_output_size(size, kernel_size, stride, padding, dilation):
    """Output width of torch's conv2d on a 1-row input, or None when torch rejects the sizes."""
    x = torch.zeros(1, 1, 1, size)
    w = torch.zeros(1, 1, 1, kernel_size)
    try:
        return tF.conv2d(x, w, stride=(1, stride), padding=(0, padding), dilation=(1, dilation)).shape[-1]
    except RuntimeError:
        return None


def random_size_args(rng):
    return (int(rng.integers(1, 40)), int(rng.integers(1, 8)), int(rng.integers(1, 5)),
            int(rng.integers(0, 4)), int(rng.integers(1, 4)))


SIZE_ARGS = [args for seed in range(6) for args in
             (random_size_args(rng) for rng in [np.random.default_rng(300 + seed)] for _ in range(60))]


@pytest.mark.parametrize("chunk", range(6))
def test_conv_output_size_matches_torch(chunk):
    rejected = 0
    for args in SIZE_ARGS[chunk::6]:
        want = torch_output_size(*args)
        if want is None:
            rejected += 1
            with pytest.raises(ValueError):
                conv.conv_output_size(*args)
        else:
            got = conv.conv_output_size(*args)
            assert type(got) is int and got == want, f"conv_output_size{args} = {got}, torch {want}"
    assert rejected < len(SIZE_ARGS[chunk::6])


def test_conv_output_size_known_values():
    assert conv.conv_output_size(32, 5) == 28
    assert conv.conv_output_size(32, 5, padding=1) == 30
    assert conv.conv_output_size(32, 5, padding=2) == 32
    assert conv.conv_output_size(7, 3, stride=2) == 3
    assert conv.conv_output_size(7, 3, stride=3) == 2          # (7 - 3) / 3 + 1 = 2.33, floored
    assert conv.conv_output_size(31, 3, stride=2, padding=1) == 16
    assert conv.conv_output_size(10, 3, dilation=2) == 6       # effective kernel 5
    assert conv.conv_output_size(np.int64(9), np.int64(3)) == 7


@pytest.mark.parametrize("chunk", range(3))
def test_window_fits_matches_torch(chunk):
    """A window fits exactly when torch's last window ends on the last padded pixel."""
    for size, kernel_size, stride, padding, dilation in SIZE_ARGS[chunk::3]:
        out = torch_output_size(size, kernel_size, stride, padding, dilation)
        effective = dilation * (kernel_size - 1) + 1
        want = out is not None and (out - 1) * stride + effective == size + 2 * padding
        got = conv.window_fits(size, kernel_size, stride, padding, dilation)
        assert type(got) is bool and got == want, (size, kernel_size, stride, padding, dilation)


def test_window_fits_known_values():
    assert conv.window_fits(7, 3, stride=2)
    assert not conv.window_fits(7, 3, stride=3)
    assert conv.window_fits(32, 5, stride=3)                   # (32 - 5) / 3 = 9 exactly
    assert not conv.window_fits(32, 5, stride=3, padding=2)    # (32 - 5 + 4) / 3 leaves 1
    assert not conv.window_fits(3, 5)                           # kernel larger than the input


@pytest.mark.parametrize("kernel_size", [1, 3, 5, 7])
@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_same_padding_matches_torch(kernel_size, dilation):
    padding = conv.same_padding(kernel_size, dilation)
    x = torch.randn(1, 1, 9, 12, dtype=torch.float64)
    w = torch.randn(1, 1, kernel_size, kernel_size, dtype=torch.float64)
    ours = tF.conv2d(x, w, padding=padding, dilation=dilation)
    same = tF.conv2d(x, w, padding="same", dilation=dilation)
    assert ours.shape == x.shape
    torch.testing.assert_close(ours, same)


def test_same_padding_even_kernel_with_even_dilation():
    # kernel 2, dilation 2: effective size 3 is odd, so padding 1 keeps the size
    assert conv.same_padding(2, dilation=2) == 1
    assert conv.same_padding(4, dilation=2) == 3


@pytest.mark.parametrize("seed", range(3))
def test_conv_param_count_matches_torch(seed):
    rng = np.random.default_rng(400 + seed)
    for _ in range(20):
        c_in, c_out = (int(v) for v in rng.integers(1, 70, size=2))
        kh, kw = (int(v) for v in rng.integers(1, 8, size=2))
        kernel_size = kh if rng.random() < 0.4 else (kh, kw)
        bias = bool(rng.random() < 0.5)
        layer = torch.nn.Conv2d(c_in, c_out, kernel_size, bias=bias)
        want = sum(p.numel() for p in layer.parameters())
        got = conv.conv_param_count(c_in, c_out, kernel_size, bias=bias)
        assert type(got) is int and got == want, (c_in, c_out, kernel_size, bias)


def test_conv_param_count_known_values():
    assert conv.conv_param_count(3, 10, 5) == 760              # (5 * 5 * 3 + 1) * 10
    assert conv.conv_param_count(3, 10, (5, 5), bias=False) == 750
    assert conv.conv_param_count(64, 32, 1) == 64 * 32 + 32    # a 1x1 convolution


# ---------------------------------------------------------------------------
# ValueError rules
# ---------------------------------------------------------------------------

def _conv_arrays(N=2, C=3, H=5, W=6, F=4, HH=3, WW=3, dtype=np.float64):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((N, C, H, W)).astype(dtype), rng.standard_normal((F, C, HH, WW)).astype(dtype),
            rng.standard_normal(F).astype(dtype))


X, W, B = _conv_arrays()

CONV_BAD_ARGS = [
    ("x rank", (X[0], W, B), {}, r"x must have 4 axes.*x\[None\]"),
    ("w rank", (X, W[0], B), {}, r"w must have 4 axes"),
    ("b rank", (X, W, B[:, None]), {}, r"b must have 1 axis "),
    ("channels", (X, W[:, :2], B), {}, r"channel mismatch.*C=3.*2"),
    ("bias shape", (X, W, B[:3]), {}, r"b must have shape \(F,\) = \(4,\)"),
    ("kernel too big", (X, *_conv_arrays(HH=6, WW=3)[1:]), {}, r"larger than the padded 5x6 input"),
    ("kernel too big padded", (X, *_conv_arrays(HH=3, WW=9)[1:]), {"padding": 1}, r"larger than the padded 7x8"),
    ("stride 0", (X, W, B), {"stride": 0}, r"stride must be a positive integer"),
    ("stride negative", (X, W, B), {"stride": -1}, r"stride must be a positive integer"),
    ("stride float", (X, W, B), {"stride": 2.0}, r"stride must be an integer"),
    ("stride bool", (X, W, B), {"stride": True}, r"stride must be an integer"),
    ("padding negative", (X, W, B), {"padding": -1}, r"padding must be an integer >= 0"),
    ("padding float", (X, W, B), {"padding": 0.5}, r"padding must be an integer"),
    ("mixed dtypes", (X.astype(np.float32), W, B), {}, r"share one dtype"),
    ("integer dtype", (X.astype(np.int64), W.astype(np.int64), B.astype(np.int64)), {}, r"floating-point"),
    ("list input", (X.tolist(), W, B), {}, r"numpy array"),
    ("empty x", (X[:0], W, B), {}, r"must not be empty"),
]


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("args,kwargs,match", [pytest.param(*row[1:], id=row[0]) for row in CONV_BAD_ARGS])
def test_conv_forward_rejects_bad_arguments(impl, args, kwargs, match):
    forward, _ = IMPLEMENTATIONS[impl]
    with pytest.raises(ValueError, match=match):
        forward(*args, **kwargs)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
def test_conv_backward_rejects_bad_dout(impl):
    forward, backward = IMPLEMENTATIONS[impl]
    _, cache = forward(X, W, B)
    with pytest.raises(ValueError, match="dout must have 4 axes"):
        backward(np.ones((2, 4, 3)), cache)


@pytest.mark.parametrize("args,match", [
    pytest.param((X, -1), r"padding must be an integer >= 0", id="negative"),
    pytest.param((X, 1.0), r"padding must be an integer", id="float"),
    pytest.param((X[0], 1), r"x must have 4 axes", id="rank"),
])
def test_zero_pad_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        conv.zero_pad(*args)


SIZE_BAD_ARGS = [
    ("size 0", (0, 3), r"size must be a positive integer"),
    ("kernel 0", (5, 0), r"kernel_size must be a positive integer"),
    ("stride 0", (5, 3, 0), r"stride must be a positive integer"),
    ("stride negative", (5, 3, -2), r"stride must be a positive integer"),
    ("padding negative", (5, 3, 1, -1), r"padding must be >= 0"),
    ("dilation 0", (5, 3, 1, 0, 0), r"dilation must be a positive integer"),
    ("stride float", (5, 3, 1.5), r"stride must be an integer"),
    ("kernel float", (5, 3.0), r"kernel_size must be an integer"),
    ("padding bool", (5, 3, 1, True), r"padding must be an integer"),
]


@pytest.mark.parametrize("func", [conv.conv_output_size, conv.window_fits])
@pytest.mark.parametrize("args,match", [pytest.param(*row[1:], id=row[0]) for row in SIZE_BAD_ARGS])
def test_size_functions_reject_bad_arguments(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


@pytest.mark.parametrize("args", [(3, 5), (5, 3, 1, 0, 3), (1, 2, 4)])
def test_conv_output_size_rejects_empty_output(args):
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv.conv_output_size(*args)
    assert conv.window_fits(*args) is False


@pytest.mark.parametrize("args,match", [
    pytest.param((4,), r"even effective kernel size 4", id="even"),
    pytest.param((2, 1), r"even effective kernel size 2", id="even2"),
    pytest.param((4, 3), r"even effective kernel size 10", id="even-dilated"),
    pytest.param((0,), r"kernel_size must be a positive integer", id="kernel0"),
    pytest.param((3, 0), r"dilation must be a positive integer", id="dilation0"),
    pytest.param((3.0,), r"kernel_size must be an integer", id="float"),
])
def test_same_padding_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        conv.same_padding(*args)


@pytest.mark.parametrize("args,kwargs,match", [
    pytest.param((0, 4, 3), {}, r"in_channels must be a positive integer", id="in0"),
    pytest.param((3, -1, 3), {}, r"out_channels must be a positive integer", id="out-negative"),
    pytest.param((3, 4, 0), {}, r"kernel_size must be a positive integer", id="kernel0"),
    pytest.param((3, 4, (3,)), {}, r"kernel_size must be an int or a pair", id="kernel-tuple1"),
    pytest.param((3, 4, (3, 0)), {}, r"kernel_size must be a positive integer", id="kernel-pair0"),
    pytest.param((3, 4, 3.0), {}, r"kernel_size must be an integer", id="kernel-float"),
    pytest.param((3, 4, 3), {"bias": "yes"}, r"bias must be True or False", id="bias"),
])
def test_conv_param_count_rejects_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv.conv_param_count(*args, **kwargs)
