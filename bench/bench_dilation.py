"""Speed of the reference dilated convolution (solutions/dilation.py) against torch's conv2d(dilation=...).

Run from the repository root:

    python -m bench.bench_dilation             # full run
    python -m bench.bench_dilation --quick     # fewer repeats
    python -m bench.bench_dilation --threads 1 # pin numpy's BLAS and torch to one thread each

Target (reported as PASS/MISS; the exit code is 0 unless --strict): forward + backward at most 1.5x torch's
CPU time (torch.nn.functional.conv2d and aten.convolution_backward with the same dilation), float32,
geometric mean over the shapes below, both libraries on the same number of threads.
Times are medians of single calls after a warm-up pass over every shape; forward and backward are timed
separately and added.
"""

import argparse
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import geometric_mean, median_time, set_threads, verdict, versions  # noqa: E402
from solutions import dilation  # noqa: E402

# (x shape, w shape, stride, padding, dilation)
SHAPES = [
    ((16, 32, 32, 32), (32, 32, 3, 3), 1, 2, 2),   # a context-module layer, "same" padding at dilation 2
    ((8, 64, 32, 32), (64, 64, 3, 3), 1, 4, 4),    # dilation 4
    ((4, 32, 64, 64), (32, 32, 3, 3), 1, 8, 8),    # dilation 8 on a larger map
    ((8, 64, 28, 28), (64, 64, 3, 3), 1, 2, 2),    # DeepLab-style, where a pooling layer was removed
    ((16, 32, 33, 31), (32, 32, 3, 3), 2, 1, 2),   # stride 2 with dilation 2, odd sizes
    ((32, 3, 32, 32), (16, 3, 3, 3), 1, 1, 1),     # dilation 1: an ordinary first layer
]
RATIO_TARGET = 1.5


def make_case(shape, rng):
    x_shape, w_shape, stride, padding, dil = shape
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    out, cache = dilation.conv2d_dilated_forward(x, w, b, stride=stride, padding=padding, dilation=dil)
    dout = rng.standard_normal(out.shape, dtype=np.float32)
    t = {name: torch.from_numpy(a) for name, a in (("x", x), ("w", w), ("b", b), ("dout", dout))}

    def torch_forward():
        return torch.nn.functional.conv2d(t["x"], t["w"], t["b"], stride=stride, padding=padding, dilation=dil)

    def torch_backward():
        return torch.ops.aten.convolution_backward(
            t["dout"], t["x"], t["w"], [w_shape[0]], [stride, stride], [padding, padding], [dil, dil],
            False, [0, 0], 1, [True, True, True])

    # the timings mean nothing if the answers differ
    np.testing.assert_allclose(out, torch_forward().numpy(), rtol=1e-3, atol=1e-3)
    for ours, theirs in zip(dilation.conv2d_dilated_backward(dout, cache), torch_backward()):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3, atol=1e-2)
    return {
        "numpy forward": lambda: dilation.conv2d_dilated_forward(x, w, b, stride=stride, padding=padding,
                                                                 dilation=dil),
        "numpy backward": lambda: dilation.conv2d_dilated_backward(dout, cache),
        "torch forward": torch_forward,
        "torch backward": torch_backward,
    }


def describe(shape):
    x_shape, w_shape, stride, padding, dil = shape
    return "x {}  w {}  s{} p{} d{}".format("x".join(map(str, x_shape)), "x".join(map(str, w_shape)),
                                            stride, padding, dil)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeat", type=int, help="timed calls per measurement (default 25, quick 7)")
    parser.add_argument("--threads", type=int, help="pin numpy's BLAS and torch to this many threads")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    repeat = args.repeat or (7 if args.quick else 25)
    threads = set_threads(args.threads)
    print(f"Dilated convolution benchmark: float32, CPU, median of {repeat} calls; {threads}")
    print(f"{versions()}\n")

    rng = np.random.default_rng(0)
    cases = [make_case(shape, rng) for shape in SHAPES]
    for case in cases:  # warm-up pass
        for func in case.values():
            for _ in range(3):
                func()

    header = f"{'shape':44s} {'fwd numpy':>10s} {'fwd torch':>10s}   {'bwd numpy':>10s} {'bwd torch':>10s}   " \
             f"{'fwd+bwd ratio':>13s}"
    print(header)
    print("-" * len(header))
    ratios = []
    for shape, case in zip(SHAPES, cases):
        times = {name: median_time(case[name], repeat)
                 for name in ("numpy forward", "torch forward", "numpy backward", "torch backward")}
        ratio = (times["numpy forward"] + times["numpy backward"]) / (times["torch forward"] + times["torch backward"])
        ratios.append(ratio)
        print(f"{describe(shape):44s} {times['numpy forward'] * 1e3:7.2f} ms {times['torch forward'] * 1e3:7.2f} ms   "
              f"{times['numpy backward'] * 1e3:7.2f} ms {times['torch backward'] * 1e3:7.2f} ms   {ratio:13.2f}")
    mean = geometric_mean(ratios)
    print("-" * len(header))
    print(f"{'geometric mean (numpy / torch), fwd+bwd':44s} {mean:.2f} "
          f"(target <= {RATIO_TARGET}: {verdict(mean <= RATIO_TARGET)})")
    return 1 if (mean > RATIO_TARGET and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
