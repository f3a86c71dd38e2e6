# Your module for notebook 02_pooling: replace each `raise NotImplementedError` with your code.
# (Generated from the course source by `python -m grader release`; your edits here are what is graded.)
"""Notebook 02: pooling layers in numpy.

A pooling layer slides a kernel_size x kernel_size window over every channel of its input, on its own,
and replaces each window by one number: its maximum (max pooling) or its mean (average pooling).
It keeps the depth C and has no parameters. Pooling is usually unpadded, but it can be padded (ResNet's stem
pools 3x3/2 with padding 1, Inception's pool branch 3x3/1 with padding 1): max pooling pads with -inf, so a
padded cell never wins a window, and average pooling pads with zeros that count in the mean (torch's
count_include_pad=True default).

Conventions (shared by the whole course):
- NCHW layout: x (N, C, H, W).
- Forward functions return (out, cache); backward functions take (dout, cache).
- `stride=None` means stride = kernel_size (non-overlapping windows, the usual 2x2/2).
- `padding` (default 0) adds that many cells on each side of H and W; as in PyTorch it is at most
  kernel_size // 2, so every window holds at least one real input value.
- Output sizes floor as in PyTorch (ceil_mode=False); windows that would run off the padded edge are dropped:
      H' = (H + 2 * padding - kernel_size) // stride + 1      (and likewise W')
- Hyper-parameters are integers; inputs are never modified; the dtype is preserved.
- Max pooling sends each window's gradient to its first maximum in row-major order (as torch does).
- Naive versions loop explicitly; fast versions have no Python loop over N, C, H' or W'
  (a loop over the kernel_size * kernel_size offsets inside the window is fine).
"""

import numpy as np

from assignment import conv  # your fast convolution from notebook 01, for the ConvNet at the end
from assignment.arguments import require_array, require_int

NOTEBOOK = "02_pooling"


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input; the shared ones are in
# assignment/arguments.py)
# ---------------------------------------------------------------------------

def _check_pool_args(x, kernel_size, stride, padding=0):
    """Validate the arguments of the pooling forward functions."""
    require_array("x", x, "(N, C, H, W)")
    require_int("kernel_size", kernel_size, 1)
    if stride is not None:
        require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    if padding > kernel_size // 2:
        raise ValueError(f"padding must be at most half the kernel size (kernel_size // 2 = {kernel_size // 2} "
                         f"for kernel_size={kernel_size}), got padding={padding}: a window could then hold only "
                         f"padding (PyTorch refuses it too)")
    H, W = x.shape[2:]
    if kernel_size > H + 2 * padding or kernel_size > W + 2 * padding:
        raise ValueError(f"the {kernel_size}x{kernel_size} window is larger than the {H}x{W} input"
                         + (f" padded to {H + 2 * padding}x{W + 2 * padding}" if padding else "")
                         + "; use a smaller kernel_size")


def _check_dout(dout, layout="(N, C, H', W')"):
    """Validate the upstream gradient of a backward function."""
    require_array("dout", dout, layout)


# ---------------------------------------------------------------------------
# Max pooling with loops
# ---------------------------------------------------------------------------

def max_pool_forward_naive(x, kernel_size, stride=None, padding=0):
    """Forward pass of max pooling, with explicit loops over N, C, H' and W'.

    With xp = x padded by `padding` cells of -inf on each side of H and W (so a padded cell never wins):
    out[n, c, i, j] = max of xp[n, c, i*stride : i*stride + kernel_size, j*stride : j*stride + kernel_size]

    Notebook section: 1. Max pooling

    Inputs:
    - x: input of shape (N, C, H, W), floating point.
    - kernel_size: int k >= 1, windows are k x k (k <= H + 2*padding and k <= W + 2*padding).
    - stride: int >= 1 or None (None means stride = kernel_size).
    - padding: int, 0 <= padding <= kernel_size // 2 (as in PyTorch): cells added on each side of H and W.

    Returns a tuple of:
    - out: output of shape (N, C, H', W'), dtype of x, where
        H' = (H + 2 * padding - kernel_size) // stride + 1
        W' = (W + 2 * padding - kernel_size) // stride + 1
    - cache: what max_pool_backward_naive needs.
    """
    _check_pool_args(x, kernel_size, stride, padding)
    raise NotImplementedError('max_pool_forward_naive is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 1. Max pooling, explains it)')


