"""Helpers shared by the benchmarks: thread settings, median timing, geometric means, PASS/MISS."""
import math
import os
import statistics
import time

import numpy as np
import torch


def blas_threads():
    """(library name, thread count) of numpy's BLAS, or (None, None) when threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None, None
    for pool in threadpool_info():
        if pool["user_api"] == "blas" and "numpy" in pool["filepath"].replace("_", ""):
            return pool["internal_api"], pool["num_threads"]
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    return (blas[0]["internal_api"], blas[0]["num_threads"]) if blas else (None, None)


def pin_threads(count):
    """Limit numpy's BLAS and torch to `count` threads; returns a description."""
    torch.set_num_threads(count)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return f"torch {count} threads; numpy's BLAS not pinned (threadpoolctl missing)"
    threadpool_limits(count, user_api="blas")
    return f"numpy BLAS and torch both pinned to {count} thread(s)"


def set_threads(count=None):
    """Pin both libraries to `count` threads, or give torch as many threads as numpy's BLAS has; a description."""
    if count:
        return pin_threads(count)
    library, found = blas_threads()
    found = found or os.cpu_count()
    torch.set_num_threads(found)
    return f"numpy BLAS ({library or 'unknown'}) {found} thread(s); torch set to the same {found}"


def versions():
    return f"numpy {np.__version__}, torch {torch.__version__}, {os.cpu_count()} CPU cores"


def median_time(func, repeat):
    """Median of `repeat` single calls, after a pause that lets the other library's spinning threads idle."""
    time.sleep(0.2)
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def verdict(ok):
    return "PASS" if ok else "MISS"


def training_step(model, device, batch, size, precision, classes=10):
    """A function that runs one training step (forward, cross-entropy, backward, SGD with momentum) of `model`
    on a fixed random batch of `batch` colour images of size x size, with `training.fit`'s settings for the
    device: channels_last on CUDA, autocast in `precision` ("bf16", "fp16" with a gradient scaler, "fp32")."""
    channels_last = device.type == "cuda"
    model = model.to(device, memory_format=torch.channels_last) if channels_last else model.to(device)
    x = torch.randn(batch, 3, size, size, device=device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, classes, (batch,), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return step
