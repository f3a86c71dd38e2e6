"""Mutants of solutions/conv.py: plausible student bugs in notebook 01 (the convolution layer)."""

from tests.mutants import Mutant

MUTANTS = [
    # -- conv_output_size -------------------------------------------------------------------
    Mutant(
        "size_no_plus_one",
        "conv_output_size forgets the +1: counts the steps between windows, not the windows",
        "    out = (size + 2 * padding - effective) // stride + 1\n",
        "    out = (size + 2 * padding - effective) // stride\n",
    ),
    Mutant(
        "size_ceil",
        "conv_output_size rounds up (ceil_mode=True) instead of flooring; differs only when the windows do not fit exactly",
        "    out = (size + 2 * padding - effective) // stride + 1\n",
        "    out = -(-(size + 2 * padding - effective) // stride) + 1\n",
    ),
    Mutant(
        "size_padding_once",
        "conv_output_size adds the padding on one side only (P instead of 2P); differs only when padding > 0",
        "    out = (size + 2 * padding - effective) // stride + 1\n",
        "    out = (size + padding - effective) // stride + 1\n",
    ),
    Mutant(
        "size_ignores_dilation",
        "conv_output_size uses kernel_size instead of the effective size d(k-1)+1; differs only when dilation > 1",
        "    effective = dilation * (kernel_size - 1) + 1\n    out = (",
        "    effective = kernel_size\n    out = (",
    ),
    Mutant(
        "size_dilation_scales_kernel",
        "conv_output_size takes the effective kernel size to be dilation * kernel_size; differs only when dilation > 1",
        "    effective = dilation * (kernel_size - 1) + 1\n    out = (",
        "    effective = dilation * kernel_size\n    out = (",
    ),
    Mutant(
        "size_no_empty_check",
        "conv_output_size returns 0 or a negative size instead of raising ValueError when the kernel is larger "
        "than the padded input",
        "    if out < 1:\n"
        "        raise ValueError(f\"the kernel (effective size {effective}) is larger than the padded input \"\n"
        "                         f\"({size} + 2*{padding} = {size + 2 * padding}); "
        "use a smaller kernel or more padding\")\n",
        "",
    ),
    # -- window_fits ------------------------------------------------------------------------
    Mutant(
        "fits_ignores_padding",
        "window_fits leaves the padding out; differs only when 2P is not a multiple of the stride (stride >= 3) "
        "or when the kernel fits only thanks to the padding",
        "    span = size + 2 * padding - (dilation * (kernel_size - 1) + 1)\n",
        "    span = size - (dilation * (kernel_size - 1) + 1)\n",
    ),
    Mutant(
        "fits_input_divisible",
        "window_fits tests whether the padded input (not input minus kernel) divides by the stride",
        "span % stride == 0",
        "(size + 2 * padding) % stride == 0",
    ),
    # -- same_padding -----------------------------------------------------------------------
    Mutant(
        "same_padding_ignores_dilation",
        "same_padding returns (k-1)//2 whatever the dilation; differs only when dilation > 1",
        "    return (effective - 1) // 2\n",
        "    return (kernel_size - 1) // 2\n",
    ),
    Mutant(
        "same_padding_parity_of_kernel",
        "same_padding rejects even kernel sizes instead of even effective sizes; wrong only for an even kernel "
        "with an even dilation (k=2, d=2 has effective size 3 and padding 1)",
        "    if effective % 2 == 0:\n",
        "    if kernel_size % 2 == 0:\n",
    ),
    # -- conv_param_count -------------------------------------------------------------------
    Mutant(
        "params_one_bias",
        "conv_param_count adds a single bias for the whole layer instead of one per filter",
        "(out_channels if bias else 0)",
        "(1 if bias else 0)",
    ),
    Mutant(
        "params_bias_always",
        "conv_param_count counts the biases even when bias=False",
        "(out_channels if bias else 0)",
        "out_channels",
    ),
    Mutant(
        "params_missing_in_channels",
        "conv_param_count forgets that every filter spans the full input depth (drops in_channels); "
        "right only when in_channels == 1",
        "weights = out_channels * in_channels * kh * kw",
        "weights = out_channels * kh * kw",
    ),
    Mutant(
        "params_pair_as_square",
        "conv_param_count treats a (kh, kw) kernel as kh x kh; wrong only for non-square kernel pairs",
        "        kh, kw = kernel_size\n",
        "        kh = kw = kernel_size[0]\n",
    ),
    # -- zero_pad ---------------------------------------------------------------------------
    Mutant(
        "pad_all_axes",
        "zero_pad calls np.pad(x, padding), which pads the batch and channel axes too; "
        "right only when padding == 0",
        "np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), mode=\"constant\")",
        "np.pad(x, padding, mode=\"constant\")",
    ),
    Mutant(
        "pad_one_side",
        "zero_pad puts all 2P zeros after the image (bottom and right): shapes are right, the output is shifted; "
        "right only when padding == 0",
        "((0, 0), (0, 0), (padding, padding), (padding, padding))",
        "((0, 0), (0, 0), (0, 2 * padding), (0, 2 * padding))",
    ),
    # -- conv2d_forward_naive ---------------------------------------------------------------
    Mutant(
        "naive_flipped_kernel",
        "conv2d_forward_naive flips the kernel (textbook convolution instead of correlation); "
        "right only for kernels symmetric under a 180-degree turn (e.g. 1x1)",
        "out[n, f, i, j] = np.sum(window * w[f]) + b[f]",
        "out[n, f, i, j] = np.sum(window * w[f, :, ::-1, ::-1]) + b[f]",
    ),
    Mutant(
        "naive_missing_bias",
        "conv2d_forward_naive forgets the bias; right only when b is zero",
        "out[n, f, i, j] = np.sum(window * w[f]) + b[f]",
        "out[n, f, i, j] = np.sum(window * w[f])",
    ),
    Mutant(
        "naive_ignores_stride",
        "conv2d_forward_naive moves its window one pixel per output instead of `stride` pixels; "
        "right only when stride == 1",
        "                hs = i * stride\n"
        "                for j in range(W_out):\n"
        "                    ws = j * stride\n"
        "                    window = ",
        "                hs = i\n"
        "                for j in range(W_out):\n"
        "                    ws = j\n"
        "                    window = ",
    ),
    Mutant(
        "naive_loops_h_for_w",
        "conv2d_forward_naive loops over H' for the columns too (copy-paste); right only when H' == W'",
        "                for j in range(W_out):\n"
        "                    ws = j * stride\n"
        "                    window = ",
        "                for j in range(H_out):\n"
        "                    ws = j * stride\n"
        "                    window = ",
    ),
    Mutant(
        "naive_out_float64",
        "conv2d_forward_naive allocates its output with np.zeros' default dtype: float32 in, float64 out",
        "    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)\n",
        "    out = np.zeros((N, F, H_out, W_out))\n",
    ),
    Mutant(
        "naive_in_place_window",
        "conv2d_forward_naive skips the copy when padding == 0 and multiplies each window in place: the input x "
        "is overwritten (padding 0), and windows visited twice (F > 1 or overlapping windows) give wrong values. "
        "With F == 1, stride >= kernel and padding 0 the output is right and only the input check catches it",
        "    x_pad = zero_pad(x, padding)\n"
        "    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)\n"
        "    for n in range(N):\n"
        "        for f in range(F):\n"
        "            for i in range(H_out):\n"
        "                hs = i * stride\n"
        "                for j in range(W_out):\n"
        "                    ws = j * stride\n"
        "                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]\n"
        "                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]\n",
        "    x_pad = zero_pad(x, padding) if padding > 0 else x\n"
        "    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)\n"
        "    for n in range(N):\n"
        "        for f in range(F):\n"
        "            for i in range(H_out):\n"
        "                hs = i * stride\n"
        "                for j in range(W_out):\n"
        "                    ws = j * stride\n"
        "                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]\n"
        "                    window *= w[f]\n"
        "                    out[n, f, i, j] = window.sum() + b[f]\n",
    ),
    # -- conv2d_backward_naive --------------------------------------------------------------
    Mutant(
        "naive_dx_assign",
        "conv2d_backward_naive assigns dx window by window instead of accumulating; right only when no input "
        "pixel feeds two outputs (F == 1 and stride >= kernel)",
        "dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * g",
        "dx_pad[n, :, hs:hs + HH, ws:ws + WW] = w[f] * g",
    ),
    Mutant(
        "naive_dw_unpadded_x",
        "conv2d_backward_naive takes dw's windows from x instead of the padded x; right only when padding == 0",
        "dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * g",
        "dw[f] += x[n, :, hs:hs + HH, ws:ws + WW] * g",
    ),
    Mutant(
        "naive_dw_float64",
        "conv2d_backward_naive allocates dw with np.zeros' default dtype: float32 in, float64 dw",
        "    dw = np.zeros_like(w)\n",
        "    dw = np.zeros(w.shape)\n",
    ),
    Mutant(
        "naive_dx_no_crop",
        "conv2d_backward_naive returns the gradient of the padded input; right only when padding == 0",
        "    dx = dx_pad[:, :, padding:padding + H, padding:padding + W]\n",
        "    dx = dx_pad\n",
    ),
    # -- conv2d_forward ---------------------------------------------------------------------
    Mutant(
        "fast_w_out_from_h",
        "conv2d_forward computes W' from H (copy-paste); fails only when the two output sizes differ",
        "    W_out = conv_output_size(W, WW, stride, padding)\n    x_pad = zero_pad(x, padding)\n    # (N, C",
        "    W_out = conv_output_size(H, WW, stride, padding)\n    x_pad = zero_pad(x, padding)\n    # (N, C",
    ),
    Mutant(
        "fast_output_hw_swapped",
        "conv2d_forward reshapes its output to (N, F, W', H'); right only when H' == W'",
        "out = out.reshape(N, F, H_out, W_out)",
        "out = out.reshape(N, F, W_out, H_out)",
    ),
    Mutant(
        "fast_kernel_axes_swapped",
        "conv2d_forward lays out the columns as (c, dj, di) while w is flattened as (c, di, dj): the kernel is "
        "transposed; right only for kernels symmetric under transposition (e.g. 1x1)",
        "windows.transpose(0, 1, 4, 5, 2, 3)",
        "windows.transpose(0, 1, 5, 4, 2, 3)",
    ),
    Mutant(
        "fast_missing_bias",
        "conv2d_forward forgets the bias; right only when b is zero",
        "    out += b[:, None]\n",
        "",
    ),
    Mutant(
        "fast_bias_broadcast",
        "conv2d_forward adds b along the last axis (positions) instead of the filter axis; raises a broadcasting "
        "error unless H'W' == F or H'W' == 1, when it is silently wrong",
        "    out += b[:, None]\n",
        "    out += b\n",
    ),
    # -- conv2d_backward --------------------------------------------------------------------
    Mutant(
        "fast_col2im_ignores_stride",
        "conv2d_backward scatters the column gradients to consecutive pixels instead of every stride-th pixel; "
        "right only when stride == 1",
        "            rows = slice(di, di + stride * (H_out - 1) + 1, stride)\n"
        "            columns = slice(dj, dj + stride * (W_out - 1) + 1, stride)\n",
        "            rows = slice(di, di + H_out)\n"
        "            columns = slice(dj, dj + W_out)\n",
    ),
    Mutant(
        "fast_col2im_assign",
        "conv2d_backward assigns instead of accumulating in col2im: overlapping windows lose gradient; "
        "right only when stride >= kernel (no overlap)",
        "dx_pad[:, :, rows, columns] += dcols[:, :, di, dj]",
        "dx_pad[:, :, rows, columns] = dcols[:, :, di, dj]",
    ),
    Mutant(
        "fast_dx_float64",
        "conv2d_backward allocates dx with np.zeros' default dtype: float32 in, float64 dx",
        "W + 2 * padding), dtype=dcols.dtype)",
        "W + 2 * padding))",
    ),
    Mutant(
        "fast_dx_crop_negative",
        "conv2d_backward crops the padding with [p:-p], which is empty when padding == 0",
        "    dx = dx_pad[:, :, padding:H_pad - padding, padding:W_pad - padding]\n",
        "    dx = dx_pad[:, :, padding:-padding, padding:-padding]\n",
    ),
    Mutant(
        "fast_dw_batch_mean",
        "conv2d_backward averages dw over the batch instead of summing; right only when N == 1",
        ".sum(axis=0).reshape(w.shape)",
        ".mean(axis=0).reshape(w.shape)",
    ),
    Mutant(
        "fast_db_wrong_axes",
        "conv2d_backward sums db per sample (over F, H', W') instead of per filter (over N, H', W'); "
        "the shape is (N,), which matches (F,) only when N == F",
        "db = dout.sum(axis=(0, 2, 3))",
        "db = dout.sum(axis=(1, 2, 3))",
    ),
    Mutant(
        "fast_db_position_mean",
        "conv2d_backward averages db over the output positions instead of summing; right only when H'W' == 1",
        "db = dout.sum(axis=(0, 2, 3))",
        "db = dout.mean(axis=(2, 3)).sum(axis=0)",
    ),
]