def max_pool_backward_naive(dout, cache):
    """Backward pass of max pooling, with explicit loops over N, C, H' and W'.

    Each window passes its gradient dout[n, c, i, j] to the one input position that held its maximum;
    when several positions tie, to the first of them in row-major order (as torch does). Overlapping
    windows (stride < kernel_size) add up their gradients. Padded cells never hold a maximum, so no
    gradient is lost to the padding.

    Notebook section: 1. Max pooling

    Inputs:
    - dout: upstream gradient of shape (N, C, H', W').
    - cache: the cache returned by max_pool_forward_naive.

    Returns:
    - dx: gradient with respect to x, shape (N, C, H, W), dtype of x.
    """
    _check_dout(dout)
    raise NotImplementedError('max_pool_backward_naive is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 1. Max pooling, explains it)')


# ---------------------------------------------------------------------------
# Average pooling with loops
# ---------------------------------------------------------------------------

def avg_pool_forward_naive(x, kernel_size, stride=None, padding=0):
    """Forward pass of average pooling, with explicit loops over N, C, H' and W'.

    With xp = x padded by `padding` zeros on each side of H and W:
    out[n, c, i, j] = mean of the kernel_size x kernel_size window of xp[n, c] at (i*stride, j*stride)
    The padded zeros count in the mean: every window is divided by kernel_size**2 (PyTorch's default,
    count_include_pad=True).

    Notebook section: 2. Average pooling

    Inputs and output sizes: as max_pool_forward_naive,
        H' = (H + 2 * padding - kernel_size) // stride + 1,  W' = (W + 2 * padding - kernel_size) // stride + 1.

    Returns a tuple of:
    - out: output of shape (N, C, H', W'), dtype of x.
    - cache: what avg_pool_backward_naive needs.
    """
    _check_pool_args(x, kernel_size, stride, padding)
    raise NotImplementedError('avg_pool_forward_naive is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 2. Average pooling, explains it)')


def avg_pool_backward_naive(dout, cache):
    """Backward pass of average pooling, with explicit loops over N, C, H' and W'.

    Every position of a window gets dout[n, c, i, j] / (kernel_size * kernel_size); overlapping windows
    add up their gradients, and the shares of padded positions are dropped.

    Notebook section: 2. Average pooling

    Inputs:
    - dout: upstream gradient of shape (N, C, H', W').
    - cache: the cache returned by avg_pool_forward_naive.

    Returns:
    - dx: gradient with respect to x, shape (N, C, H, W), dtype of x.
    """
    _check_dout(dout)
    raise NotImplementedError('avg_pool_backward_naive is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 2. Average pooling, explains it)')


# ---------------------------------------------------------------------------
# Vectorised pooling: one loop over the k * k offsets inside the window
# ---------------------------------------------------------------------------

def max_pool_forward(x, kernel_size, stride=None, padding=0):
    """Vectorised forward pass of max pooling, correct for any stride (overlapping windows too).

    Idea: pad x with -inf into xp (when padding > 0). For every offset (di, dj) inside the window, the
    strided slice
        xp[:, :, di : di + stride*(H'-1) + 1 : stride, dj : dj + stride*(W'-1) + 1 : stride]
    has shape (N, C, H', W') and holds that offset's value of every window; the output is the
    element-wise maximum of these kernel_size**2 slices. No Python loop over N, C, H' or W'.

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as max_pool_forward_naive (same values), with
        H' = (H + 2 * padding - kernel_size) // stride + 1,  W' = (W + 2 * padding - kernel_size) // stride + 1.
    The cache is what max_pool_backward needs.
    """
    _check_pool_args(x, kernel_size, stride, padding)
    raise NotImplementedError('max_pool_forward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 3. Vectorised pooling, explains it)')


