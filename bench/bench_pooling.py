"""Speed of the reference pooling (solutions/pooling.py) against torch, and naive vs vectorised.

Run from the repository root:

    python -m bench.bench_pooling             # full run
    python -m bench.bench_pooling --quick     # fewer repeats
    python -m bench.bench_pooling --threads 1 # pin numpy's BLAS and torch to one thread each

Targets (reported as PASS/MISS; the exit code is 0 unless --strict):
- vectorised max and average pooling forward at most 1.0x torch's CPU time (max_pool2d, avg_pool2d),
  float32, geometric mean over the shapes below (each kind on its own);
- vectorised forward at least 100x faster than the naive loops on a 2x2/2 layer.
Backward times are reported against torch's max_pool2d_with_indices_backward / avg_pool2d_backward
(no target). Times are medians of single calls after a warm-up pass over every shape.
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
from solutions import pooling  # noqa: E402

# (x shape, kernel_size, stride, padding)
SHAPES = [
    ((32, 64, 32, 32), 2, 2, 0),     # VGG-style 2x2/2 on CIFAR-sized maps
    ((16, 64, 112, 112), 3, 2, 1),   # ResNet's stem pooling (overlapping 3x3/2, pad 1: 112 -> 56) after the 7x7 conv
    ((16, 96, 55, 55), 3, 2, 0),     # AlexNet's first pooling (overlapping, 55 -> 27)
    ((64, 6, 28, 28), 2, 2, 0),      # LeNet's S2
    ((16, 128, 28, 28), 3, 1, 1),    # Inception's pool branch (3x3/1, pad 1: the size is kept)
    ((32, 32, 33, 31), 2, 2, 0),     # odd sizes: the last row/column dropped
]
NAIVE_SHAPE = ((8, 16, 32, 32), 2, 2, 0)
RATIO_TARGET = 1.0
SPEEDUP_TARGET = 100.0


def make_case(shape, rng):
    x_shape, k, s, p = shape
    x = rng.standard_normal(x_shape, dtype=np.float32)
    xt = torch.from_numpy(x)
    funcs = {}
    for kind in ("max", "avg"):
        forward, backward = getattr(pooling, f"{kind}_pool_forward"), getattr(pooling, f"{kind}_pool_backward")
        out, cache = forward(x, k, s, p)
        dout = rng.standard_normal(out.shape, dtype=np.float32)
        dt = torch.from_numpy(dout)
        if kind == "max":
            t_out, indices = torch.nn.functional.max_pool2d(xt, k, s, p, return_indices=True)

            def torch_backward(dt=dt, indices=indices):
                return torch.ops.aten.max_pool2d_with_indices_backward(dt, xt, [k, k], [s, s], [p, p], [1, 1],
                                                                       False, indices)
            torch_forward = lambda: torch.nn.functional.max_pool2d(xt, k, s, p)  # noqa: E731
        else:
            t_out = torch.nn.functional.avg_pool2d(xt, k, s, p)

            def torch_backward(dt=dt):
                return torch.ops.aten.avg_pool2d_backward(dt, xt, [k, k], [s, s], [p, p], False, True, None)
            torch_forward = lambda: torch.nn.functional.avg_pool2d(xt, k, s, p)  # noqa: E731
        # the timings mean nothing if the answers differ
        np.testing.assert_allclose(out, t_out.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(backward(dout, cache), torch_backward().numpy(), rtol=1e-4, atol=1e-5)
        funcs[kind] = {
            "numpy forward": lambda forward=forward: forward(x, k, s, p),
            "numpy backward": lambda backward=backward, dout=dout, cache=cache: backward(dout, cache),
            "torch forward": torch_forward,
            "torch backward": torch_backward,
        }
    return funcs


def describe(shape):
    x_shape, k, s, p = shape
    return "x {}  {}x{}/{}{}".format("x".join(map(str, x_shape)), k, k, s, f" pad {p}" if p else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeat", type=int, help="timed calls per measurement (default 25, quick 7)")
    parser.add_argument("--threads", type=int, help="pin numpy's BLAS and torch to this many threads")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    repeat = args.repeat or (7 if args.quick else 25)
    threads = set_threads(args.threads)
    print(f"Pooling benchmark: float32, CPU, median of {repeat} calls; {threads}")
    print(versions() + "\n")

    rng = np.random.default_rng(0)
    cases = [make_case(shape, rng) for shape in SHAPES]
    for case in cases:  # warm-up pass
        for funcs in case.values():
            for func in funcs.values():
                for _ in range(3):
                    func()

    header = f"{'kind':4s} {'shape':30s} {'fwd numpy':>10s} {'fwd torch':>10s} {'ratio':>6s}   " \
             f"{'bwd numpy':>10s} {'bwd torch':>10s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    ratios = {(kind, d): [] for kind in ("max", "avg") for d in ("forward", "backward")}
    for shape, case in zip(SHAPES, cases):
        for kind, funcs in case.items():
            times = {name: median_time(func, repeat) for name, func in funcs.items()}
            row = f"{kind:4s} {describe(shape):30s}"
            for d in ("forward", "backward"):
                ratio = times[f"numpy {d}"] / times[f"torch {d}"]
                ratios[kind, d].append(ratio)
                row += f" {times[f'numpy {d}'] * 1e3:7.2f} ms {times[f'torch {d}'] * 1e3:7.2f} ms {ratio:6.2f}   "
            print(row.rstrip())
    print("-" * len(header))
    missed = False
    for kind in ("max", "avg"):
        forward, backward = geometric_mean(ratios[kind, "forward"]), geometric_mean(ratios[kind, "backward"])
        missed |= forward > RATIO_TARGET
        print(f"geometric mean (numpy / torch), {kind}: forward {forward:.2f} (target <= {RATIO_TARGET}: "
              f"{verdict(forward <= RATIO_TARGET)}), backward {backward:.2f} (no target)")

    x_shape, k, s, _ = NAIVE_SHAPE
    x = rng.standard_normal(x_shape, dtype=np.float32)
    print(f"\nnaive vs vectorised forward on {describe(NAIVE_SHAPE)}, one naive call:")
    for kind in ("max", "avg"):
        fast = median_time(lambda: getattr(pooling, f"{kind}_pool_forward")(x, k, s), repeat)
        start = time.perf_counter()
        getattr(pooling, f"{kind}_pool_forward_naive")(x, k, s)
        naive = time.perf_counter() - start
        speedup = naive / fast
        missed |= speedup < SPEEDUP_TARGET
        print(f"  {kind}  {naive * 1e3:8.1f} ms vs {fast * 1e3:6.3f} ms: {speedup:6.0f}x faster "
              f"(target >= {SPEEDUP_TARGET:.0f}x: {verdict(speedup >= SPEEDUP_TARGET)})")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
