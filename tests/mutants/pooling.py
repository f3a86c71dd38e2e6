"""Mutants of solutions/pooling.py: plausible student bugs in notebook 02 (pooling)."""

from tests.mutants import Mutant

_MAX_NAIVE_HEAD = (
    "    stride = kernel_size if stride is None else stride\n"
    "    N, C, H, W = x.shape\n"
    "    H_out = (H + 2 * padding - kernel_size) // stride + 1\n"
    "    W_out = (W + 2 * padding - kernel_size) // stride + 1\n"
    "    pads = ((0, 0), (0, 0), (padding, padding), (padding, padding))\n"
    "    xp = np.pad(x, pads, constant_values=-np.inf)  # -inf: a padded cell is never a window's maximum\n"
    "    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)\n"
)
_AVG_NAIVE_PAD = "    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))  # zeros, counted in the mean\n"
_MAX_FAST_BODY = (
    "    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1\n"
    "    out = x[:, :, 0:h_span:stride, 0:w_span:stride].copy()\n"
    "    for di in range(kernel_size):\n"
    "        for dj in range(kernel_size):\n"
    "            np.maximum(out, x[:, :, di:di + h_span:stride, dj:dj + w_span:stride], out=out)\n"
)
_AVG_FAST_HEAD = (
    "    stride = kernel_size if stride is None else stride\n"
    "    N, C, H, W = x.shape\n"
    "    H_out = (H + 2 * padding - kernel_size) // stride + 1\n"
    "    W_out = (W + 2 * padding - kernel_size) // stride + 1\n"
    "    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x\n"
)

