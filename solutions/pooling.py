"""Notebook 02: pooling layers in numpy.

A pooling layer slides a kernel_size x kernel_size window over every channel of its input, on its own,
and replaces each window by one number: its maximum (max pooling) or its mean (average pooling).
It keeps the depth C, has no parameters, and in this course uses no padding.

Conventions (shared by the whole course):
- NCHW layout: x (N, C, H, W).
- Forward functions return (out, cache); backward functions take (dout, cache).
- `stride=None` means stride = kernel_size (non-overlapping windows, the usual 2x2/2).
- Output sizes floor as in PyTorch (ceil_mode=False); windows that would run off the edge are dropped:
      H' = (H - kernel_size) // stride + 1      (and likewise W')
- Hyper-parameters are integers; inputs are never modified; the dtype is preserved.
- Max pooling sends each window's gradient to its first maximum in row-major order (as torch does).
- Naive versions loop explicitly; fast versions have no Python loop over N, C, H' or W'
  (a loop over the kernel_size * kernel_size offsets inside the window is fine).
"""

import numpy as np

from assignment.arguments import require_array, require_int

NOTEBOOK = "02_pooling"


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input; the shared ones are in
# assignment/arguments.py)
# ---------------------------------------------------------------------------

def _check_pool_args(x, kernel_size, stride):
    """Validate the arguments of the pooling forward functions."""
    require_array("x", x, "(N, C, H, W)")
    require_int("kernel_size", kernel_size, 1)
    if stride is not None:
        require_int("stride", stride, 1)
    H, W = x.shape[2:]
    if kernel_size > H or kernel_size > W:
        raise ValueError(f"the {kernel_size}x{kernel_size} window is larger than the {H}x{W} input "
                         f"(pooling uses no padding here); use a smaller kernel_size")


def _check_dout(dout, layout="(N, C, H', W')"):
    """Validate the upstream gradient of a backward function."""
    require_array("dout", dout, layout)


# ---------------------------------------------------------------------------
# Max pooling with loops
# ---------------------------------------------------------------------------

def max_pool_forward_naive(x, kernel_size, stride=None):
    """Forward pass of max pooling, with explicit loops over N, C, H' and W'.

    out[n, c, i, j] = max of x[n, c, i*stride : i*stride + kernel_size, j*stride : j*stride + kernel_size]

    Notebook section: 1. Max pooling

    Inputs:
    - x: input of shape (N, C, H, W), floating point.
    - kernel_size: int k >= 1, windows are k x k (k <= H and k <= W).
    - stride: int >= 1 or None (None means stride = kernel_size).

    Returns a tuple of:
    - out: output of shape (N, C, H', W'), dtype of x, where
        H' = (H - kernel_size) // stride + 1
        W' = (W - kernel_size) // stride + 1
    - cache: what max_pool_backward_naive needs.
    """
    _check_pool_args(x, kernel_size, stride)
    ### BEGIN SOLUTION
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    H_out = (H - kernel_size) // stride + 1
    W_out = (W - kernel_size) // stride + 1
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                hs = i * stride
                for j in range(W_out):
                    ws = j * stride
                    out[n, c, i, j] = np.max(x[n, c, hs:hs + kernel_size, ws:ws + kernel_size])
    cache = (x, kernel_size, stride)
    return out, cache
    ### END SOLUTION


def max_pool_backward_naive(dout, cache):
    """Backward pass of max pooling, with explicit loops over N, C, H' and W'.

    Each window passes its gradient dout[n, c, i, j] to the one input position that held its maximum;
    when several positions tie, to the first of them in row-major order (as torch does). Overlapping
    windows (stride < kernel_size) add up their gradients.

    Notebook section: 1. Max pooling

    Inputs:
    - dout: upstream gradient of shape (N, C, H', W').
    - cache: the cache returned by max_pool_forward_naive.

    Returns:
    - dx: gradient with respect to x, shape (N, C, H, W), dtype of x.
    """
    _check_dout(dout)
    ### BEGIN SOLUTION
    x, kernel_size, stride = cache
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                hs = i * stride
                for j in range(W_out):
                    ws = j * stride
                    window = x[n, c, hs:hs + kernel_size, ws:ws + kernel_size]
                    di, dj = np.unravel_index(np.argmax(window), window.shape)  # first maximum, row-major
                    dx[n, c, hs + di, ws + dj] += dout[n, c, i, j]
    return dx
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Average pooling with loops
# ---------------------------------------------------------------------------