def max_pool_backward(dout, cache):
    """Vectorised backward pass of max pooling.

    Visit the window offsets (di, dj) in row-major order. At each offset, the windows whose value there
    equals their maximum, and that have not been served yet, send their gradient to that position: this
    is the first maximum of each window, as in the naive version. Overlapping windows add up. Work on the
    padded input of the cache, then cut the padding off dx.

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as max_pool_backward_naive, with the cache of max_pool_forward.
    """
    _check_dout(dout)
    raise NotImplementedError('max_pool_backward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 3. Vectorised pooling, explains it)')


def avg_pool_forward(x, kernel_size, stride=None, padding=0):
    """Vectorised forward pass of average pooling, correct for any stride (overlapping windows too).

    The output is the sum of the kernel_size**2 strided slices of x padded with zeros (one slice per
    offset inside the window, as in max_pool_forward) divided by kernel_size**2: the padded zeros count
    in the mean. No Python loop over N, C, H' or W'.

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as avg_pool_forward_naive (same values up to rounding).
    The cache is what avg_pool_backward needs.
    """
    _check_pool_args(x, kernel_size, stride, padding)
    raise NotImplementedError('avg_pool_forward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 3. Vectorised pooling, explains it)')


def avg_pool_backward(dout, cache):
    """Vectorised backward pass of average pooling: every offset's strided slice of the padded dx gets
    dout / kernel_size**2 added (overlapping windows add up); the padding is then cut off.

    Notebook section: 3. Vectorised pooling

    Inputs and outputs: as avg_pool_backward_naive, with the cache of avg_pool_forward.
    """
    _check_dout(dout)
    raise NotImplementedError('avg_pool_backward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 3. Vectorised pooling, explains it)')


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
    raise NotImplementedError('global_avg_pool_forward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 4. Global average pooling, explains it)')


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
    raise NotImplementedError('global_avg_pool_backward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 4. Global average pooling, explains it)')


# ---------------------------------------------------------------------------
# A small ConvNet from your layers: affine, ReLU, softmax cross-entropy, SGD with momentum
# ---------------------------------------------------------------------------

def _check_affine_args(x, w, b):
    """Validate the arguments of affine_forward."""
    if not isinstance(x, np.ndarray) or x.ndim < 1 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a floating-point numpy array of shape (N, d1, ..., dk), got "
                         f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else f' {x.dtype} {x.shape}'}")
    require_array("w", w, "(D, M)")
    require_array("b", b, "(M,)")
    D = int(np.prod(x.shape[1:], dtype=np.int64))
    if w.shape[0] != D:
        raise ValueError(f"x of shape {x.shape} flattens to D = {D} features per example, but w has shape "
                         f"{w.shape} (its first axis must be D)")
    if b.shape != (w.shape[1],):
        raise ValueError(f"b must have shape ({w.shape[1]},) (one bias per output of w {w.shape}), got {b.shape}")


def _check_scores_and_labels(scores, y):
    """Validate the arguments of softmax_cross_entropy."""
    require_array("scores", scores, "(N, C)")
    if not isinstance(y, np.ndarray) or y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D numpy array of integer labels (N,), got {type(y).__name__}"
                         f"{f' {y.dtype} {y.shape}' if isinstance(y, np.ndarray) else ''}")
    if len(y) != len(scores):
        raise ValueError(f"y has {len(y)} labels for {len(scores)} rows of scores")
    if y.min() < 0 or y.max() >= scores.shape[1]:
        raise ValueError(f"labels must lie in 0..{scores.shape[1] - 1} (one per class of scores "
                         f"{scores.shape}), got values from {y.min()} to {y.max()}")


