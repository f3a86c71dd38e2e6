"""Training helpers for notebooks 04-07: the device, parameter counts and summaries, a `fit` loop with
a progress bar, checkpoints and resume, recipes, and predictions for the pictures.

    device = pick_device()                                  # CUDA, then Apple MPS, then CPU; printed once
    history = fit(model, train, test, optimizer, epochs=10, device=device)
    plots.plot_history(history)

On CUDA, `fit` uses mixed precision (bf16 where the GPU computes it natively, else fp16 with a gradient
scaler) and channels_last by default, and compiles the model with torch.compile for long runs. On the CPU it
runs in float32, uncompiled, on the number of threads `cpu_threads` chose (see there).
"""
import os
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from torch import nn

from assignment import course

_DEVICE = None


def cpu_threads(count=None):
    """Set and return the number of threads torch uses on the CPU.

    count: a number, or None for $COURSE_THREADS when set, else half the CPUs this process may run on (at
    least 1). torch's default (one thread per CPU) is fastest on an idle machine with large layers, but the
    course's models are small and its machines are often shared: each of torch's threads waits for the
    slowest at every layer, so one busy core stalls them all. On two shared cores notebook 04 took minutes
    with two threads and seconds with one. `python -m bench.bench_threads` measures it on your machine."""
    if count is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        count = os.environ.get("COURSE_THREADS") or max(1, cpus // 2)
    count = int(count)
    if count < 1:
        raise ValueError(f"the number of CPU threads must be at least 1, got {count}")
    torch.set_num_threads(count)
    return count


def pick_device(verbose=True):
    """The best device here, chosen once: CUDA, then Apple's MPS, then the CPU (with `cpu_threads()`)."""
    global _DEVICE
    if _DEVICE is None:
        if torch.cuda.is_available():
            _DEVICE = torch.device("cuda")
            what = f"{torch.cuda.get_device_name(0)}, {precision_for(_DEVICE)} mixed precision"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            _DEVICE, what = torch.device("mps"), "Apple GPU"
        else:
            _DEVICE = torch.device("cpu")
            threads = cpu_threads()
            what = f"{threads} thread{'s' * (threads > 1)} of {os.cpu_count()} CPUs; set COURSE_THREADS to change"
        if verbose:
            print(f"Training on: {_DEVICE.type} ({what})")
    return _DEVICE


def precision_for(device):
    """The arithmetic `fit` uses on `device`: "bf16" on GPUs that compute bfloat16 natively (compute
    capability 8.0 and up: A100, H100, RTX 30xx and later), "fp16" on older CUDA GPUs (Colab's T4, V100:
    fp16 tensor cores, with a gradient scaler against underflow), "fp32" elsewhere."""
    device = torch.device(device)
    if device.type != "cuda":
        return "fp32"
    return "bf16" if torch.cuda.get_device_capability(device)[0] >= 8 else "fp16"


def count_parameters(model, trainable_only=True):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class Summary:
    """A layer-by-layer table: rows of (name, layer type, output shape, parameters) and the total."""

    def __init__(self, rows, total):
        self.rows, self.total = rows, total

    def __str__(self):
        lines = [f"{'layer':<12}{'type':<16}{'output shape':<22}{'parameters':>12}"]
        lines += [f"{n:<12}{t:<16}{str(tuple(s)):<22}{p:>12,}" for n, t, s, p in self.rows]
        return "\n".join(lines + [f"{'total':<50}{self.total:>12,}"])

    def _repr_html_(self):
        body = "".join(f"<tr><td>{n}</td><td>{t}</td><td>{tuple(s)}</td><td style='text-align:right'>{p:,}</td></tr>"
                       for n, t, s, p in self.rows)
        return (f"<table><tr><th>layer</th><th>type</th><th>output shape</th><th>parameters</th></tr>{body}"
                f"<tr><th colspan=3>total</th><th style='text-align:right'>{self.total:,}</th></tr></table>")


def summary(model, input_shape, device=None):
    """Run one batch of zeros shaped `input_shape` through `model` and list each direct child's output
    shape and parameter count, in the order they run."""
    rows, hooks = [], []
    for name, module in model.named_children():
        def record(m, inputs, out, name=name):
            shape = out[0].shape if isinstance(out, (tuple, list)) else out.shape
            rows.append((name, type(m).__name__, tuple(shape), count_parameters(m, trainable_only=False)))
        hooks.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device or next(model.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return Summary(rows, count_parameters(model, trainable_only=False))


class History(dict):
    """Per-epoch records: epoch, train_loss, train_acc, test_acc, seconds, lr (lists of equal length)."""

    KEYS = ("epoch", "train_loss", "train_acc", "test_acc", "seconds", "lr")

    def __init__(self, data=None):
        super().__init__({k: list((data or {}).get(k, [])) for k in self.KEYS})

    @property
    def best_test_acc(self):
        return max(self["test_acc"], default=None)

    def as_dict(self):
        return {k: list(v) for k, v in self.items()}


class _Batches:
    """A loader's batches, moved to the device (channels_last when asked), advancing the run's progress bar."""

    def __init__(self, loader, device, channels_last, bar=None):
        self.loader, self.device, self.channels_last, self.bar = loader, device, channels_last, bar

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for x, y in self.loader:
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            if self.channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, y
            if self.bar is not None:
                self.bar.update()


def _epoch(model, batches, optimizer, loss_fn, scaler, batch_scheduler, bar):
    """The toolkit's own training pass: mean loss and accuracy over the epoch."""
    model.train()
    total = torch.zeros((), device=batches.device)  # summed on the device: no sync per batch
    correct = torch.zeros((), device=batches.device, dtype=torch.int64)
    count = 0
    for i, (x, y) in enumerate(batches):
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = loss_fn(logits, y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if batch_scheduler is not None:
            batch_scheduler.step()
        total += loss.detach().float() * len(y)
        correct += (logits.argmax(1) == y).sum()
        count += len(y)
        if bar is not None and i % 20 == 0:
            bar.set_postfix_str(f"loss {total.item() / count:.3f}", refresh=False)
    return total.item() / count, correct.item() / count


def accuracy(model, loader, device):
    """The fraction of examples whose largest logit is the true class (eval mode, autograd off)."""
    model.eval()
    correct = count = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
            count += len(y)
    return correct / count


def _compile_pays_off(device, steps):
    """torch.compile on CUDA for runs of COMPILE_MIN_STEPS training steps or more (its compile time, tens of
    seconds, is then won back); never on the CPU, where the course's small models gain little."""
    return torch.device(device).type == "cuda" and steps >= COMPILE_MIN_STEPS


COMPILE_MIN_STEPS = 3000


def fit(model, train_loader, test_loader, optimizer, epochs, loss_fn=None, device=None, scheduler=None,
        batch_scheduler=None, train_epoch=None, evaluate=None, checkpoint=None, resume=False, precision=None,
        channels_last=None, compile=None, progress=True, desc=""):
    """Train `model` for `epochs` epochs and measure the test accuracy after each; returns a History.

    train_epoch(model, loader, optimizer, loss_fn, device) -> mean loss and evaluate(model, loader, device)
    -> accuracy default to the toolkit's own; pass notebook 04's to use yours. scheduler.step() runs once
    per epoch, batch_scheduler.step() once per training batch (the toolkit's loop only). checkpoint: a file
    saved after every epoch (model, optimizer, schedulers, history); with resume=True training continues
    from it when it exists. precision: "bf16", "fp16" or "fp32" (default: `precision_for(device)`; fp16
    needs a gradient scaler, which only the toolkit's loop has, so your own loop runs fp32 there).
    channels_last defaults to on for CUDA, compile (torch.compile) to on for long CUDA runs.
    progress: one bar for the run (`course.progress`), over all its batches, with the last loss and test accuracy.
    """
    device = torch.device(device or pick_device(verbose=False))
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    cuda = device.type == "cuda"
    precision = precision or precision_for(device)
    if precision not in ("bf16", "fp16", "fp32"):
        raise ValueError(f"precision must be 'bf16', 'fp16' or 'fp32', got {precision!r}")
    if precision == "fp16" and train_epoch is not None:
        precision = "fp32"
    if batch_scheduler is not None and train_epoch is not None:
        raise ValueError("batch_scheduler steps inside the toolkit's loop; with your own train_epoch use scheduler")
    channels_last = cuda if channels_last is None else channels_last
    steps = epochs * len(train_loader)
    compile = _compile_pays_off(device, steps) if compile is None else compile
    if cuda:
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels once
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    runner = _compiled(model) if compile else model
    history, start = History(), 0
    if checkpoint and resume and Path(checkpoint).exists():
        start, history = _restore(checkpoint, model, optimizer, scheduler, batch_scheduler)
        print(f"Resuming from {checkpoint}: {start} epoch(s) done")
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    autocast = torch.autocast(device_type=device.type, dtype=dtype) if dtype else nullcontext()
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    bar = course.progress(total=steps, initial=start * len(train_loader), desc=desc or "training",
                          disable=not progress)
    train = _Batches(train_loader, device, channels_last, bar)
    test = _Batches(test_loader, device, channels_last)
    try:
        for epoch in range(start, epochs):
            began = time.perf_counter()
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(epoch)  # the same batches as an uninterrupted run
            with autocast:
                if train_epoch is None:
                    loss, train_acc = _epoch(runner, train, optimizer, loss_fn, scaler, batch_scheduler, bar)
                else:
                    loss, train_acc = float(train_epoch(runner, train, optimizer, loss_fn, device)), None
                test_acc = (evaluate or accuracy)(runner, test, device)
            lr = optimizer.param_groups[0]["lr"]
            if scheduler is not None:
                scheduler.step()
            for key, value in zip(History.KEYS, (epoch + 1, loss, train_acc, test_acc,
                                                 time.perf_counter() - began, lr)):
                history[key].append(value)
            bar.set_postfix_str(f"epoch {epoch + 1}/{epochs}, loss {loss:.4f}, test accuracy {test_acc:.2%}")
            if checkpoint:
                _save(checkpoint, model, optimizer, scheduler, batch_scheduler, history)
    finally:
        bar.close()
    return history


def _compiled(model):
    """torch.compile(model), falling back to running it eagerly (with one printed line) when it cannot compile."""
    try:
        import torch._dynamo

        torch._dynamo.config.suppress_errors = True  # a graph that fails to compile runs eagerly instead
        return torch.compile(model)
    except Exception as exc:  # e.g. no compiler toolchain on this machine
        print(f"torch.compile is not available here ({type(exc).__name__}: {exc}); training uncompiled")
        return model


def _save(path, model, optimizer, scheduler, batch_scheduler, history):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    schedulers = {name: s.state_dict() for name, s in (("scheduler", scheduler), ("batch_scheduler", batch_scheduler))
                  if s is not None}
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), **schedulers,
                "history": history.as_dict(), "epoch": history["epoch"][-1]}, path)


