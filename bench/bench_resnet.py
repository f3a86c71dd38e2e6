"""Notebook 07's speed: the course's BatchNorm2d against torch's, and its ResNet-18 against the same network
in torch's own layers.

Run from the repository root:

    python -m bench.bench_resnet             # a GPU when there is one, else the CPU
    python -m bench.bench_resnet --quick     # smaller inputs, fewer repeats (seconds on a CPU)
    python -m bench.bench_resnet --threads 1 # torch on one CPU thread

1. BatchNorm2d in training mode, float32: the reference solution (solutions/resnet.py, written with tensor
   operations: mean, var, sqrt, ...) against torch.nn.BatchNorm2d (one fused kernel), forward alone and
   forward + backward, on the shapes a ResNet meets. Medians of single calls; ratio course/torch (lower is
   better). Target: geometric mean of the forward + backward ratios <= 4 on the CPU and <= 6 on the GPU:
   BN is bound by memory traffic, and a version from tensor operations makes a few passes over the
   activations where torch's fused kernel makes one or two (more kernel launches weigh more on the GPU).
2. Training throughput of ResNet-18 (forward, cross-entropy, backward, SGD step), the course's
   (`resnet18`, nn.BatchNorm2d in its blocks) against an independent build here from nn.Conv2d,
   nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d and nn.Linear (torchvision's resnet18 when torchvision is
   installed), alternating in one run. GPU: batch 128 at 224x224, channels_last, bf16 or fp16 autocast as
   `training.fit` uses; CPU: batch 16 at 64x64 (--quick: 8 at 32x32), float32. Images per second, median over
   rounds; target: course/reference >= 0.95.
On the CPU every time is the CPU time of this process (time.process_time): the machines the course runs on
are often shared, and wall time there measures the neighbours too; on the GPU, wall time after a synchronise.
PASS/MISS per target; the exit code is 0 unless --strict. Without CUDA the GPU rows are not measured and a
line says so.
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
from bench.common import geometric_mean, training_step, verdict, versions  # noqa: E402
from solutions import resnet  # noqa: E402

BN_TARGET = {"cpu": 4.0, "cuda": 6.0}
THROUGHPUT_TARGET = 0.95
# (N, C, H, W) in training mode: a CIFAR ResNet's stages and ResNet-18's at 224x224 (batch 32 on the GPU)
BN_SHAPES = {"cpu": [(128, 16, 32, 32), (128, 32, 16, 16), (128, 64, 8, 8), (16, 64, 56, 56), (16, 256, 14, 14)],
             "cuda": [(256, 16, 32, 32), (256, 64, 8, 8), (32, 64, 112, 112), (32, 128, 28, 28), (32, 512, 7, 7)]}
QUICK_BN_SHAPES = [(32, 16, 32, 32), (32, 64, 8, 8), (8, 256, 14, 14)]


# ------------------------------------------------------------------------------------ batch norm
def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def clock(device):
    """CPU time of this process on the CPU (robust to other load), wall time on a GPU."""
    return time.process_time if device.type == "cpu" else time.perf_counter


def timed(func, device, repeat):
    """Median time of `repeat` calls of func (after two warm-up calls), synchronising a GPU."""
    for _ in range(2):
        func()
    times, now = [], clock(device)
    for _ in range(repeat):
        sync(device)
        start = now()
        func()
        sync(device)
        times.append(now() - start)
    return statistics.median(times)


def bn_case(shape, device):
    """{(layer, "forward" | "forward+backward"): function} for the course's BatchNorm2d and torch's, on the
    same input; the two are checked to agree first."""
    torch.manual_seed(0)
    x = torch.randn(shape, device=device, requires_grad=True)
    dout = torch.randn(shape, device=device)
    layers = {"course": resnet.BatchNorm2d(shape[1]).to(device), "torch": nn.BatchNorm2d(shape[1]).to(device)}
    with torch.no_grad():
        ours, theirs = layers["course"](x), layers["torch"](x)
    if not torch.allclose(ours, theirs, rtol=1e-3, atol=1e-4):
        raise SystemExit(f"the course's BatchNorm2d and torch's disagree on shape {shape}")
    funcs = {}
    for name, layer in layers.items():
        def forward(layer=layer):
            with torch.no_grad():
                return layer(x)

        def both(layer=layer):
            x.grad = None
            layer(x).backward(dout)
        funcs[(name, "forward")], funcs[(name, "forward+backward")] = forward, both
    return funcs


def bench_batchnorm(device, shapes, repeat):
    """Print the table for one device; return the geometric mean of the forward + backward ratios."""
    kind = "CPU time" if device.type == "cpu" else "wall time"
    print(f"\nBatchNorm2d in training mode, float32, {device.type}: median {kind} of {repeat} calls (ms); "
          "ratio course/torch")
    header = (f"{'N x C x H x W':<20}{'fwd course':>11}{'fwd torch':>10}{'ratio':>7}"
              f"{'f+b course':>12}{'f+b torch':>10}{'ratio':>7}")
    print(header)
    print("-" * len(header))
    ratios = {"forward": [], "forward+backward": []}
    for shape in shapes:
        funcs = bn_case(shape, device)
        row = f"{'x'.join(map(str, shape)):<20}"
        for kind in ratios:
            ours, theirs = (timed(funcs[(name, kind)], device, repeat) for name in ("course", "torch"))
            ratios[kind].append(ours / theirs)
            row += f"{ours * 1e3:{11 if kind == 'forward' else 12}.3f}{theirs * 1e3:10.3f}{ours / theirs:7.2f}"
        print(row)
    print("-" * len(header))
    means = {kind: geometric_mean(r) for kind, r in ratios.items()}
    target = BN_TARGET[device.type]
    print(f"geometric mean: forward {means['forward']:.2f}, forward+backward {means['forward+backward']:.2f} "
          f"({verdict(means['forward+backward'] <= target)}: target <= {target} for forward+backward)")
    return means["forward+backward"] <= target


# ----------------------------------------------------------------------------------- throughput
class Residual(nn.Module):
    """ReLU(branch(x) + shortcut(x)); an empty shortcut is the identity."""

    def __init__(self, branch, shortcut):
        super().__init__()
        self.branch, self.shortcut = branch, shortcut

    def forward(self, x):
        return torch.relu(self.branch(x) + self.shortcut(x))


def conv_bn(cin, cout, kernel, stride):
    return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout)]


def reference_resnet18(num_classes=1000):
    """ResNet-18 written independently: torchvision's when installed, else torch's layers in nn.Sequential
    (7x7/2 stem, 3x3/2 padded max pool, four stages of two basic blocks, 1x1 projections where the shape
    changes, global average, fc)."""
    try:
        import torchvision
        return torchvision.models.resnet18(num_classes=num_classes), "torchvision's resnet18"
    except ImportError:
        pass
    layers, cin = [*conv_bn(3, 64, 7, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)], 64
    for i, width in enumerate((64, 128, 256, 512)):
        for j in range(2):
            stride = 2 if i > 0 and j == 0 else 1
            branch = nn.Sequential(*conv_bn(cin, width, 3, stride), nn.ReLU(inplace=True), *conv_bn(width, width, 3, 1))
            changes = stride != 1 or cin != width
            shortcut = nn.Sequential(*conv_bn(cin, width, 1, stride)) if changes else nn.Sequential()
            layers.append(Residual(branch, shortcut))
            cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes)]
    return nn.Sequential(*layers), "an independent build from torch's layers"


def images_per_second(step, device, steps, batch):
    now = clock(device)
    sync(device)
    start = now()
    for _ in range(steps):
        step()
    sync(device)
    return steps * batch / (now() - start)


def bench_throughput(device, quick):
    cuda = device.type == "cuda"
    precision = training.precision_for(device)
    batch, size = (128, 224) if cuda else ((8, 32) if quick else (16, 64))
    rounds, steps = (3, 2) if quick else (7, 20 if cuda else 5)
    torch.manual_seed(0)
    course = resnet.resnet18()
    reference, built = reference_resnet18()
    counts = (training.count_parameters(course), training.count_parameters(reference))
    if counts[0] != counts[1]:
        raise SystemExit(f"the two networks differ: {counts[0]:,} against {counts[1]:,} parameters")
    steppers = {"course resnet18": training_step(course, device, batch, size, precision, classes=1000),
                "torch layers": training_step(reference, device, batch, size, precision, classes=1000)}
    for step in steppers.values():  # warm-up: cuDNN's choice of kernels, allocator, caches
        for _ in range(2 if quick else 3):
            step()
    speeds = {name: [] for name in steppers}
    for _ in range(rounds):
        for name, step in steppers.items():
            speeds[name].append(images_per_second(step, device, steps, batch))
    medians = {name: statistics.median(v) for name, v in speeds.items()}
    ratio = medians["course resnet18"] / medians["torch layers"]
    print(f"\nResNet-18 training steps, {counts[0]:,} parameters, batch {batch} at {size}x{size}, {device.type}, "
          f"{precision}{', channels_last' if cuda else ''}; reference: {built}")
    for name, value in medians.items():
        unit = "images per CPU second" if device.type == "cpu" else "images/s"
        print(f"{name:<18}{value:>12,.1f} {unit} (median of {rounds} rounds of {steps} steps)")
    print(f"{verdict(ratio >= THROUGHPUT_TARGET)}: course/reference = {ratio:.3f} (target >= {THROUGHPUT_TARGET})")
    return ratio >= THROUGHPUT_TARGET


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats")
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: the course's choice)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args, _ = parser.parse_known_args(argv)
    threads = training.cpu_threads(args.threads)
    cuda = torch.cuda.is_available()
    print(f"{versions()}; torch on {threads} CPU thread(s)"
          + (f"; GPU: {torch.cuda.get_device_name(0)}" if cuda else ""))
    repeat = 5 if args.quick else 15
    ok = bench_batchnorm(torch.device("cpu"), QUICK_BN_SHAPES if args.quick else BN_SHAPES["cpu"], repeat)
    if cuda:
        ok &= bench_batchnorm(torch.device("cuda"), BN_SHAPES["cuda"], 5 if args.quick else 25)
        ok &= bench_throughput(torch.device("cuda"), args.quick)
    if args.quick or not cuda:
        ok &= bench_throughput(torch.device("cpu"), args.quick)
    if not cuda:
        print("\nGPU: CUDA is not available here, so the GPU rows (BatchNorm2d on the GPU, ResNet-18 at 224x224 "
              "with the target >= 0.95) were not measured")
    return 1 if (not ok and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
