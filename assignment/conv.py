# Your module for notebook 01_conv_layer: replace each `raise NotImplementedError` with your code.
# (Generated from the course source by `python -m grader release`; your edits here are what is graded.)
"""Notebook 01: the convolution layer in numpy.

A convolution layer slides F filters of shape (C, HH, WW) over an input of shape (N, C, H, W)
and takes a dot product over the full depth C at every position. It is a cross-correlation,
like every deep-learning framework's "convolution": the kernel is not flipped.

Conventions (shared by the whole course):
- NCHW layout: x (N, C, H, W), w (F, C, HH, WW), b (F,).
- Forward functions return (out, cache); backward functions take (dout, cache).
- Output sizes floor as in PyTorch:
      H' = (H + 2 * padding - HH) // stride + 1      (and likewise W')
- Hyper-parameters are integers; inputs are never modified; the dtype is preserved.
- Naive versions loop explicitly; fast versions turn the convolution into one matrix product
  (im2col) and have no Python loop over N, F, H' or W'.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from assignment.arguments import require_array, require_int, require_ints

NOTEBOOK = "01_conv_layer"


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input; the shared ones are in
# assignment/arguments.py)
# ---------------------------------------------------------------------------

def _check_pad_args(x, padding):
    """Validate zero_pad's arguments."""
    require_array("x", x, "(N, C, H, W)")
    require_int("padding", padding, 0)


def _check_conv_args(x, w, b, stride, padding):
    """Validate the arguments of the conv2d forward functions (shapes, dtypes, hyper-parameters)."""
    require_array("x", x, "(N, C, H, W)")
    require_array("w", w, "(F, C, HH, WW)")
    require_array("b", b, "(F,)")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    N, C, H, W = x.shape
    F, C_w, HH, WW = w.shape
    if C_w != C:
        raise ValueError(f"channel mismatch: x has C={C} channels (x.shape[1]) but w expects {C_w} "
                         f"(w.shape[1]); each filter must span the full depth of its input")
    if b.shape != (F,):
        raise ValueError(f"b must have shape (F,) = ({F},), one bias per filter, got {b.shape}")
    if not x.dtype == w.dtype == b.dtype:
        raise ValueError(f"x, w and b must share one dtype, got {x.dtype}, {w.dtype} and {b.dtype}; "
                         f"convert them, e.g. w.astype(x.dtype)")
    if HH > H + 2 * padding or WW > W + 2 * padding:
        raise ValueError(f"the {HH}x{WW} kernel is larger than the padded {H + 2 * padding}x{W + 2 * padding} "
                         f"input (H + 2*padding, W + 2*padding with padding={padding}); "
                         f"use a smaller kernel or more padding")


def _check_dout(dout):
    """Validate the upstream gradient of the conv2d backward functions."""
    require_array("dout", dout, "(N, F, H', W')")


def _check_param_count_args(in_channels, out_channels, kernel_size, bias):
    """Validate conv_param_count's arguments."""
    require_int("in_channels", in_channels, 1)
    require_int("out_channels", out_channels, 1)
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) != 2:
            raise ValueError(f"kernel_size must be an int or a pair (kh, kw), got {kernel_size!r}")
        for size in kernel_size:
            require_int("kernel_size", size, 1)
    else:
        require_int("kernel_size", kernel_size, 1)
    if not isinstance(bias, (bool, np.bool_)):
        raise ValueError(f"bias must be True or False, got {bias!r}")


# ---------------------------------------------------------------------------
# Output size, padding and parameter counts
# ---------------------------------------------------------------------------