def avg_pool_forward_naive(x, kernel_size, stride=None):
    """Forward pass of average pooling, with explicit loops over N, C, H' and W'.

    out[n, c, i, j] = mean of the kernel_size x kernel_size window of x[n, c] at (i*stride, j*stride)

    Notebook section: 2. Average pooling

    Inputs and output sizes: as max_pool_forward_naive.

    Returns a tuple of:
    - out: output of shape (N, C, H', W'), dtype of x.
    - cache: what avg_pool_backward_naive needs.
    """
    _check_pool_args(x, kernel_size, stride)
    ### BEGIN SOLUTION
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    H_out = (H - kernel_size) // stride + 1
    W_out = (W - kernel_size) // stride + 1
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
                    out[n, c, i, j] = np.mean(window)
    cache = (x.shape, x.dtype, kernel_size, stride)
    return out, cache
    ### END SOLUTION


def avg_pool_backward_naive(dout, cache):
    """Backward pass of average pooling, with explicit loops over N, C, H' and W'.

    Every position of a window gets dout[n, c, i, j] / (kernel_size * kernel_size); overlapping windows
    add up their gradients.

    Notebook section: 2. Average pooling

    Inputs:
    - dout: upstream gradient of shape (N, C, H', W').
    - cache: the cache returned by avg_pool_forward_naive.

    Returns:
    - dx: gradient with respect to x, shape (N, C, H, W), dtype of x.
    """
    _check_dout(dout)
    ### BEGIN SOLUTION
    x_shape, dtype, kernel_size, stride = cache
    N, C, H_out, W_out = dout.shape
    dx = np.zeros(x_shape, dtype=dtype)
    area = kernel_size * kernel_size
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * stride, i * stride + kernel_size)
                    cols = slice(j * stride, j * stride + kernel_size)
                    dx[n, c, rows, cols] += dout[n, c, i, j] / area
    return dx
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Vectorised pooling: one loop over the k * k offsets inside the window
# ---------------------------------------------------------------------------

def max_pool_forward(x, kernel_size, stride=None):
    """Vectorised forward pass of max pooling, correct for any stride (overlapping windows too).

    Idea: for every offset (di, dj) inside the window, the strided slice
        x[:, :, di : di + stride*(H'-1) + 1 : stride, dj : dj + stride*(W'-1) + 1 : stride]
    has shape (N, C, H', W') and holds that offset's value of every window; the output is the
    element-wise maximum of these kernel_size**2 slices. No Python loop over N, C, H' or W'.

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as max_pool_forward_naive (same values), with
        H' = (H - kernel_size) // stride + 1,  W' = (W - kernel_size) // stride + 1.
    The cache is what max_pool_backward needs.
    """
    _check_pool_args(x, kernel_size, stride)
    ### BEGIN SOLUTION
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    H_out = (H - kernel_size) // stride + 1
    W_out = (W - kernel_size) // stride + 1
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    out = x[:, :, 0:h_span:stride, 0:w_span:stride].copy()
    for di in range(kernel_size):
        for dj in range(kernel_size):
            np.maximum(out, x[:, :, di:di + h_span:stride, dj:dj + w_span:stride], out=out)
    cache = (x, out, kernel_size, stride)
    return out, cache
    ### END SOLUTION


