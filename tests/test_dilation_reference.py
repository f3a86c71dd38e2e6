"""The reference solutions/dilation.py against an independent oracle (torch) on random shapes.

Forward values and the gradients dx, dw, db come from torch.nn.functional.conv2d(dilation=...) and autograd;
receptive_field from the extent of the input gradient of one output unit, measured with torch autograd.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from solutions import dilation

# (N, C, H, W, F, HH, WW, stride, padding, dilation): edge cases that random draws may miss.
EDGE_CASES = [
    (1, 1, 9, 7, 1, 3, 2, 1, 0, 2),     # batch and channels of 1, non-square input and kernel
    (2, 2, 11, 9, 3, 2, 2, 4, 0, 2),    # stride 4 > effective kernel 3: pixels skipped
    (1, 3, 8, 6, 2, 1, 1, 3, 1, 5),     # 1x1 kernel: the dilation changes nothing
    (2, 1, 3, 4, 2, 3, 3, 1, 3, 3),     # effective 7x7 larger than the input, fits thanks to padding
    (3, 2, 12, 12, 2, 3, 3, 2, 2, 2),   # stride = dilation, "same"-style padding
    (1, 2, 13, 6, 4, 4, 3, 2, 1, 3),    # even kernel height, last rows skipped by the floor
    (2, 3, 6, 9, 1, 3, 3, 1, 1, 1),     # dilation 1: the ordinary convolution
    (1, 1, 11, 11, 1, 3, 3, 1, 0, 5),   # a single output pixel
]


def random_case(rng):
    """A random, valid configuration with small, usually non-square sizes."""
    N, C, F = (int(v) for v in rng.integers(1, 4, size=3))
    HH, WW = (int(v) for v in rng.integers(1, 5, size=2))
    stride, padding, dil = int(rng.integers(1, 4)), int(rng.integers(0, 4)), int(rng.integers(1, 5))
    eff_h, eff_w = dil * (HH - 1) + 1, dil * (WW - 1) + 1
    H = int(rng.integers(max(1, eff_h - 2 * padding), eff_h + 9))
    W = int(rng.integers(max(1, eff_w - 2 * padding), eff_w + 9))
    return N, C, H, W, F, HH, WW, stride, padding, dil


CASES = [pytest.param(case, id="edge%d" % i) for i, case in enumerate(EDGE_CASES)] + [
    pytest.param(random_case(np.random.default_rng(seed)), id="seed%d" % seed) for seed in range(16)
]


def make_arrays(case, rng, dtype=np.float64):
    N, C, H, W, F, HH, WW, stride, padding, dil = case
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    H_out = (H + 2 * padding - dil * (HH - 1) - 1) // stride + 1
    W_out = (W + 2 * padding - dil * (WW - 1) - 1) // stride + 1
    dout = rng.standard_normal((N, F, H_out, W_out)).astype(dtype)
    return x, w, b, dout


def torch_conv(x, w, b, dout, stride, padding, dil):
    """Output and gradients (dx, dw, db) from torch autograd, in float64."""
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    out = tF.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dil)
    out.backward(torch.tensor(dout, dtype=torch.float64))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def run(x, w, b, dout, stride, padding, dil):
    out, cache = dilation.conv2d_dilated_forward(x, w, b, stride=stride, padding=padding, dilation=dil)
    return (out, *dilation.conv2d_dilated_backward(dout, cache))


NAMES = ("out", "dx", "dw", "db")


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_float64(case):
    stride, padding, dil = case[-3:]
    x, w, b, dout = make_arrays(case, np.random.default_rng(list(case)))
    expected = torch_conv(x, w, b, dout, stride, padding, dil)
    for name, got, want in zip(NAMES, run(x, w, b, dout, stride, padding, dil), expected):
        assert isinstance(got, np.ndarray), name
        assert got.shape == want.shape, f"{name}: shape {got.shape}, torch {want.shape}"
        assert got.dtype == np.float64, f"{name}: dtype {got.dtype}"
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("seed", range(4))
def test_float32_close_and_dtype_preserved(seed):
    rng = np.random.default_rng(100 + seed)
    case = EDGE_CASES[seed] if seed < 2 else random_case(rng)
    stride, padding, dil = case[-3:]
    x, w, b, dout = make_arrays(case, rng, np.float32)
    expected = torch_conv(x, w, b, dout, stride, padding, dil)
    for name, got, want in zip(NAMES, run(x, w, b, dout, stride, padding, dil), expected):
        assert got.dtype == np.float32, f"{name}: float32 in, {got.dtype} out"
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale, err_msg=name)


@pytest.mark.parametrize("seed", range(4))
def test_equals_convolution_of_dilated_kernel(seed):
    rng = np.random.default_rng(200 + seed)
    case = random_case(rng)
    stride, padding, dil = case[-3:]
    x, w, b, _ = make_arrays(case, rng)
    ours, _ = dilation.conv2d_dilated_forward(x, w, b, stride=stride, padding=padding, dilation=dil)
    dense = tF.conv2d(*(torch.from_numpy(a) for a in (x, dilation.dilate_kernel(w, dil), b)), stride=stride,
                      padding=padding).numpy()
    np.testing.assert_allclose(ours, dense, rtol=1e-10, atol=1e-10)


def test_inputs_not_modified_and_caches_independent():
    rng = np.random.default_rng(7)
    cases = [EDGE_CASES[0], EDGE_CASES[4]]
    arrays = [make_arrays(case, rng) for case in cases]
    originals = [[a.copy() for a in group] for group in arrays]
    caches = [dilation.conv2d_dilated_forward(x, w, b, *case[-3:])[1] for case, (x, w, b, _) in zip(cases, arrays)]
    for case, (x, w, b, dout), cache in reversed(list(zip(cases, arrays, caches))):
        for _ in range(2):  # the cache survives a second use
            got = dilation.conv2d_dilated_backward(dout, cache)
            for name, g, want in zip(NAMES[1:], got, torch_conv(x, w, b, dout, *case[-3:])[1:]):
                np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-10, err_msg=name)
    for group, original in zip(arrays, originals):
        for a, o in zip(group, original):
            assert np.array_equal(a, o)


# ---------------------------------------------------------------------------
# dilate_kernel
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dil", [1, 2, 3, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dilate_kernel_matches_torch(dil, dtype):
    """Zeros inserted between taps = conv_transpose2d of each kernel with a 1x1 one at stride d."""
    w = np.random.default_rng(dil).standard_normal((3, 2, 3, 4)).astype(dtype)
    original = w.copy()
    got = dilation.dilate_kernel(w, dil)
    flat = torch.from_numpy(w).reshape(6, 1, 3, 4)
    want = tF.conv_transpose2d(flat, torch.ones(1, 1, 1, 1, dtype=flat.dtype), stride=dil).reshape(3, 2, *got.shape[2:])
    assert got.dtype == dtype and got.shape == (3, 2, dil * 2 + 1, dil * 3 + 1)
    np.testing.assert_array_equal(got, want.numpy())
    assert not np.shares_memory(got, w) and np.array_equal(w, original)


# ---------------------------------------------------------------------------
# receptive_field against a gradient measured with torch
# ---------------------------------------------------------------------------

def measured_receptive_field(layers):
    """Width of the input region with a non-zero gradient of the centre output unit (positive weights)."""
    size = dilation.receptive_field(layers) + 12
    for _ in range(len(layers)):
        size *= 2 if size < 400 else 1
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    h = x
    gen = torch.Generator().manual_seed(0)
    for k, s, d in layers:
        h = tF.conv2d(h, torch.rand(1, 1, k, k, dtype=torch.float64, generator=gen) + 0.5, stride=s, dilation=d)
    h[0, 0, h.shape[2] // 2, h.shape[3] // 2].backward()
    grad = x.grad[0, 0].numpy()
    rows, cols = np.flatnonzero(grad.any(axis=1)), np.flatnonzero(grad.any(axis=0))
    assert rows[0] > 0 and cols[0] > 0 and rows[-1] < size - 1 and cols[-1] < size - 1, "input too small"
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


KNOWN_STACKS = [
    ([(3, 1, 1)] * 3, 7),
    ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),
    ([(3, 1, 2 ** i) for i in range(4)], 31),
    ([(3, 1, 1), (2, 2, 1), (3, 1, 1)], 8),
    ([(3, 1, 2)] * 3, 13),
    ([(7, 2, 1), (3, 2, 1), (3, 1, 2)], 7 + 2 * 2 + 2 * 2 * 4),
]


@pytest.mark.parametrize("layers,expected", KNOWN_STACKS)
def test_receptive_field_known_and_measured(layers, expected):
    got = dilation.receptive_field(layers)
    assert type(got) is int and got == expected
    assert measured_receptive_field(layers) == (expected, expected)


@pytest.mark.parametrize("seed", range(12))
def test_receptive_field_matches_measurement(seed):
    rng = np.random.default_rng(500 + seed)
    layers = [(int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 5)))
              for _ in range(int(rng.integers(1, 5)))]
    got = dilation.receptive_field(layers)
    assert measured_receptive_field(layers) == (got, got), layers


def test_receptive_field_edge_values():
    assert dilation.receptive_field([]) == 1
    assert dilation.receptive_field(((1, 5, 7),)) == 1
    assert dilation.receptive_field([(np.int64(3), 1, np.int64(2))]) == 5


# ---------------------------------------------------------------------------
# ValueError rules
# ---------------------------------------------------------------------------

X = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
W = np.random.default_rng(1).standard_normal((4, 3, 3, 3))
B = np.zeros(4)

BAD_ARGS = [
    ("dilated kernel too big", (X, W, B), {"dilation": 3}, r"spans 7x7 pixels.*padded 7x6"),
    ("dilated kernel too big padded", (X, W, B), {"dilation": 5, "padding": 1}, r"spans 11x11.*padded 9x8"),
    ("dilation 0", (X, W, B), {"dilation": 0}, r"dilation must be a positive integer"),
    ("dilation float", (X, W, B), {"dilation": 2.0}, r"dilation must be an integer.*write dilation=2"),
    ("dilation bool", (X, W, B), {"dilation": True}, r"dilation must be an integer"),
    ("channels", (X, W[:, :2], B), {}, r"channel mismatch"),
    ("bias shape", (X, W, B[:3]), {}, r"b must have shape \(F,\) = \(4,\)"),
    ("x rank", (X[0], W, B), {}, r"x must have 4 axes.*x\[None\]"),
    ("stride 0", (X, W, B), {"stride": 0}, r"stride must be a positive integer"),
    ("padding negative", (X, W, B), {"padding": -1}, r"padding must be an integer >= 0"),
    ("mixed dtypes", (X.astype(np.float32), W, B), {}, r"share one dtype"),
    ("integer dtype", (X.astype(int), W.astype(int), B.astype(int)), {}, r"floating-point"),
]


@pytest.mark.parametrize("args,kwargs,match", [pytest.param(*row[1:], id=row[0]) for row in BAD_ARGS])
def test_forward_rejects_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dilation.conv2d_dilated_forward(*args, **kwargs)


def test_backward_rejects_bad_dout():
    _, cache = dilation.conv2d_dilated_forward(X, W, B, dilation=2)
    with pytest.raises(ValueError, match="dout must have 4 axes"):
        dilation.conv2d_dilated_backward(np.ones((2, 4, 3)), cache)


@pytest.mark.parametrize("args,match", [
    pytest.param((W, 0), r"dilation must be a positive integer", id="zero"),
    pytest.param((W, 1.5), r"dilation must be an integer", id="float"),
    pytest.param((W[0], 2), r"w must have 4 axes", id="rank"),
    pytest.param((W.tolist(), 2), r"numpy array", id="list"),
])
def test_dilate_kernel_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        dilation.dilate_kernel(*args)


@pytest.mark.parametrize("layers,match", [
    pytest.param([(3, 1)], r"layers\[0\] must be a triple", id="pair"),
    pytest.param([(3, 1, 1), (3, 0, 1)], r"layers\[1\] stride must be a positive integer", id="stride0"),
    pytest.param([(3, 1, 0)], r"dilation must be a positive integer", id="dilation0"),
    pytest.param([(3.0, 1, 1)], r"kernel_size must be an integer", id="float"),
    pytest.param([3, 1, 1], r"must be a triple", id="flat"),
    pytest.param("3x3", r"list or tuple", id="string"),
    pytest.param(None, r"list or tuple", id="none"),
])
def test_receptive_field_rejects_bad_arguments(layers, match):
    with pytest.raises(ValueError, match=match):
        dilation.receptive_field(layers)