def _restore(path, model, optimizer, scheduler, batch_scheduler):
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    for name, s in (("scheduler", scheduler), ("batch_scheduler", batch_scheduler)):
        if s is not None and state.get(name) is not None:
            s.load_state_dict(state[name])
    return int(state["epoch"]), History(state["history"])


def predict(model, loader, device=None):
    """(probs (N, K), labels (N,), images (N, C, H, W)) as numpy arrays, in the loader's order."""
    device = device or pick_device(verbose=False)
    model.eval()
    probs, labels, images = [], [], []
    with torch.no_grad():
        for x, y in loader:
            probs.append(torch.softmax(model(x.to(device)).float(), dim=1).cpu())
            labels.append(y.cpu())
            images.append(x.float().cpu())
    return torch.cat(probs).numpy(), torch.cat(labels).numpy(), torch.cat(images).numpy()


def first_layer_weights(model):
    """The weights (F, C, k, k) of the model's first nn.Conv2d, as a numpy array."""
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        raise ValueError("the model has no nn.Conv2d layer")
    return conv.weight.detach().float().cpu().numpy()


def feature_maps(model, x, layer_names):
    """{name: the output of the named layer on x, as a numpy array} (eval mode, autograd off)."""
    found, hooks = {}, []
    modules = dict(model.named_modules())
    missing = [n for n in layer_names if n not in modules]
    if missing:
        raise ValueError(f"no layers named {missing}; the model has {[n for n in modules if n]}")
    for name in layer_names:
        hooks.append(modules[name].register_forward_hook(
            lambda m, i, out, name=name: found.__setitem__(name, out.detach().float().cpu().numpy())))
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return found


