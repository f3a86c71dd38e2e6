"""The image data for notebooks 05-07: drawing the offline Shapes set, crop-and-flip throughput, and how far
LeNet-5 falls behind a small VGG on Shapes.

Run from the repository root:

    python -m bench.bench_data                # Shapes drawn 3 times; LeNet-5 and VGG-11/4 for 10 epochs
    python -m bench.bench_data --epochs 15    # notebook 05's CPU setting for the offline set
    python -m bench.bench_data --seeds 3      # median and worst accuracy over seeds 0..2
    python -m bench.bench_data --quick        # seconds: a small draw, 1 epoch on the smoke subset

Both networks are notebook 05's: LeNet-5 (notebook 04's, full C3, ReLU, three input channels) and VGG-11
with batch norm and a quarter of the channels (16, 32, 64, 64, 128, 128, 128, 128; classifier 128, 128),
trained alike with `training.cifar_recipe` (SGD with Nesterov momentum, weight decay, one-cycle learning
rate, batches of 128 cropped and flipped).

Targets (PASS/MISS; the exit code is 0 unless --strict), on one CPU thread unless --threads says otherwise:
- the default Shapes set (10,000 training and 2,000 test images) drawn within 10 s of CPU time;
- crop-and-flip at >= 20,000 images/s on the CPU (batches of 128), so that augmenting costs a small part
  of a training step;
- after 10 epochs, VGG-11/4 at >= 85% test accuracy and LeNet-5 at least 8 points below it, and above
  30% (three times chance): on Shapes the architecture matters.
"""
import argparse
import io
import pathlib
import statistics
import sys
import time
from contextlib import redirect_stdout

import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assignment import data, shapes, training  # noqa: E402
from bench.common import median_time, pin_threads, verdict, versions  # noqa: E402
from solutions import vgg  # noqa: E402
from solutions.lenet import LeNet5  # noqa: E402

DRAW_SECONDS, AUGMENT_RATE = 10.0, 20_000
VGG_TARGET, GAP_TARGET, LENET_FLOOR = 0.85, 0.08, 0.30
MODELS = {
    "LeNet-5 (ReLU)": lambda: LeNet5(in_channels=3, activation="relu"),
    "VGG-11/4 (BN)": lambda: vgg.VGG([(n, c // 4) for n, c in vgg.VGG11_ARCH], num_classes=10, image_size=32,
                                     hidden=128, batch_norm=True),
}


def time_drawing(sizes, repeat):
    """Median (wall, CPU) seconds to draw a Shapes set of `sizes` (train, test), without the in-memory cache.
    The CPU time is what the drawing itself costs; the wall time grows with whatever else the machine runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for split, n in enumerate(sizes):
            shapes.draw_shapes(n, seed=0, split=split)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def augment_rate(device, batch_size=128, repeat=50):
    """Images per second through crop_and_flip(4) on `device`, batches of `batch_size`."""
    x = torch.randn(batch_size, 3, 32, 32, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    augment = data.crop_and_flip(4)

    def step():
        augment(x, generator)
        if device.type == "cuda":
            torch.cuda.synchronize()
    return batch_size / median_time(step, repeat)


def train(images, name, seed, epochs):
    """(final test accuracy, training seconds) of one model trained with the course's recipe."""
    torch.manual_seed(seed)
    model = MODELS[name]()
    history = training.cifar_recipe(model, images, epochs=epochs, device=torch.device("cpu"), seed=seed,
                                    progress=False)
    return history["test_acc"][-1], sum(history["seconds"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="numpy's BLAS and torch threads (default 1)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=1)
    args, _ = parser.parse_known_args(argv)
    print(f"{versions()}; {pin_threads(args.threads)}")
    missed = False

    sizes = (1_000, 200) if args.quick else data.SHAPES_SIZES
    wall, cpu = time_drawing(sizes, repeat=1 if args.quick else 3)
    ok = args.quick or cpu <= DRAW_SECONDS
    missed |= not ok
    judged = "not judged in --quick" if args.quick else verdict(ok)
    print(f"Shapes: {sizes[0]:,} + {sizes[1]:,} images drawn in {cpu:.2f} s of CPU ({wall:.2f} s wall; medians), "
          f"{sum(sizes) / cpu:,.0f} images/s (target: the default set within {DRAW_SECONDS:.0f} s of CPU: {judged})")

    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for device in devices:
        rate = augment_rate(device, repeat=10 if args.quick else 50)
        ok = device.type != "cpu" or rate >= AUGMENT_RATE
        missed |= not ok
        target = f"target >= {AUGMENT_RATE:,}/s: {verdict(ok)}" if device.type == "cpu" else "no target"
        print(f"crop_and_flip(4) on {device.type}: {rate:,.0f} images/s in batches of 128 ({target})")

    with redirect_stdout(io.StringIO()):
        images = data.load_cifar10("shapes", smoke=args.quick)
    epochs, seeds = (1, 1) if args.quick else (args.epochs, args.seeds)
    print(f"data: {images.note}; {epochs} epoch(s) of training.cifar_recipe, {seeds} seed(s)")
    results = {}
    for name in MODELS:
        runs = [train(images, name, seed, epochs) for seed in range(seeds)]
        accs, secs = [a for a, _ in runs], [s for _, s in runs]
        results[name] = statistics.median(accs), min(accs), statistics.median(secs)
        acc, worst, sec = results[name]
        print(f"{name:<16} {training.count_parameters(MODELS[name]()):>9,} parameters: test accuracy median "
              f"{acc:.2%}, worst {worst:.2%}; {sec:.0f} s of training ({epochs * len(images.train_y) / sec:,.0f} "
              f"images/s)")
    (lenet_acc, _, lenet_sec), (vgg_acc, _, vgg_sec) = results.values()
    gap = vgg_acc - lenet_acc
    error_ratio = (1 - lenet_acc) / max(1 - vgg_acc, 1e-9)
    ok = vgg_acc >= VGG_TARGET and gap >= GAP_TARGET and lenet_acc >= LENET_FLOOR
    judged = "not judged in --quick" if args.quick else verdict(ok)
    missed |= not (ok or args.quick)
    print(f"gap: VGG-11/4 {100 * gap:+.1f} points over LeNet-5; LeNet-5 makes {error_ratio:.1f}x the errors, "
          f"VGG-11/4 takes {vgg_sec / lenet_sec:.1f}x the time (targets: VGG >= {VGG_TARGET:.0%}, gap >= "
          f"{100 * GAP_TARGET:.0f} points, LeNet >= {LENET_FLOOR:.0%}: {judged})")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
