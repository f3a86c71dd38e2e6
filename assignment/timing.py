"""Timing helpers: timings with their spread, fair thread settings, this machine's matrix-product speed,
convolution FLOPs.

    t = measure(lambda: conv.conv2d_forward(x, w, b), repeat=7)   # a Timing: median and quartiles
    print(t)                                                      # "3.1 ms (IQR 2.9-3.4 ms, 7 runs)"
    clearly_faster(t, other)     # True only when t's slowest quarter beats other's fastest quarter

A shared machine makes single timings unreliable: another program can take a core for a while. The median
ignores a few slow runs and the interquartile range (IQR: the middle half of the runs) shows how much the
runs varied. Claims such as "A is faster than B" are checked with `clearly_faster`, which says "not clear"
instead of guessing when the two ranges overlap.

GFLOP/s numbers are only comparable on the same machine with the same number of threads: numpy's
BLAS and torch both use every core by default (see `thread_info` and `threads`).
"""
import contextlib
import sys
import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of one function."""
    times: tuple

    @property
    def median(self):
        return float(np.median(self.times))

    @property
    def q1(self):
        return float(np.percentile(self.times, 25))

    @property
    def q3(self):
        return float(np.percentile(self.times, 75))

    def __float__(self):
        return self.median

    def __str__(self):
        return f"{seconds_text(self.median)} (IQR {seconds_text(self.q1)}-{seconds_text(self.q3)}, {len(self.times)} runs)"


def seconds_text(seconds):
    """A duration with a unit that suits it: '850 us', '3.1 ms', '2.40 s'."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def measure(fn, repeat=5, warmup=1):
    """A `Timing` of `fn()` over `repeat` runs, after `warmup` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Timing(tuple(times))


def median_time(fn, repeat=5, warmup=1):
    """Median wall-clock seconds of `fn()` over `repeat` runs, after `warmup` untimed runs."""
    return measure(fn, repeat, warmup).median


def clearly_faster(a, b):
    """True when Timing `a` is faster than Timing `b` beyond their spread: a's third quartile is below b's
    first quartile. False means "faster is not shown", either because it is slower or because the runs
    overlap (on a busy machine, run the cell again)."""
    return a.q3 < b.q1


@contextlib.contextmanager
def threads(count=1):
    """Within the block numpy's BLAS and torch (when imported) use `count` threads each, so that a
    comparison between them is fair; the previous settings come back afterwards.

    One thread is the fairest setting on a small shared machine: with several, each library waits at every
    operation for its slowest thread, and a busy core stalls them all."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(count, user_api="blas")
    except ImportError:
        limits = contextlib.nullcontext()
    with limits:
        if torch is not None:
            torch.set_num_threads(count)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


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