def affine_forward(x, w, b):
    """Forward pass of a fully connected (affine) layer: every example is flattened to a row of D numbers
    and multiplied by the weight matrix.

        out = x.reshape(N, D) @ w + b

    Notebook section: 6. A small ConvNet from your layers

    Inputs:
    - x: input of shape (N, d1, ..., dk), floating point; D = d1 * ... * dk (an activation volume
      (N, C, H, W) gives D = C * H * W, in C-order, the order of x.reshape).
    - w: weights of shape (D, M).
    - b: biases of shape (M,).

    Returns a tuple of:
    - out: output of shape (N, M).
    - cache: what affine_backward needs.
    """
    _check_affine_args(x, w, b)
    raise NotImplementedError('affine_forward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')


def affine_backward(dout, cache):
    """Backward pass of the affine layer.

        dx = (dout @ w.T) reshaped like x,   dw = x_flat.T @ dout,   db = sum of dout over the batch

    Notebook section: 6. A small ConvNet from your layers

    Inputs:
    - dout: upstream gradient of shape (N, M).
    - cache: the cache returned by affine_forward.

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, d1, ..., dk) like x.
    - dw: gradient with respect to w, shape (D, M).
    - db: gradient with respect to b, shape (M,).
    """
    _check_dout(dout, "(N, M)")
    raise NotImplementedError('affine_backward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')