def digits_recipe(model, data, epochs=None, device=None, seed=0, lr=3e-3, **fit_args):
    """The course's recipe for LeNet-5 on the digits: Adam (lr 3e-3) with a cosine learning-rate decay over
    the epochs, batches of 64 shifted at random by up to 2 pixels. Epochs: 50 on scikit-learn's 1,437 training
    digits, 10 on MNIST's 60,000 (each of its epochs is 40 times longer), 2 in smoke mode.
    Returns fit's History; `fit_args` go to fit (e.g. train_epoch=..., evaluate=..., checkpoint=...)."""
    from assignment import data as digit_data

    epochs = epochs or course.smoke_or(full=50 if data.source == "digits" else 10, smoke=2)
    device = device or pick_device(verbose=False)
    course.seed_everything(seed)
    train, test = digit_data.digit_loaders(data, batch_size=64, device=device, augment=True, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    return fit(model, train, test, optimizer, epochs, device=device, scheduler=scheduler, **fit_args)


def cifar_recipe(model, data, epochs=None, device=None, seed=0, lr=0.05, batch_size=128, weight_decay=5e-4,
                 **fit_args):
    """The course's recipe for 32x32 colour images (notebooks 05-07): SGD with Nesterov momentum 0.9 and
    weight decay 5e-4 (not on biases and batch-norm weights), a one-cycle learning rate (up to `lr` over
    the first 15% of the steps, then down along a cosine), batches of 128 with random crops (4 pixels of
    padding) and horizontal flips. Epochs: 30 on CIFAR-10, 10 on the offline set, 1 in smoke mode.
    Returns fit's History; `fit_args` go to fit (e.g. checkpoint=..., desc=...)."""
    from assignment import data as image_data

    epochs = epochs or course.smoke_or(full=30 if data.source == "cifar10" else 10, smoke=1)
    device = device or pick_device(verbose=False)
    course.seed_everything(seed)
    train, test = image_data.image_loaders(data, batch_size=batch_size, device=device, augment=True, seed=seed)
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.SGD([g for g in groups if g["params"]], lr=lr, momentum=0.9, nesterov=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(train),
                                                   pct_start=0.15, div_factor=10, final_div_factor=100)
    return fit(model, train, test, optimizer, epochs, device=device, batch_scheduler=schedule, **fit_args)
