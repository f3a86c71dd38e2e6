"""Training speed of the course's VGG-11 (solutions/vgg.py) against the same network in torch's own layers.

Run from the repository root:

    python -m bench.bench_vgg            # a GPU when there is one (full width, batch 256), else the CPU
    python -m bench.bench_vgg --quick    # fewer steps

One training step = forward, cross-entropy, backward and an SGD update on a batch of 32x32 colour images, with
the settings `training.fit` uses on the device (CUDA: channels_last and bf16 or fp16 autocast; CPU: float32 on
the threads `training.cpu_threads` chose, at a quarter of the width as notebook 05 uses there). The reference
network is built independently here from nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d and nn.Linear in
one flat nn.Sequential, with the same layers. Both are timed side by side, alternating, in one run; the table
gives images per second (median over rounds) and the ratio course/reference.
Target (PASS/MISS; exit code 0 unless --strict): the course's network trains at >= 0.95 of the reference's speed.
"""
import argparse
import pathlib
import statistics
import sys
import time

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assignment import training  # noqa: E402
from bench.common import training_step, verdict, versions  # noqa: E402
from solutions import vgg  # noqa: E402

TARGET = 0.95


def reference_vgg(arch, hidden, num_classes=10):
    """VGG with batch norm for 32x32 inputs, written flat with torch's layers."""
    layers, channels = [], 3
    for num_convs, width in arch:
        for _ in range(num_convs):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
            channels = width
        layers.append(nn.MaxPool2d(2, 2))
    layers += [nn.Flatten(), nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Dropout(0.5),
               nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(hidden, num_classes)]
    return nn.Sequential(*layers)


def images_per_second(step, device, steps, batch):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, help="CPU threads (default: the course's choice)")
    parser.add_argument("--strict", action="store_true")
    args, _ = parser.parse_known_args(argv)
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    threads = training.cpu_threads(args.threads)
    width, batch = (1, 256) if cuda else (4, 128)
    arch = [(n, c // width) for n, c in vgg.VGG11_ARCH]
    hidden = 512 // width
    precision = training.precision_for(device)
    rounds, steps = (3, 5) if args.quick else (7, 30 if cuda else 10)
    where = (f"GPU: {torch.cuda.get_device_name(0)}, {precision}, channels_last" if cuda else
             f"no GPU here: CPU, {threads} thread(s), float32; the GPU rows need CUDA")
    print(f"{versions()}; {where}")
    torch.manual_seed(0)
    course = vgg.VGG(arch, num_classes=10, image_size=32, hidden=hidden, batch_norm=True)
    reference = reference_vgg(arch, hidden)
    counts = (training.count_parameters(course), training.count_parameters(reference))
    if counts[0] != counts[1]:
        raise SystemExit(f"the two networks differ: {counts[0]:,} against {counts[1]:,} parameters")
    steppers = {"course VGG-11": training_step(course, device, batch, 32, precision),
                "torch layers": training_step(reference, device, batch, 32, precision)}
    for step in steppers.values():  # warm-up: cuDNN's choice of kernels, allocator, caches
        for _ in range(3):
            step()
    speeds = {name: [] for name in steppers}
    for _ in range(rounds):
        for name, step in steppers.items():
            speeds[name].append(images_per_second(step, device, steps, batch))
    medians = {name: statistics.median(v) for name, v in speeds.items()}
    ratio = medians["course VGG-11"] / medians["torch layers"]
    print(f"\nVGG-11 with batch norm, channels {[c for _, c in arch]}, {counts[0]:,} parameters, batch {batch}, "
          f"{device.type}")
    for name, value in medians.items():
        print(f"{name:<16}{value:>12,.0f} images/s (median of {rounds} rounds of {steps} steps)")
    print(f"{verdict(ratio >= TARGET)}: course/reference = {ratio:.3f} (target >= {TARGET})")
    if not cuda:
        print("GPU: not present here; on a CUDA machine this benchmark measures the GPU rows instead")
    return 0 if ratio >= TARGET or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