MUTANTS = [
    # -- max_pool_forward_naive -------------------------------------------------------------
    Mutant(
        "max_naive_default_stride_one",
        "max_pool_forward_naive takes a missing stride to mean 1 instead of kernel_size; differs only when "
        "stride is not given",
        _MAX_NAIVE_HEAD,
        _MAX_NAIVE_HEAD.replace("stride = kernel_size if stride is None", "stride = 1 if stride is None"),
    ),
    Mutant(
        "max_naive_ceil",
        "max_pool_forward_naive rounds the output size up (ceil_mode=True), pooling partial windows at the edge; "
        "differs only when the windows do not tile the input",
        _MAX_NAIVE_HEAD,
        _MAX_NAIVE_HEAD.replace("    H_out = (H + 2 * padding - kernel_size) // stride + 1\n"
                                "    W_out = (W + 2 * padding - kernel_size) // stride + 1\n",
                                "    H_out = -(-(H + 2 * padding - kernel_size) // stride) + 1\n"
                                "    W_out = -(-(W + 2 * padding - kernel_size) // stride) + 1\n"),
    ),
    Mutant(
        "max_naive_out_float64",
        "max_pool_forward_naive allocates its output with numpy's default dtype: float32 input gives float64",
        _MAX_NAIVE_HEAD,
        _MAX_NAIVE_HEAD.replace("out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)",
                                "out = np.zeros((N, C, H_out, W_out))"),
    ),
    Mutant(
        "max_naive_columns_step_kernel",
        "max_pool_forward_naive steps the columns by kernel_size instead of stride; differs only when "
        "stride != kernel_size",
        "                    ws = j * stride\n                    out[n, c, i, j] = np.max(",
        "                    ws = j * kernel_size\n                    out[n, c, i, j] = np.max(",
    ),
    Mutant(
        "max_naive_pad_zeros",
        "max_pool_forward_naive pads with zeros instead of -inf: a border window of negative values returns 0; "
        "differs only with padding",
        _MAX_NAIVE_HEAD,
        _MAX_NAIVE_HEAD.replace("xp = np.pad(x, pads, constant_values=-np.inf)", "xp = np.pad(x, pads)"),
    ),
    Mutant(
        "max_naive_size_ignores_padding",
        "max_pool_forward_naive pads the input but computes H' and W' without the padding (output too small)",
        _MAX_NAIVE_HEAD,
        _MAX_NAIVE_HEAD.replace("    H_out = (H + 2 * padding - kernel_size) // stride + 1\n"
                                "    W_out = (W + 2 * padding - kernel_size) // stride + 1\n",
                                "    H_out = (H - kernel_size) // stride + 1\n"
                                "    W_out = (W - kernel_size) // stride + 1\n"),
    ),
    # -- max_pool_backward_naive ------------------------------------------------------------
    Mutant(
        "max_naive_last_max",
        "max_pool_backward_naive sends the gradient to the last maximum of a window instead of the first; "
        "differs only on ties",
        "di, dj = np.unravel_index(np.argmax(window), window.shape)",
        "di, dj = np.unravel_index(window.size - 1 - np.argmax(window[::-1, ::-1]), window.shape)",
    ),
    Mutant(
        "max_naive_column_major",
        "max_pool_backward_naive picks the first maximum in column-major order (argmax of window.T); "
        "differs only on ties",
        "di, dj = np.unravel_index(np.argmax(window), window.shape)",
        "dj, di = np.unravel_index(np.argmax(window.T), window.T.shape)",
    ),
    Mutant(
        "max_naive_every_max",
        "max_pool_backward_naive gives the full gradient to every position that equals the maximum; "
        "differs only on ties",
        "                    di, dj = np.unravel_index(np.argmax(window), window.shape)  # first maximum, row-major\n"
        "                    dxp[n, c, hs + di, ws + dj] += dout[n, c, i, j]\n",
        "                    dxp[n, c, hs:hs + kernel_size, ws:ws + kernel_size] += "
        "(window == window.max()) * dout[n, c, i, j]\n",
    ),
    Mutant(
        "max_naive_dx_assign",
        "max_pool_backward_naive assigns instead of adding: a pixel that is the maximum of two overlapping "
        "windows keeps only the last gradient",
        "dxp[n, c, hs + di, ws + dj] += dout[n, c, i, j]",
        "dxp[n, c, hs + di, ws + dj] = dout[n, c, i, j]",
    ),
    Mutant(
        "max_naive_backward_cut_top_left",
        "max_pool_backward_naive cuts the top-left H x W corner off the padded gradient instead of the middle: "
        "the gradient shifts by the padding, and the last rows' gradients land in the cut-off padding",
        "    H, W = xp.shape[2] - 2 * padding, xp.shape[3] - 2 * padding\n"
        "    return dxp[:, :, padding:padding + H, padding:padding + W].copy()\n",
        "    H, W = xp.shape[2] - 2 * padding, xp.shape[3] - 2 * padding\n"
        "    return dxp[:, :, :H, :W].copy()\n",
    ),
    # -- average pooling, naive -------------------------------------------------------------
    Mutant(
        "avg_naive_divide_by_k",
        "avg_pool_forward_naive divides the window's sum by kernel_size instead of kernel_size**2",
        "out[n, c, i, j] = np.mean(window)",
        "out[n, c, i, j] = np.sum(window) / kernel_size",
    ),
    Mutant(
        "avg_naive_w_out_from_h",
        "avg_pool_forward_naive computes W' from H; differs only on non-square inputs",
        "    W_out = (W + 2 * padding - kernel_size) // stride + 1\n" + _AVG_NAIVE_PAD,
        "    W_out = (H + 2 * padding - kernel_size) // stride + 1\n" + _AVG_NAIVE_PAD,
    ),
    Mutant(
        "avg_naive_count_exclude_pad",
        "avg_pool_forward_naive divides each window by the number of real (unpadded) values, like torch's "
        "count_include_pad=False, instead of kernel_size**2; differs only with padding",
        "                    out[n, c, i, j] = np.mean(window)\n",
        "                    hs, ws = i * stride - padding, j * stride - padding\n"
        "                    real = ((min(hs + kernel_size, H) - max(hs, 0))\n"
        "                            * (min(ws + kernel_size, W) - max(ws, 0)))\n"
        "                    out[n, c, i, j] = np.sum(window) / real\n",
    ),
    Mutant(
        "avg_naive_pad_one_side",
        "avg_pool_forward_naive pads the top and the left only (with 2 * padding), so every window is shifted",
        _AVG_NAIVE_PAD,
        _AVG_NAIVE_PAD.replace("(padding, padding), (padding, padding)", "(2 * padding, 0), (2 * padding, 0)"),
    ),
    Mutant(
        "avg_naive_backward_no_divide",
        "avg_pool_backward_naive passes the whole upstream gradient to every position of the window",
        "dxp[n, c, rows, cols] += dout[n, c, i, j] / area",
        "dxp[n, c, rows, cols] += dout[n, c, i, j]",
    ),
    Mutant(
        "avg_naive_backward_assign",
        "avg_pool_backward_naive assigns instead of adding; differs only for overlapping windows",
        "dxp[n, c, rows, cols] += dout[n, c, i, j] / area",
        "dxp[n, c, rows, cols] = dout[n, c, i, j] / area",
    ),
    # -- max_pool_forward (vectorised) ------------------------------------------------------
    Mutant(
        "fast_max_reshape_only",
        "max_pool_forward uses the reshape trick for non-overlapping windows, ignoring the stride; wrong (or an "
        "error) for overlapping windows and stride != kernel_size",
        _MAX_FAST_BODY,
        "    blocks = x[:, :, :H_out * kernel_size, :W_out * kernel_size]\n"
        "    out = blocks.reshape(N, C, H_out, kernel_size, W_out, kernel_size).max(axis=(3, 5))\n",
    ),
    Mutant(
        "fast_max_no_copy",
        "max_pool_forward starts from a view of x and takes the maximum in place, so it writes into the input",
        "    out = x[:, :, 0:h_span:stride, 0:w_span:stride].copy()\n",
        "    out = x[:, :, 0:h_span:stride, 0:w_span:stride]\n",
    ),
    Mutant(
        "fast_max_w_span_from_h",
        "max_pool_forward computes the column span from H'; differs only on non-square outputs",
        _MAX_FAST_BODY,
        _MAX_FAST_BODY.replace("stride * (W_out - 1) + 1\n", "stride * (H_out - 1) + 1\n"),
    ),
    Mutant(
        "fast_max_loops_over_windows",
        "max_pool_forward loops over the output positions (correct values, but as slow as the naive version "
        "on many small windows)",
        _MAX_FAST_BODY,
        "    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)\n"
        "    for i in range(H_out):\n"
        "        for j in range(W_out):\n"
        "            window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]\n"
        "            out[:, :, i, j] = window.max(axis=(2, 3))\n",
    ),
    Mutant(
        "fast_max_pad_zeros",
        "max_pool_forward pads with zeros instead of -inf: a border window of negative values returns 0; "
        "differs only with padding",
        "        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-np.inf)\n",
        "        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))\n",
    ),
    Mutant(
        "fast_max_pad_one_side",
        "max_pool_forward pads the top and the left only (with 2 * padding), so every window is shifted",
        "        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-np.inf)\n",
        "        x = np.pad(x, ((0, 0), (0, 0), (2 * padding, 0), (2 * padding, 0)), constant_values=-np.inf)\n",
    ),
    # -- max_pool_backward (vectorised) -----------------------------------------------------
    Mutant(
        "fast_max_backward_every_tie",
        "max_pool_backward routes the gradient to every position equal to the maximum; differs only on ties",
        "first = pending & (x[:, :, rows, cols] == out)",
        "first = x[:, :, rows, cols] == out",
    ),
    Mutant(
        "fast_max_backward_last_tie",
        "max_pool_backward visits the window offsets backwards, so ties go to the last maximum",
        "    pending = np.ones(out.shape, dtype=bool)  # windows whose maximum has not been found yet\n"
        "    for di in range(kernel_size):\n        for dj in range(kernel_size):\n",
        "    pending = np.ones(out.shape, dtype=bool)  # windows whose maximum has not been found yet\n"
        "    for di in reversed(range(kernel_size)):\n        for dj in reversed(range(kernel_size)):\n",
    ),
    Mutant(
        "fast_max_backward_assign",
        "max_pool_backward assigns each offset's slice instead of adding; differs only for overlapping windows",
        "dx[:, :, rows, cols] += np.where(first, dout, 0)",
        "dx[:, :, rows, cols] = np.where(first, dout, 0)",
    ),
    Mutant(
        "fast_max_backward_float64",
        "max_pool_backward allocates dx with numpy's default dtype: float32 input gives a float64 gradient",
        "    dx = np.zeros_like(x)\n    pending = ",
        "    dx = np.zeros(x.shape)\n    pending = ",
    ),
    Mutant(
        "fast_max_backward_padding_shifts_rows",
        "max_pool_backward cuts the padding off the gradient at the wrong offset: the rows and columns shift by "
        "the padding; differs only with padding",
        "        dx = dx[:, :, padding:-padding, padding:-padding].copy()\n",
        "        dx = dx[:, :, 2 * padding:, 2 * padding:].copy()\n",
    ),
    # -- average pooling, vectorised --------------------------------------------------------
    Mutant(
        "fast_avg_default_stride_one",
        "avg_pool_forward takes a missing stride to mean 1; differs only when stride is not given",
        _AVG_FAST_HEAD,
        _AVG_FAST_HEAD.replace("stride = kernel_size if stride is None", "stride = 1 if stride is None"),
    ),
    Mutant(
        "fast_avg_size_ignores_padding",
        "avg_pool_forward pads the input but computes H' and W' without the padding (output too small)",
        _AVG_FAST_HEAD,
        _AVG_FAST_HEAD.replace("    H_out = (H + 2 * padding - kernel_size) // stride + 1\n"
                               "    W_out = (W + 2 * padding - kernel_size) // stride + 1\n",
                               "    H_out = (H - kernel_size) // stride + 1\n"
                               "    W_out = (W - kernel_size) // stride + 1\n"),
    ),
    Mutant(
        "fast_avg_count_exclude_pad",
        "avg_pool_forward divides each window by the number of real (unpadded) values, like torch's "
        "count_include_pad=False, instead of kernel_size**2; differs only with padding",
        "    out = total / (kernel_size * kernel_size)\n",
        "    real = np.pad(np.ones((H, W), dtype=x.dtype), padding)\n"
        "    count = sum(real[di:di + h_span:stride, dj:dj + w_span:stride]\n"
        "                for di in range(kernel_size) for dj in range(kernel_size))\n"
        "    out = total / count\n",
    ),
    Mutant(
        "fast_avg_float64",
        "avg_pool_forward accumulates in a float64 array: float32 input gives float64 output",
        "total = np.zeros((N, C, H_out, W_out), dtype=x.dtype)",
        "total = np.zeros((N, C, H_out, W_out))",
    ),
    Mutant(
        "fast_avg_backward_in_place",
        "avg_pool_backward divides dout in place, changing the caller's array",
        "    share = dout / (kernel_size * kernel_size)\n",
        "    share = dout\n    share /= kernel_size * kernel_size\n",
    ),
    Mutant(
        "fast_avg_backward_assign",
        "avg_pool_backward assigns each offset's slice instead of adding; differs only for overlapping windows",
        "dxp[:, :, di:di + h_span:stride, dj:dj + w_span:stride] += share",
        "dxp[:, :, di:di + h_span:stride, dj:dj + w_span:stride] = share",
    ),
    Mutant(
        "fast_avg_backward_padding_shifts_rows",
        "avg_pool_backward keeps the top-left H x W corner of the padded gradient: rows and columns shift by the "
        "padding, and the gradient of the last rows is lost in the padding; differs only with padding",
        "            dxp[:, :, di:di + h_span:stride, dj:dj + w_span:stride] += share\n"
        "    return dxp[:, :, padding:padding + H, padding:padding + W].copy()\n",
        "            dxp[:, :, di:di + h_span:stride, dj:dj + w_span:stride] += share\n"
        "    return dxp[:, :, :H, :W].copy()\n",
    ),
    # -- global average pooling -------------------------------------------------------------
    Mutant(
        "global_sum",
        "global_avg_pool_forward sums each channel instead of averaging it",
        "out = x.mean(axis=(2, 3))",
        "out = x.sum(axis=(2, 3))",
    ),
    Mutant(
        "global_backward_no_divide",
        "global_avg_pool_backward forgets the 1 / (H * W) of the mean",
        "dx[...] = dout[:, :, None, None] / (H * W)",
        "dx[...] = dout[:, :, None, None]",
    ),
    Mutant(
        "global_backward_float64",
        "global_avg_pool_backward allocates dx with numpy's default dtype: float32 input gives float64",
        "dx = np.empty(x_shape, dtype=dtype)",
        "dx = np.empty(x_shape)",
    ),
]
MUTANTS += __import__("tests.mutants.pooling_network", fromlist=["MUTANTS"]).MUTANTS  # the ConvNet, section 6