def max_pool_backward(dout, cache):
    """Vectorised backward pass of max pooling.

    Visit the window offsets (di, dj) in row-major order. At each offset, the windows whose value there
    equals their maximum, and that have not been served yet, send their gradient to that position: this
    is the first maximum of each window, as in the naive version. Overlapping windows add up.

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as max_pool_backward_naive, with the cache of max_pool_forward.
    """
    _check_dout(dout)
    ### BEGIN SOLUTION
    x, out, kernel_size, stride = cache
    H_out, W_out = dout.shape[2:]
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    dx = np.zeros_like(x)
    pending = np.ones(out.shape, dtype=bool)  # windows whose maximum has not been found yet
    for di in range(kernel_size):
        for dj in range(kernel_size):
            rows, cols = slice(di, di + h_span, stride), slice(dj, dj + w_span, stride)
            first = pending & (x[:, :, rows, cols] == out)
            pending &= ~first
            dx[:, :, rows, cols] += np.where(first, dout, 0)
    return dx
    ### END SOLUTION


def avg_pool_forward(x, kernel_size, stride=None):
    """Vectorised forward pass of average pooling, correct for any stride (overlapping windows too).

    The output is the sum of the kernel_size**2 strided slices (one per offset inside the window, as
    in max_pool_forward) divided by kernel_size**2. No Python loop over N, C, H' or W'.

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as avg_pool_forward_naive (same values up to rounding).
    The cache is what avg_pool_backward needs.
    """
    _check_pool_args(x, kernel_size, stride)
    ### BEGIN SOLUTION
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    H_out = (H - kernel_size) // stride + 1
    W_out = (W - kernel_size) // stride + 1
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    total = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for di in range(kernel_size):
        for dj in range(kernel_size):
            total += x[:, :, di:di + h_span:stride, dj:dj + w_span:stride]
    out = total / (kernel_size * kernel_size)
    cache = (x.shape, x.dtype, kernel_size, stride)
    return out, cache
    ### END SOLUTION


def avg_pool_backward(dout, cache):
    """Vectorised backward pass of average pooling: every offset's strided slice of dx gets
    dout / kernel_size**2 added (overlapping windows add up).

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as avg_pool_backward_naive, with the cache of avg_pool_forward.
    """
    _check_dout(dout)
    ### BEGIN SOLUTION
    x_shape, dtype, kernel_size, stride = cache
    H_out, W_out = dout.shape[2:]
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    share = dout / (kernel_size * kernel_size)
    dx = np.zeros(x_shape, dtype=dtype)
    for di in range(kernel_size):
        for dj in range(kernel_size):
            dx[:, :, di:di + h_span:stride, dj:dj + w_span:stride] += share
    return dx
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Global average pooling
# ---------------------------------------------------------------------------

def global_avg_pool_forward(x):
    """Global average pooling: the mean of each whole channel (GoogLeNet uses it instead of big FC layers).

    out[n, c] = mean over h, w of x[n, c, h, w]

    Notebook section: 4. Global average pooling

    Inputs:
    - x: input of shape (N, C, H, W), floating point.

    Returns a tuple of:
    - out: output of shape (N, C), dtype of x.
    - cache: what global_avg_pool_backward needs.
    """
    require_array("x", x, "(N, C, H, W)")
    ### BEGIN SOLUTION
    out = x.mean(axis=(2, 3))
    cache = (x.shape, x.dtype)
    return out, cache
    ### END SOLUTION


def global_avg_pool_backward(dout, cache):
    """Backward pass of global average pooling: every position of channel c of image n gets
    dout[n, c] / (H * W).

    Notebook section: 4. Global average pooling

    Inputs:
    - dout: upstream gradient of shape (N, C).
    - cache: the cache returned by global_avg_pool_forward.

    Returns:
    - dx: gradient with respect to x, shape (N, C, H, W), dtype of x.
    """
    _check_dout(dout, "(N, C)")
    ### BEGIN SOLUTION
    x_shape, dtype = cache
    H, W = x_shape[2:]
    dx = np.empty(x_shape, dtype=dtype)
    dx[...] = dout[:, :, None, None] / (H * W)
    return dx
    ### END SOLUTION
