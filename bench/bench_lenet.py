"""LeNet-5 (solutions/lenet.py) trained with the course's recipe on the offline digits, on the CPU.

Run from the repository root:

    python -m bench.bench_lenet               # one seed, full C3 and the sparse table
    python -m bench.bench_lenet --seeds 5     # median and worst accuracy over seeds 0..4
    python -m bench.bench_lenet --quick       # 5 epochs, one seed (a check that it runs)

Target (PASS/MISS; the exit code is 0 unless --strict): at least 98.5% test accuracy on scikit-learn's
digits (fixed 80/20 split: 360 test images, so at most 5 errors) within 30 s of training, with
`training.digits_recipe` (Adam, cosine decay, batches of 64 shifted by up to 2 pixels, 50 epochs).
MNIST (target 99%) is measured only when torchvision is installed and can download it.
"""
import argparse
import io
import pathlib
import statistics
import sys
from contextlib import redirect_stdout

import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assignment import data, training  # noqa: E402
from bench.common import verdict, versions  # noqa: E402
from solutions.lenet import LeNet5  # noqa: E402

ACCURACY_TARGET, SECONDS_TARGET = 0.985, 30.0


def run(digits, seed, epochs, **model_args):
    torch.manual_seed(seed)
    model = LeNet5(**model_args)
    history = training.digits_recipe(model, digits, epochs=epochs, device=torch.device("cpu"), seed=seed,
                                     progress=False)
    return history["test_acc"][-1], sum(history["seconds"]), len(history["epoch"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    args, _ = parser.parse_known_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs, seeds = (5, 1) if args.quick else (None, args.seeds)
    print(f"{versions()}; torch uses {torch.get_num_threads()} thread(s)")
    with redirect_stdout(io.StringIO()):
        digits = data.load_digits("digits", smoke=False)
    print(f"data: {digits.note}")
    missed = False
    for label, model_args in (("full C3", {}), ("sparse C3 table", {"c3_table": True})):
        results = [run(digits, seed, epochs, **model_args) for seed in range(seeds)]
        accs = [a for a, _, _ in results]
        secs = [s for _, s, _ in results]
        n_epochs = results[0][2]
        acc, worst, sec = statistics.median(accs), min(accs), statistics.median(secs)
        ok = acc >= ACCURACY_TARGET and sec <= SECONDS_TARGET
        missed |= not ok
        print(f"{label:<16} {n_epochs} epochs in {sec:5.1f} s ({n_epochs / sec:.2f} epochs/s); test accuracy "
              f"median {acc:.2%}, worst {worst:.2%} over {seeds} seed(s), "
              f"{round((1 - acc) * len(digits.test_y))} errors of {len(digits.test_y)} "
              f"(target >= {ACCURACY_TARGET:.1%} within {SECONDS_TARGET:.0f} s: {verdict(ok)})")
    try:
        import torchvision  # noqa: F401
        print("MNIST: run notebooks/04_lenet.ipynb with torchvision online for the MNIST figures")
    except ImportError:
        print("MNIST: torchvision is not installed here, so MNIST was not measured")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