def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Spatial output size of a convolution along one axis (PyTorch's formula, floored).

        out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1

    With dilation 1 this is cs231n's (N - F + 2P) / S + 1, rounded down.

    Notebook section: 1. Output size and padding

    Inputs:
    - size: int, input height or width (>= 1).
    - kernel_size: int, kernel height or width (>= 1).
    - stride: int (>= 1).
    - padding: int, zeros added on each side (>= 0).
    - dilation: int, spacing between kernel taps (>= 1); the effective kernel size is
      dilation * (kernel_size - 1) + 1.

    Returns:
    - out: int >= 1.

    Raises ValueError for a non-positive size, kernel_size, stride or dilation, a negative padding,
    or when the effective kernel is larger than the padded input (the output would be empty).
    """
    require_ints(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    raise NotImplementedError('conv_output_size is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 1. Output size and padding, explains it)')


def window_fits(size, kernel_size, stride=1, padding=0, dilation=1):
    """Whether the windows tile the padded input exactly, leaving no rows or columns unused.

    True when (size + 2 * padding - dilation * (kernel_size - 1) - 1) is a non-negative multiple
    of stride, i.e. when (N - F + 2P) / S in cs231n's formula is a whole number. False when the
    division leaves a remainder (the last rows/columns are skipped) or when the kernel is larger
    than the padded input (no window fits at all).

    Notebook section: 1. Output size and padding

    Inputs: as conv_output_size.
    Returns: bool.
    Raises ValueError for a non-positive size, kernel_size, stride or dilation, or a negative padding.
    """
    require_ints(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    raise NotImplementedError('window_fits is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 1. Output size and padding, explains it)')


def same_padding(kernel_size, dilation=1):
    """Padding that keeps the spatial size unchanged at stride 1 ("same" padding).

        padding = (dilation * (kernel_size - 1) + 1 - 1) // 2     e.g. 3x3 -> 1, 5x5 -> 2

    Notebook section: 1. Output size and padding

    Inputs:
    - kernel_size: int (>= 1).
    - dilation: int (>= 1).

    Returns:
    - padding: int >= 0.

    Raises ValueError for a non-positive kernel_size or dilation, and when the effective kernel
    size dilation * (kernel_size - 1) + 1 is even (no symmetric padding keeps the size).
    """
    require_ints(kernel_size=kernel_size, dilation=dilation)
    raise NotImplementedError('same_padding is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 1. Output size and padding, explains it)')


def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
    """Number of learnable parameters of a convolution layer (as torch.nn.Conv2d counts them).

        params = out_channels * in_channels * kh * kw  (+ out_channels biases)

    e.g. ten 5x5 filters on a 3-channel input: (5 * 5 * 3 + 1) * 10 = 760.

    Notebook section: 2. Parameter counting

    Inputs:
    - in_channels: int C, depth of the input.
    - out_channels: int F, number of filters.
    - kernel_size: int k (a k x k kernel) or a pair (kh, kw).
    - bias: bool, whether each filter has a bias.

    Returns:
    - count: int.
    """
    _check_param_count_args(in_channels, out_channels, kernel_size, bias)
    raise NotImplementedError('conv_param_count is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 2. Parameter counting, explains it)')


def zero_pad(x, padding):
    """Pad the two spatial axes of a batch with zeros; the batch and channel axes are untouched.

    Notebook section: 3. Zero padding

    Inputs:
    - x: array of shape (N, C, H, W).
    - padding: int P >= 0, zeros added on each of the four sides.

    Returns:
    - x_pad: new array of shape (N, C, H + 2P, W + 2P), same dtype as x; x is not modified.
    """
    _check_pad_args(x, padding)
    raise NotImplementedError('zero_pad is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 3. Zero padding, explains it)')


# ---------------------------------------------------------------------------
# Naive convolution: explicit loops
# ---------------------------------------------------------------------------

def conv2d_forward_naive(x, w, b, stride=1, padding=0):
    """Forward pass of a convolution layer, with explicit loops over N, F, H' and W'.

    out[n, f, i, j] = sum over c, di, dj of
                      x_pad[n, c, i * stride + di, j * stride + dj] * w[f, c, di, dj]  +  b[f]

    Notebook section: 4. Naive convolution

    Inputs:
    - x: input of shape (N, C, H, W).
    - w: filters of shape (F, C, HH, WW).
    - b: biases of shape (F,).
    - stride: int >= 1, step between neighbouring windows.
    - padding: int >= 0, zeros added on each side of H and W.
      x, w and b share one floating-point dtype.

    Returns a tuple of:
    - out: output of shape (N, F, H', W'), dtype of x, where
        H' = (H + 2 * padding - HH) // stride + 1
        W' = (W + 2 * padding - WW) // stride + 1
    - cache: what conv2d_backward_naive needs.
    """
    _check_conv_args(x, w, b, stride, padding)
    raise NotImplementedError('conv2d_forward_naive is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 4. Naive convolution, explains it)')


def conv2d_backward_naive(dout, cache):
    """Backward pass of a convolution layer, with explicit loops over N, F, H' and W'.

    Notebook section: 4. Naive convolution

    Inputs:
    - dout: upstream gradient of shape (N, F, H', W').
    - cache: the cache returned by conv2d_forward_naive.

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, C, H, W).
    - dw: gradient with respect to w, shape (F, C, HH, WW).
    - db: gradient with respect to b, shape (F,).
    Each gradient has the dtype of the array it belongs to.
    """
    _check_dout(dout)
    raise NotImplementedError('conv2d_backward_naive is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 4. Naive convolution, explains it)')


# ---------------------------------------------------------------------------
# Fast convolution: im2col + one matrix product
# ---------------------------------------------------------------------------

def conv2d_forward(x, w, b, stride=1, padding=0):
    """Vectorised forward pass: im2col with stride tricks, then one matrix product.

    The windows of the padded input are gathered into columns
        cols[n, (c, di, dj), (i, j)] = x_pad[n, c, i * stride + di, j * stride + dj]
    of shape (N, C * HH * WW, H' * W'), and the output is w.reshape(F, -1) @ cols + b.
    No Python loop over N, F, H' or W'.

    Notebook section: 5. Vectorised convolution with im2col

    Inputs and outputs: as conv2d_forward_naive (same values up to rounding), with
        H' = (H + 2 * padding - HH) // stride + 1
        W' = (W + 2 * padding - WW) // stride + 1
    The cache is what conv2d_backward needs.
    """
    _check_conv_args(x, w, b, stride, padding)
    raise NotImplementedError('conv2d_forward is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 5. Vectorised convolution with im2col, explains it)')


def conv2d_backward(dout, cache):
    """Vectorised backward pass: matrix products for dw and the column gradients, then col2im.

    dw  = sum over n of dout[n] @ cols[n].T           (F, C * HH * WW)
    dcols = w.reshape(F, -1).T @ dout[n]              (N, C * HH * WW, H' * W')
    col2im scatters dcols back onto the padded input with one loop over the HH * WW kernel
    offsets (overlapping windows add up); no Python loop over N, F, H' or W'.

    Notebook section: 5. Vectorised convolution with im2col

    Inputs and outputs: as conv2d_backward_naive, with the cache of conv2d_forward.
    """
    _check_dout(dout)
    raise NotImplementedError('conv2d_backward is not written yet: write it in assignment/conv.py (notebooks/01_conv_layer.ipynb, section 5. Vectorised convolution with im2col, explains it)')
