"""Naive against bottleneck Inception modules (solutions/inception.py): measured time and memory set against
their counted multiply-adds. Does the measured speed-up follow the count?

Run from the repository root:

    python -m bench.bench_inception             # full run (CPU, and the GPU when there is one)
    python -m bench.bench_inception --quick     # one image, few repeats, no fresh processes: a check that it runs
    python -m bench.bench_inception --threads 1 # pin torch (and numpy's BLAS) to one thread

Cases, each as the naive module and as the module with 1x1 bottlenecks (same branch outputs):
- cs231n's example: 28x28x256 input, 128 1x1, 192 3x3 and 96 5x5 filters; 64-map reductions and pool projection
  (854M against 271M multiply-adds per image: the count predicts a 3.15x speed-up);
- GoogLeNet's inception (3a): 28x28x192 input, Table 1's numbers.
For every module: multiply-adds per image counted with `count_macs`; median time of a forward pass (eval mode,
autograd off) and of a forward and backward pass (training); the memory autograd keeps for the backward pass
(bytes of the tensors saved for it, measured with saved-tensor hooks) and the peak memory of one training pass
(CPU: the peak growth of a fresh process's resident memory, sampled; GPU: torch.cuda.max_memory_allocated).
The ratio of ratios is (measured naive / bottleneck time) / (counted naive / bottleneck multiply-adds):
1.0 when the speed-up is what the count says, below 1 when the bottleneck module gains less than its count.
Target (PASS/MISS; the exit code is 0 unless --strict): on the CPU, the forward pass's ratio of ratios is
between 0.5 and 2 for both cases (the count predicts the measured speed-up within a factor of 2).
"""
import argparse
import json
import pathlib
import subprocess
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import median_time, set_threads, verdict, versions  # noqa: E402
from solutions import inception  # noqa: E402

# name: (input (C, H, W), naive (c1, c3, c5), bottleneck (c1, c3_reduce, c3, c5_reduce, c5, pool_proj))
CASES = {
    "cs231n 28x28x256": ((256, 28, 28), (128, 192, 96), (128, 64, 192, 64, 96, 64)),
    "GoogLeNet 3a 28x28x192": ((192, 28, 28), (64, 128, 32), inception.TABLE1["3a"][1:]),
}
RATIO_RANGE = (0.5, 2.0)


def build(case, kind):
    (channels, _, _), naive, bottleneck = CASES[case]
    torch.manual_seed(0)
    if kind == "naive":
        return inception.NaiveInception(channels, *naive)
    return inception.Inception(channels, *bottleneck)


