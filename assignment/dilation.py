# Your module for notebook 03_dilation: replace each `raise NotImplementedError` with your code.
# (Generated from the course source by `python -m grader release`; your edits here are what is graded.)
"""Notebook 03: dilated convolution and receptive fields in numpy.

A dilated (or "atrous") convolution spreads the taps of its kernel apart: with dilation d, a k x k
kernel touches every d-th pixel of a window d * (k - 1) + 1 pixels wide. It sees a larger part of
the input with the same number of weights, and, unlike pooling, it does not shrink the output.

Conventions (shared by the whole course):
- NCHW layout: x (N, C, H, W), w (F, C, HH, WW), b (F,).
- Forward functions return (out, cache); backward functions take (dout, cache).
- Output sizes floor as in PyTorch:
      H' = (H + 2 * padding - dilation * (HH - 1) - 1) // stride + 1      (and likewise W')
- Hyper-parameters are integers; inputs are never modified; the dtype is preserved.
- The convolution is vectorised: no Python loop over N, F, H' or W'.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from assignment.arguments import require_array, require_int

NOTEBOOK = "03_dilation"


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input; the shared ones are in
# assignment/arguments.py)
# ---------------------------------------------------------------------------

def _check_dilate_args(w, dilation):
    """Validate dilate_kernel's arguments."""
    require_array("w", w, "(F, C, HH, WW)")
    require_int("dilation", dilation, 1)


def _check_conv_args(x, w, b, stride, padding, dilation):
    """Validate the arguments of conv2d_dilated_forward (shapes, dtypes, hyper-parameters)."""
    require_array("x", x, "(N, C, H, W)")
    require_array("w", w, "(F, C, HH, WW)")
    require_array("b", b, "(F,)")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    require_int("dilation", dilation, 1)
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
    eff_h, eff_w = dilation * (HH - 1) + 1, dilation * (WW - 1) + 1
    if eff_h > H + 2 * padding or eff_w > W + 2 * padding:
        raise ValueError(f"the {HH}x{WW} kernel at dilation {dilation} spans {eff_h}x{eff_w} pixels "
                         f"(dilation * (kernel - 1) + 1), more than the padded {H + 2 * padding}x{W + 2 * padding} "
                         f"input (padding={padding}); use a smaller dilation or more padding")


def _check_dout(dout):
    """Validate the upstream gradient of conv2d_dilated_backward."""
    require_array("dout", dout, "(N, F, H', W')")


def _check_layers(layers):
    """Validate receptive_field's argument: a sequence of (kernel_size, stride, dilation) triples."""
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
        raise ValueError(f"layers must be a list or tuple of (kernel_size, stride, dilation) triples, "
                         f"got {type(layers).__name__}")
    for index, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) != 3:
            raise ValueError(f"layers[{index}] must be a triple (kernel_size, stride, dilation), got {layer!r}; "
                             f"e.g. (3, 1, 1) for a 3x3 convolution at stride 1, or (2, 2, 1) for 2x2 pooling")
        for name, value in zip(("kernel_size", "stride", "dilation"), layer):
            require_int(f"layers[{index}] {name}", value, 1)


# ---------------------------------------------------------------------------
# 1. Dilated kernels
# ---------------------------------------------------------------------------

def dilate_kernel(w, dilation):
    """Insert dilation - 1 zeros between neighbouring taps of every kernel, along H and W.

        w_dil[f, c, dilation * i, dilation * j] = w[f, c, i, j], zeros everywhere else

    A convolution with w_dil (dilation 1) computes the same as a convolution with w at this
    dilation, with more multiplications (most of them by zero).

    Notebook section: 1. Dilated kernels

    Inputs:
    - w: filters of shape (F, C, HH, WW).
    - dilation: int d >= 1 (1 leaves the kernel as it is).

    Returns:
    - w_dil: new array of shape (F, C, d * (HH - 1) + 1, d * (WW - 1) + 1), dtype of w;
      w is not modified.
    """
    _check_dilate_args(w, dilation)
    raise NotImplementedError('dilate_kernel is not written yet: write it in assignment/dilation.py (notebooks/03_dilation.ipynb, section 1. Dilated kernels, explains it)')


