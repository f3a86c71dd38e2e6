"""How many CPU threads should the course's small models train with? The evidence for `training.cpu_threads`.

Run from the repository root:

    python -m bench.bench_threads            # LeNet-5 and a narrow VGG, idle and beside a busy process
    python -m bench.bench_threads --quick    # fewer repeats

A training step (forward, backward, SGD update, batch of 128) is timed with torch on 1 thread and on every CPU,
first on the machine as it is, then with one extra process spinning on a core (a shared machine: another
student's notebook, a CI job). Medians of the repeats, side by side in one run, and the ratio default/chosen.
Target (PASS/MISS; exit code 0 unless --strict): under load, the course's choice (`training.cpu_threads()`)
is no slower than torch's default for either model (ratio >= 0.9).
"""
import argparse
import multiprocessing
import os
import pathlib
import sys
import time

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assignment import training  # noqa: E402
from bench.common import median_time, verdict, versions  # noqa: E402
from solutions.lenet import LeNet5  # noqa: E402


def narrow_vgg():
    """A VGG-11-style net with batch norm at a quarter of the width, for 32x32 colour images."""
    layers, channels = [], 3
    for convs, width in [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)]:
        for _ in range(convs):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))


MODELS = {"LeNet-5": (lambda: LeNet5(in_channels=1), (128, 1, 32, 32)), "narrow VGG-11": (narrow_vgg, (128, 3, 32, 32))}


def step_time(build, shape, threads, repeat):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(shape), torch.randint(0, 10, (shape[0],))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return median_time(step, repeat)


def spin(stop):
    while not stop.is_set():
        sum(range(10_000))


def measure(repeat, chosen, everything):
    rows = {}
    for name, (build, shape) in MODELS.items():
        rows[name] = {n: step_time(build, shape, n, repeat) for n in sorted({1, chosen, everything})}
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, help="ignored: this benchmark compares thread counts itself")
    parser.add_argument("--strict", action="store_true")
    args, _ = parser.parse_known_args(argv)
    repeat = 3 if args.quick else 9
    everything = os.cpu_count() or 1
    chosen = training.cpu_threads()
    print(f"{versions()}; the course's choice: {chosen} thread(s), torch's default: {everything}")
    results = {"as it is": measure(repeat, chosen, everything)}
    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=spin, args=(stop,), daemon=True)
    busy.start()
    time.sleep(0.5)
    try:
        results["one core busy"] = measure(repeat, chosen, everything)
    finally:
        stop.set()
        busy.join()
    ok = True
    print(f"\n{'machine':<16}{'model':<16}" + "".join(f"{f'{n} thread(s)':>14}" for n in sorted({1, chosen, everything}))
          + f"{'default/chosen':>16}")
    for load, rows in results.items():
        for name, times in rows.items():
            ratio = times[everything] / times[chosen]
            cells = "".join(f"{1e3 * times[n]:>11.1f} ms" for n in sorted(times))
            print(f"{load:<16}{name:<16}{cells}{ratio:>15.2f}x")
            if load == "one core busy":
                ok &= ratio >= 0.9
    print(f"{verdict(ok)}: under load the chosen {chosen} thread(s) are no slower than torch's default {everything}")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