def saved_bytes(module, x):
    """Bytes of the tensors autograd keeps for the backward pass of module(x) (each storage counted once)."""
    storages = {}

    def keep(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        module(x.requires_grad_(True))
    return sum(storages.values())


PEAK_SCRIPT = """
import json, sys, threading, time, torch
sys.path.insert(0, '.')
torch.set_num_threads({threads})
from bench.bench_inception import build
page = __import__('os').sysconf('SC_PAGE_SIZE')
def resident():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * page
module, x = build({case!r}, {kind!r}), torch.randn({batch}, *{shape}, requires_grad=True)
peak, running = [0], [True]
def watch():
    while running[0]:
        peak[0] = max(peak[0], resident())
        time.sleep(0.0005)
before = resident()
watcher = threading.Thread(target=watch)
watcher.start()
module(x).sum().backward()
running[0] = False
watcher.join()
print(json.dumps(max(peak[0], resident()) - before))
"""


def cpu_peak_growth(case, kind, batch, threads):
    """Peak growth of a fresh process's resident memory over one forward and backward pass, in bytes (sampled
    every 0.5 ms from /proc/self/statm, so Linux only; NaN elsewhere)."""
    code = PEAK_SCRIPT.format(threads=threads, case=case, kind=kind, batch=batch, shape=CASES[case][0])
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
        return json.loads(proc.stdout) if proc.returncode == 0 else float("nan")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return float("nan")


def gpu_peak(module, x):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    module(x.requires_grad_(True)).sum().backward()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before


def timed(func, device, repeat):
    if device.type != "cuda":
        return median_time(func, repeat)

    def synced():
        func()
        torch.cuda.synchronize()
    return median_time(synced, repeat)


def measure(case, kind, device, batch, repeat, threads, fresh_peak=True):
    module = build(case, kind).to(device)
    x = torch.randn(batch, *CASES[case][0], device=device)
    macs = sum(inception.count_macs(build(case, kind), CASES[case][0]).values())

    def forward():
        with torch.no_grad():
            module(x)

    def training():
        module.zero_grad(set_to_none=True)
        module(x).sum().backward()

    module.eval()
    fwd = timed(forward, device, repeat)
    module.train()
    both = timed(training, device, repeat)
    saved = saved_bytes(module, x.clone())
    if device.type == "cuda":
        peak = gpu_peak(module, x.clone())
    else:
        peak = cpu_peak_growth(case, kind, batch, threads) if fresh_peak else float("nan")
    out_channels = module.out_channels
    return {"macs": macs, "forward": fwd, "training": both, "saved": saved, "peak": peak, "depth": out_channels}


def ratio(a, b):
    return f"{a / b:.2f}x" if b > 0 and a == a else "n/a"


def report(device, batch, repeat, threads, fresh_peak=True):
    """Print the table for one device; returns {case: forward ratio of ratios}."""
    header = (f"{'case':24s} {'module':10s} {'depth':>5s} {'MACs/img':>9s} {'forward':>10s} {'fwd+bwd':>10s} "
              f"{'saved':>9s} {'peak':>9s}")
    print(header)
    print("-" * len(header))
    ratios = {}
    for case in CASES:
        rows = {kind: measure(case, kind, device, batch, repeat, threads, fresh_peak)
                for kind in ("naive", "bottleneck")}
        for kind, r in rows.items():
            print(f"{case if kind == 'naive' else '':24s} {kind:10s} {r['depth']:5d} {r['macs'] / 1e6:8.1f}M "
                  f"{r['forward'] * 1e3:7.2f} ms {r['training'] * 1e3:7.2f} ms {r['saved'] / 2**20:6.1f} MB "
                  f"{r['peak'] / 2**20:6.1f} MB")
        naive, neck = rows["naive"], rows["bottleneck"]
        counted = naive["macs"] / neck["macs"]
        fwd, both = naive["forward"] / neck["forward"], naive["training"] / neck["training"]
        ratios[case] = fwd / counted
        print(f"{'':24s} counted {counted:.2f}x fewer multiply-adds; measured speed-up forward {fwd:.2f}x "
              f"(ratio of ratios {fwd / counted:.2f}), forward+backward {both:.2f}x ({both / counted:.2f}); "
              f"memory saved for backward {ratio(naive['saved'], neck['saved'])}, "
              f"peak {ratio(naive['peak'], neck['peak'])}")
    return ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch 1, 3 repeats, no fresh-process CPU peak")
    parser.add_argument("--repeat", type=int, help="timed calls per measurement (default 7, quick 3)")
    parser.add_argument("--batch", type=int, help="images per call on the CPU (default 8, quick 1)")
    parser.add_argument("--threads", type=int, help="pin torch and numpy's BLAS to this many threads")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args, _ = parser.parse_known_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    batch = args.batch or (1 if args.quick else 8)
    threads = set_threads(args.threads)
    print(f"Inception benchmark: naive vs bottleneck modules, float32, median of {repeat} calls; {threads}")
    print(versions() + "\n")
    print(f"CPU, batch {batch}:")
    ratios = report(torch.device("cpu"), batch, repeat, torch.get_num_threads(), fresh_peak=not args.quick)
    if args.quick:
        print("(--quick: the CPU peak, measured in a fresh process, is left out)")
    low, high = RATIO_RANGE
    ok = all(low <= r <= high for r in ratios.values())
    print(f"CPU forward ratio of ratios {', '.join(f'{r:.2f}' for r in ratios.values())} (target within "
          f"[{low}, {high}]: the count predicts the speed-up within a factor of 2): {verdict(ok)}")
    if torch.cuda.is_available():
        gpu_batch = 8 * batch
        print(f"\nGPU ({torch.cuda.get_device_name(0)}), float32, batch {gpu_batch} (no target: small layers on a "
              "GPU are often limited by memory traffic and launches, not by multiply-adds):")
        report(torch.device("cuda"), gpu_batch, repeat, torch.get_num_threads())
    else:
        print("\nGPU: not present here (torch.cuda.is_available() is False); on a CUDA machine the same table is "
              "printed for the GPU")
    return 1 if (not ok and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