# ---------------------------------------------------------------------------
# 2. Dilated convolution: im2col on spread-out windows
# ---------------------------------------------------------------------------

def conv2d_dilated_forward(x, w, b, stride=1, padding=0, dilation=1):
    """Vectorised forward pass of a dilated convolution (torch's conv2d with dilation=...).

    out[n, f, i, j] = sum over c, di, dj of
        x_pad[n, c, i * stride + dilation * di, j * stride + dilation * dj] * w[f, c, di, dj]  +  b[f]

    With dilation 1 this is the ordinary convolution of notebook 01. No Python loop over N, F, H'
    or W' (a loop over the HH * WW kernel taps is fine).

    Notebook section: 2. Dilated convolution

    Inputs:
    - x: input of shape (N, C, H, W).
    - w: filters of shape (F, C, HH, WW).
    - b: biases of shape (F,).
    - stride: int >= 1, step between neighbouring windows.
    - padding: int >= 0, zeros added on each side of H and W.
    - dilation: int >= 1, spacing between the kernel taps.
      x, w and b share one floating-point dtype.

    Returns a tuple of:
    - out: output of shape (N, F, H', W'), dtype of x, where
        H' = (H + 2 * padding - dilation * (HH - 1) - 1) // stride + 1
        W' = (W + 2 * padding - dilation * (WW - 1) - 1) // stride + 1
    - cache: what conv2d_dilated_backward needs.
    """
    _check_conv_args(x, w, b, stride, padding, dilation)
    raise NotImplementedError('conv2d_dilated_forward is not written yet: write it in assignment/dilation.py (notebooks/03_dilation.ipynb, section 2. Dilated convolution, explains it)')


def conv2d_dilated_backward(dout, cache):
    """Vectorised backward pass of a dilated convolution.

    dw  = sum over n of dout[n] @ cols[n].T           (F, C * HH * WW)
    dcols = w.reshape(F, -1).T @ dout[n]              (N, C * HH * WW, H' * W')
    col2im adds each tap's column gradient back onto the pixels it was read from: tap (di, dj) read
    rows dilation * di + stride * i and columns dilation * dj + stride * j of the padded input.
    No Python loop over N, F, H' or W'.

    Notebook section: 2. Dilated convolution

    Inputs:
    - dout: upstream gradient of shape (N, F, H', W').
    - cache: the cache returned by conv2d_dilated_forward.

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, C, H, W).
    - dw: gradient with respect to w, shape (F, C, HH, WW).
    - db: gradient with respect to b, shape (F,).
    Each gradient has the dtype of the array it belongs to.
    """
    _check_dout(dout)
    raise NotImplementedError('conv2d_dilated_backward is not written yet: write it in assignment/dilation.py (notebooks/03_dilation.ipynb, section 2. Dilated convolution, explains it)')


# ---------------------------------------------------------------------------
# 3. Receptive fields
# ---------------------------------------------------------------------------

def receptive_field(layers):
    """Size (along one axis) of the input region that one output unit of a stack of layers sees.

    Each layer is a triple (kernel_size, stride, dilation): a convolution, or a pooling layer written
    as (kernel_size, stride, 1). Going up the stack, layer l widens the region by
    dilation_l * (kernel_size_l - 1) steps of its input, and one step of its input is as many input
    pixels as the product of the strides of the layers below it ("jump"):

        r = 1 + sum over l of dilation_l * (kernel_size_l - 1) * (stride_1 * ... * stride_{l-1})

    e.g. three 3x3 layers at stride 1 -> 7; 3x3 layers with dilations 1, 2, 4 -> 15.
    Padding does not change the size of the region (only where it lies).

    Notebook section: 3. Receptive fields

    Inputs:
    - layers: a sequence (list or tuple) of (kernel_size, stride, dilation) triples of positive ints,
      first layer first. An empty sequence is no layer at all: each output is one input pixel.

    Returns:
    - r: int >= 1.
    """
    _check_layers(layers)
    raise NotImplementedError('receptive_field is not written yet: write it in assignment/dilation.py (notebooks/03_dilation.ipynb, section 3. Receptive fields, explains it)')
