"""Timing helpers: median wall-clock time, this machine's matrix-product speed, convolution FLOPs.

GFLOP/s numbers are only comparable on the same machine with the same number of threads: numpy's
BLAS and torch both use every core by default (see `thread_info`).
"""
import time

import numpy as np


def median_time(fn, repeat=5, warmup=1):
    """Median wall-clock seconds of `fn()` over `repeat` runs, after `warmup` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def matmul_peak_gflops(n=1024, dtype=np.float32, repeat=5):
    """GFLOP/s of an n x n matrix product with numpy on this machine (2 n^3 flops per product).

    This is the practical peak for code that turns its work into one big matrix product (as im2col
    does): the same BLAS library, the same threads. It is measured, not taken from a data sheet, so
    it reflects this machine's cores, clock and thread count at the time of the call.
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    seconds = median_time(lambda: a @ b, repeat=repeat, warmup=1)
    return 2 * n ** 3 / seconds / 1e9


def thread_info():
    """A short description of the threads numpy's BLAS and torch use (torch only if imported)."""
    import sys

    parts = []
    try:
        from threadpoolctl import threadpool_info

        blas = {f"{p['internal_api']} {p['num_threads']} threads" for p in threadpool_info() if p["user_api"] == "blas"}
        parts.append("numpy BLAS: " + (", ".join(sorted(blas)) or "unknown"))
    except ImportError:
        parts.append("numpy BLAS: unknown threads")
    torch = sys.modules.get("torch")
    if torch is not None:
        parts.append(f"torch: {torch.get_num_threads()} threads")
    return "; ".join(parts)


def conv_flops(N, C, H, W, F, HH, WW, stride=1, padding=0):
    """Floating-point operations of a convolution forward pass: 2 * N * F * H' * W' * C * HH * WW.

    One multiply and one add per filter tap and output value (the bias adds are not counted), with
        H' = (H + 2 * padding - HH) // stride + 1,  W' = (W + 2 * padding - WW) // stride + 1.
    """
    H_out = (H + 2 * padding - HH) // stride + 1
    W_out = (W + 2 * padding - WW) // stride + 1
    return 2 * N * F * H_out * W_out * C * HH * WW
