"""Mutants of solutions/dilation.py: plausible student bugs in notebook 03 (dilated convolution)."""

from tests.mutants import Mutant

MUTANTS = [
    # -- dilate_kernel ----------------------------------------------------------------------
    Mutant(
        "dilate_size_dk",
        "dilate_kernel makes the kernel dilation * k wide (one column and row of zeros too many at the end)",
        "    out = np.zeros((F, C, dilation * (HH - 1) + 1, dilation * (WW - 1) + 1), dtype=w.dtype)\n",
        "    out = np.zeros((F, C, dilation * HH, dilation * WW), dtype=w.dtype)\n",
    ),
    Mutant(
        "dilate_float64",
        "dilate_kernel allocates float64 zeros whatever the dtype of w; differs only for float32 kernels",
        "    out = np.zeros((F, C, dilation * (HH - 1) + 1, dilation * (WW - 1) + 1), dtype=w.dtype)\n",
        "    out = np.zeros((F, C, dilation * (HH - 1) + 1, dilation * (WW - 1) + 1))\n",
    ),
    Mutant(
        "dilate_rows_only",
        "dilate_kernel spreads the taps along H only and leaves W packed (then zero columns at the right)",
        "    out[:, :, ::dilation, ::dilation] = w\n",
        "    out[:, :, ::dilation, :WW] = w\n",
    ),
    Mutant(
        "dilate_d_plus_one_gap",
        "dilate_kernel inserts `dilation` zeros between taps instead of dilation - 1 (taps spaced d + 1 apart)",
        "    F, C, HH, WW = w.shape\n    out = np.zeros((F, C, dilation * (HH - 1) + 1, dilation * (WW - 1) + 1), "
        "dtype=w.dtype)\n    out[:, :, ::dilation, ::dilation] = w\n",
        "    F, C, HH, WW = w.shape\n    out = np.zeros((F, C, (dilation + 1) * (HH - 1) + 1, "
        "(dilation + 1) * (WW - 1) + 1), dtype=w.dtype)\n    out[:, :, ::dilation + 1, ::dilation + 1] = w\n",
    ),
    # -- forward ----------------------------------------------------------------------------
    Mutant(
        "forward_effective_dk",
        "conv2d_dilated_forward takes the dilated window to span dilation * k pixels instead of d(k-1)+1: "
        "one output row/column too few, and the last window is refused; differs only when dilation > 1",
        "    eff_h, eff_w = dilation * (HH - 1) + 1, dilation * (WW - 1) + 1\n    H_out",
        "    eff_h, eff_w = dilation * HH, dilation * WW\n    H_out",
    ),
    Mutant(
        "forward_stride_dilation_swapped",
        "conv2d_dilated_forward steps the windows by the dilation and the taps by the stride; "
        "right only when stride = dilation",
        "    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]\n",
        "    windows = windows[:, :, ::dilation, ::dilation, ::stride, ::stride]\n",
    ),
    Mutant(
        "forward_ignores_dilation",
        "conv2d_dilated_forward uses the packed k x k window (the ordinary convolution) but the dilated output size",
        "    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]\n",
        "    windows = windows[:, :, ::stride, ::stride, :HH, :WW]\n",
    ),
    Mutant(
        "forward_no_bias",
        "conv2d_dilated_forward forgets the bias",
        "    out += b[:, None]\n",
        "",
    ),
    Mutant(
        "forward_flipped_kernel",
        "conv2d_dilated_forward flips the kernel (true convolution instead of cross-correlation)",
        "    out = np.matmul(w.reshape(F, -1), cols)",
        "    out = np.matmul(w[:, :, ::-1, ::-1].reshape(F, -1), cols)",
    ),
    Mutant(
        "forward_padding_one_side",
        "conv2d_dilated_forward pads only the bottom and right (padding zeros on one side); differs when padding > 0",
        "    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))\n",
        "    x_pad = np.pad(x, ((0, 0), (0, 0), (0, 2 * padding), (0, 2 * padding)))\n",
    ),
    Mutant(
        "forward_float64_out",
        "conv2d_dilated_forward returns float64 for float32 inputs (the columns are built in float64)",
        "    cols = np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3))",
        "    cols = np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3), dtype=np.float64)",
    ),
    # -- backward ---------------------------------------------------------------------------
    Mutant(
        "backward_taps_not_dilated",
        "conv2d_dilated_backward adds tap (di, dj)'s gradient at offset (di, dj) instead of (d*di, d*dj); "
        "differs only when dilation > 1",
        "            top, left = dilation * di, dilation * dj\n",
        "            top, left = di, dj\n",
    ),
    Mutant(
        "backward_dx_ignores_stride",
        "conv2d_dilated_backward's col2im steps by the dilation instead of the stride; right only when they are equal",
        "            rows = slice(top, top + stride * (H_out - 1) + 1, stride)\n"
        "            columns = slice(left, left + stride * (W_out - 1) + 1, stride)\n",
        "            rows = slice(top, top + dilation * (H_out - 1) + 1, dilation)\n"
        "            columns = slice(left, left + dilation * (W_out - 1) + 1, dilation)\n",
    ),
    Mutant(
        "backward_col2im_assign",
        "conv2d_dilated_backward's col2im assigns instead of adding: where windows overlap only the last tap's "
        "gradient survives",
        "            dx_pad[:, :, rows, columns] += dcols[:, :, di, dj]\n",
        "            dx_pad[:, :, rows, columns] = dcols[:, :, di, dj]\n",
    ),
    Mutant(
        "backward_dw_first_image",
        "conv2d_dilated_backward takes dw from the first image of the batch only; differs when N > 1",
        "    dw = np.matmul(dout_mat, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)\n",
        "    dw = np.matmul(dout_mat, cols.transpose(0, 2, 1))[0].reshape(w.shape)\n",
    ),
    Mutant(
        "backward_db_per_image",
        "conv2d_dilated_backward sums db over the positions but averages over the batch; differs when N > 1",
        "    db = dout.sum(axis=(0, 2, 3))\n",
        "    db = dout.sum(axis=(2, 3)).mean(axis=0)\n",
    ),
    Mutant(
        "backward_dx_float64",
        "conv2d_dilated_backward accumulates dx in float64 and returns it so; differs only for float32",
        "    dx_pad = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=dcols.dtype)\n",
        "    dx_pad = np.zeros((N, C, H + 2 * padding, W + 2 * padding))\n",
    ),
    Mutant(
        "backward_crop_wrong",
        "conv2d_dilated_backward crops the padding from the start only, keeping the last 2P zeros' gradients",
        "    dx = dx_pad[:, :, padding:padding + H, padding:padding + W]\n",
        "    dx = dx_pad[:, :, :H, :W]\n",
    ),
    # -- receptive_field --------------------------------------------------------------------
    Mutant(
        "rf_ignores_stride",
        "receptive_field never updates the jump: strides (and pooling) do not widen later layers' steps",
        "        jump *= stride\n",
        "",
    ),
    Mutant(
        "rf_jump_before",
        "receptive_field multiplies the jump by a layer's own stride before adding its width; "
        "differs when a strided layer has a kernel larger than 1",
        "        field += dilation * (kernel_size - 1) * jump\n        jump *= stride\n",
        "        jump *= stride\n        field += dilation * (kernel_size - 1) * jump\n",
    ),
    Mutant(
        "rf_effective_dk",
        "receptive_field widens by dilation * kernel_size - 1 per layer (effective size d*k instead of d(k-1)+1)",
        "        field += dilation * (kernel_size - 1) * jump\n",
        "        field += (dilation * kernel_size - 1) * jump\n",
    ),
    Mutant(
        "rf_sum_of_sizes",
        "receptive_field adds up the effective kernel sizes (three 3x3 layers give 9, not 7)",
        "    field, jump = 1, 1\n    for kernel_size, stride, dilation in layers:\n"
        "        field += dilation * (kernel_size - 1) * jump\n",
        "    field, jump = 0, 1\n    for kernel_size, stride, dilation in layers:\n"
        "        field += (dilation * (kernel_size - 1) + 1) * jump\n",
    ),
    Mutant(
        "rf_no_dilation",
        "receptive_field ignores the dilation (as if every layer were a plain convolution)",
        "        field += dilation * (kernel_size - 1) * jump\n",
        "        field += (kernel_size - 1) * jump\n",
    ),
    Mutant(
        "rf_product",
        "receptive_field multiplies the effective kernel sizes (three 3x3 layers give 27)",
        "    field, jump = 1, 1\n    for kernel_size, stride, dilation in layers:\n"
        "        field += dilation * (kernel_size - 1) * jump\n",
        "    field, jump = 1, 1\n    for kernel_size, stride, dilation in layers:\n"
        "        field *= dilation * (kernel_size - 1) + 1\n",
    ),
]