def relu_forward(x):
    """Forward pass of the ReLU: out = max(x, 0) elementwise.

    Notebook section: 6. A small ConvNet from your layers

    Inputs:
    - x: input of any shape, floating point.

    Returns a tuple of:
    - out: output of the shape and dtype of x.
    - cache: what relu_backward needs.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a floating-point numpy array, got {type(x).__name__}")
    raise NotImplementedError('relu_forward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')


def relu_backward(dout, cache):
    """Backward pass of the ReLU: the gradient passes where x > 0 and is 0 where x <= 0 (at x = 0 exactly
    the ReLU has no derivative; 0 is the convention PyTorch uses too).

    Notebook section: 6. A small ConvNet from your layers

    Inputs:
    - dout: upstream gradient, shaped like x.
    - cache: the cache returned by relu_forward.

    Returns:
    - dx: gradient with respect to x, shaped like x.
    """
    raise NotImplementedError('relu_backward is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')


def softmax_cross_entropy(scores, y):
    """Softmax cross-entropy loss, averaged over the batch, and its gradient with respect to the scores.

        p[n, c] = exp(scores[n, c]) / sum over k of exp(scores[n, k])     (softmax)
        loss    = mean over n of -log p[n, y[n]]                          (cross-entropy)
        dscores = (p - onehot(y)) / N

    Numerically stable: subtract each row's maximum from the scores first (this changes no probability)
    so that exp never overflows, and compute log p as shifted - log(sum exp(shifted)).

    Notebook section: 6. A small ConvNet from your layers

    Inputs:
    - scores: class scores of shape (N, C), floating point.
    - y: integer labels of shape (N,), each in 0..C-1.

    Returns a tuple of:
    - loss: the mean loss, a float.
    - dscores: gradient of the loss with respect to scores, shape (N, C), dtype of scores.
    """
    _check_scores_and_labels(scores, y)
    raise NotImplementedError('softmax_cross_entropy is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')


class ConvNet:
    """A small ConvNet, cs231n's three-layer network, built from your layers:

        conv (F filters, k x k, "same" padding, stride 1) - relu - 2x2 max pool (stride 2)
            - affine (hidden units) - relu - affine (num_classes scores)

    Parameters live in the dict `self.params`:
    - W1 (F, C, k, k), b1 (F,): the convolution (your conv.conv2d_forward / conv2d_backward from notebook 01);
    - W2 (F * (H // 2) * (W // 2), hidden), b2 (hidden,): the hidden layer, on the flattened pooled volume;
    - W3 (hidden, num_classes), b3 (num_classes,): the class scores.
    The biases start at zero. The weights are drawn from N(0, scale**2), in the order W1, W2, W3, from
    np.random.default_rng(seed): scale is `weight_scale` when given, else He's sqrt(2 / fan_in) for each
    layer (fan_in = C * k * k, F * (H // 2) * (W // 2) and hidden). Why He's scale: each layer's outputs then
    have about the spread of its inputs. A ReLU zeroes half of its inputs and so halves the mean square
    of what passes, and the factor 2 makes up for it; smaller scales shrink the activations layer after
    layer (scores near zero, tiny gradients), larger ones blow them up (huge scores, a huge initial loss).

    L2 regularisation: loss + 0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)) (biases are not
    regularised), whose gradient adds reg * W to each weight's gradient.

    Notebook section: 6. A small ConvNet from your layers
    """

    def __init__(self, input_shape=(1, 32, 32), num_filters=8, kernel_size=5, hidden=64, num_classes=10,
                 weight_scale=None, reg=0.0, seed=0, dtype=np.float64):
        """Inputs:
        - input_shape: (C, H, W) of one image.
        - num_filters: F, the filters of the convolution; kernel_size: k, odd (so that "same" padding,
          (k - 1) // 2, keeps H x W).
        - hidden: units of the hidden affine layer; num_classes: scores out.
        - weight_scale: standard deviation of every weight, or None for He's scale per layer.
        - reg: strength of the L2 regularisation; seed: for the weights; dtype: of the parameters.
        """
        if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 3):
            raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
        for name, value in zip(("C", "H", "W"), input_shape):
            require_int(f"input_shape's {name}", value, 1 if name == "C" else 2)
        require_int("num_filters", num_filters, 1)
        require_int("kernel_size", kernel_size, 1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd for 'same' padding, got {kernel_size}")
        require_int("hidden", hidden, 1)
        require_int("num_classes", num_classes, 2)
        if weight_scale is not None and not weight_scale > 0:
            raise ValueError(f"weight_scale must be a positive number or None, got {weight_scale!r}")
        self.input_shape = tuple(int(v) for v in input_shape)
        self.reg = float(reg)
        self.dtype = np.dtype(dtype)
        raise NotImplementedError('ConvNet.__init__ is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')

    def loss(self, x, y=None):
        """Scores, or the loss and the gradients of every parameter.

        Inputs:
        - x: images of shape (N, C, H, W) (input_shape), dtype of the parameters.
        - y: integer labels of shape (N,), or None.

        Returns:
        - if y is None: scores of shape (N, num_classes);
        - else (loss, grads): the mean softmax cross-entropy plus the L2 term (a float), and a dict of the
          gradients with the keys and shapes of self.params.

        Notebook section: 6. A small ConvNet from your layers
        """
        require_array("x", x, "(N, C, H, W)")
        if x.shape[1:] != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), got {x.shape}")
        if x.dtype != self.dtype:
            raise ValueError(f"x has dtype {x.dtype} but the network's parameters are {self.dtype}; "
                             f"convert it with x.astype(np.{self.dtype})")
        raise NotImplementedError('ConvNet.loss is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')


def sgd_momentum(w, dw, velocity, learning_rate, momentum=0.9):
    """One step of stochastic gradient descent with momentum, in PyTorch's formulation (torch.optim.SGD):

        velocity = momentum * velocity + dw
        w        = w - learning_rate * velocity

    velocity None (the first step) means zeros, so the first velocity is dw itself. (cs231n writes
    v = momentum * v - learning_rate * dw; w = w + v: the same steps while the learning rate stays fixed,
    but a different velocity, and different steps once the learning rate changes.)

    Notebook section: 6. A small ConvNet from your layers

    Inputs:
    - w: a parameter array; dw: its gradient, same shape.
    - velocity: the velocity returned by the previous step for this parameter, or None.
    - learning_rate, momentum: floats.

    Returns a tuple of new arrays (w and velocity are not modified):
    - w: the updated parameter, dtype of w.
    - velocity: the new velocity.
    """
    raise NotImplementedError('sgd_momentum is not written yet: write it in assignment/pooling.py (notebooks/02_pooling.ipynb, section 6. A small ConvNet from your layers, explains it)')
