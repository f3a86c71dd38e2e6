"""Speed of the reference convolution (solutions/conv.py) against torch, and naive vs vectorised.

Run from the repository root:

    python -m bench.bench_conv            # full run
    python -m bench.bench_conv --quick    # fewer repeats, no naive backward
    python -m bench.bench_conv --threads 1  # pin numpy's BLAS and torch to one thread each

Targets (reported as PASS/MISS; the exit code is 0 unless --strict):
- vectorised forward and backward within 1.5x of torch on CPU, float32, geometric mean over the shapes;
- vectorised forward at least 300x faster than the naive loops on cs231n's shape
  (x 100x3x31x31, w 25x3x3x3, stride 2, padding 1).
Times are medians of single calls, after one warm-up pass over every shape (so both sides run in a
warm process: allocator, thread pools and torch's kernels set up, as in a notebook). Each measurement
is a block of calls to one function, after a short pause, so that numpy's BLAS threads and torch's
OpenMP threads do not compete for the cores.
"""

import argparse
import pathlib
import sys
import time

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import geometric_mean, median_time, set_threads, verdict, versions  # noqa: E402
from solutions import conv  # noqa: E402

# (x shape, w shape, stride, padding)
SHAPES = [
    ((100, 3, 31, 31), (25, 3, 3, 3), 2, 1),   # cs231n's assignment shape
    ((32, 3, 32, 32), (16, 3, 3, 3), 1, 1),    # first layer on CIFAR-sized images
    ((64, 1, 32, 32), (6, 1, 5, 5), 1, 0),     # LeNet's C1
    ((32, 16, 32, 32), (32, 16, 3, 3), 1, 1),  # a middle layer
    ((32, 32, 16, 16), (64, 32, 3, 3), 2, 1),  # a strided down-sampling layer
    ((16, 64, 16, 16), (64, 64, 3, 3), 1, 1),  # a deeper layer
]
NAIVE_SHAPE = SHAPES[0]
RATIO_TARGET = 1.5
SPEEDUP_TARGET = 300.0


def make_case(shape, rng):
    x_shape, w_shape, stride, padding = shape
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    out, cache = conv.conv2d_forward(x, w, b, stride=stride, padding=padding)
    dout = rng.standard_normal(out.shape, dtype=np.float32)
    t = {name: torch.from_numpy(a) for name, a in (("x", x), ("w", w), ("b", b), ("dout", dout))}

    def torch_forward():
        return torch.nn.functional.conv2d(t["x"], t["w"], t["b"], stride=stride, padding=padding)

    def torch_backward():
        return torch.ops.aten.convolution_backward(
            t["dout"], t["x"], t["w"], [w_shape[0]], [stride, stride], [padding, padding], [1, 1],
            False, [0, 0], 1, [True, True, True])

    # the timings mean nothing if the answers differ
    np.testing.assert_allclose(out, torch_forward().numpy(), rtol=1e-3, atol=1e-3)
    for ours, theirs in zip(conv.conv2d_backward(dout, cache), torch_backward()):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3, atol=1e-2)
    return {
        "numpy forward": lambda: conv.conv2d_forward(x, w, b, stride=stride, padding=padding),
        "numpy backward": lambda: conv.conv2d_backward(dout, cache),
        "torch forward": torch_forward,
        "torch backward": torch_backward,
    }


def describe(shape):
    x_shape, w_shape, stride, padding = shape
    return "x {}  w {}  s{} p{}".format("x".join(map(str, x_shape)), "x".join(map(str, w_shape)), stride, padding)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no naive backward")
    parser.add_argument("--repeat", type=int, help="timed calls per measurement (default 25, quick 7)")
    parser.add_argument("--threads", type=int, help="pin numpy's BLAS and torch to this many threads")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    repeat = args.repeat or (7 if args.quick else 25)

    threads = set_threads(args.threads)
    print(f"Convolution benchmark: float32, CPU, median of {repeat} calls; {threads}")
    print(f"{versions()}\n")

    rng = np.random.default_rng(0)
    cases = [make_case(shape, rng) for shape in SHAPES]
    for case in cases:  # warm-up pass
        for func in case.values():
            for _ in range(3):
                func()

    header = f"{'shape':40s} {'fwd numpy':>10s} {'fwd torch':>10s} {'ratio':>6s}   " \
             f"{'bwd numpy':>10s} {'bwd torch':>10s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    ratios = {"forward": [], "backward": []}
    fast_naive_shape = None
    for shape, case in zip(SHAPES, cases):
        times = {}
        for name in ("numpy forward", "torch forward", "numpy backward", "torch backward"):
            times[name] = median_time(case[name], repeat)
        row = f"{describe(shape):40s}"
        for kind in ("forward", "backward"):
            ratio = times[f"numpy {kind}"] / times[f"torch {kind}"]
            ratios[kind].append(ratio)
            row += f" {times[f'numpy {kind}'] * 1e3:7.2f} ms {times[f'torch {kind}'] * 1e3:7.2f} ms {ratio:6.2f}   "
        print(row.rstrip())
        if shape == NAIVE_SHAPE:
            fast_naive_shape = times
    missed = False
    row = f"{'geometric mean (numpy / torch)':40s}"
    for kind in ("forward", "backward"):
        mean = geometric_mean(ratios[kind])
        missed |= mean > RATIO_TARGET
        row += f" {kind} {mean:.2f} (target <= {RATIO_TARGET}: {verdict(mean <= RATIO_TARGET)})  "
    print("-" * len(header))
    print(row.rstrip())

    x_shape, w_shape, stride, padding = NAIVE_SHAPE
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    start = time.perf_counter()
    out, cache = conv.conv2d_forward_naive(x, w, b, stride=stride, padding=padding)
    naive_forward = time.perf_counter() - start
    speedup = naive_forward / fast_naive_shape["numpy forward"]
    missed |= speedup < SPEEDUP_TARGET
    print(f"\nnaive vs vectorised on cs231n's shape ({describe(NAIVE_SHAPE)}), one naive call:")
    print(f"  forward  {naive_forward:7.2f} s vs {fast_naive_shape['numpy forward'] * 1e3:6.2f} ms: "
          f"{speedup:6.0f}x faster (target >= {SPEEDUP_TARGET:.0f}x: {verdict(speedup >= SPEEDUP_TARGET)})")
    if not args.quick:
        dout = rng.standard_normal(out.shape, dtype=np.float32)
        start = time.perf_counter()
        conv.conv2d_backward_naive(dout, cache)
        naive_backward = time.perf_counter() - start
        print(f"  backward {naive_backward:7.2f} s vs {fast_naive_shape['numpy backward'] * 1e3:6.2f} ms: "
              f"{naive_backward / fast_naive_shape['numpy backward']:6.0f}x faster (no target)")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
