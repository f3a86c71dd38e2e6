"""Training helpers for notebooks 04-07: the device, parameter counts and summaries, a `fit` loop with
progress bars, checkpoints and resume, and predictions for the pictures.

    device = pick_device()                                  # CUDA, then Apple MPS, then CPU; printed once
    history = fit(model, train, test, optimizer, epochs=10, device=device)
    plots.plot_history(history)

On CUDA, `fit` uses bf16 autocast and channels_last by default (tensor cores; no loss scaling needed).
"""
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

_DEVICE = None


def pick_device(verbose=True):
    """The best device here, chosen once: CUDA, then Apple's MPS, then the CPU."""
    global _DEVICE
    if _DEVICE is None:
        if torch.cuda.is_available():
            _DEVICE = torch.device("cuda")
            what = torch.cuda.get_device_name(0)
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            _DEVICE, what = torch.device("mps"), "Apple GPU"
        else:
            _DEVICE, what = torch.device("cpu"), f"{torch.get_num_threads()} threads"
        if verbose:
            print(f"Training on: {_DEVICE.type} ({what})")
    return _DEVICE


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


def _epoch(model, loader, optimizer, loss_fn, device, progress, desc):
    """The toolkit's own training pass: mean loss and accuracy over the epoch, with a progress bar."""
    model.train()
    total, correct, count = 0.0, 0, 0
    bar = tqdm(loader, desc=desc, leave=False, disable=not progress)
    for x, y in bar:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
        bar.set_postfix(loss=f"{total / count:.3f}")
    return total / count, correct / count


def accuracy(model, loader, device):
    """The fraction of examples whose largest logit is the true class (eval mode, autograd off)."""
    model.eval()
    correct = count = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
            count += len(y)
    return correct / count


class _OnDevice:
    """Wraps a loader so that x batches arrive in channels_last memory format."""

    def __init__(self, loader):
        self.loader = loader

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for x, y in self.loader:
            yield x.contiguous(memory_format=torch.channels_last), y


def fit(model, train_loader, test_loader, optimizer, epochs, loss_fn=None, device=None, scheduler=None,
        train_epoch=None, evaluate=None, checkpoint=None, resume=False, bf16=None, channels_last=None,
        progress=True, desc=""):
    """Train `model` for `epochs` epochs and measure the test accuracy after each; returns a History.

    train_epoch(model, loader, optimizer, loss_fn, device) -> mean loss and evaluate(model, loader, device)
    -> accuracy default to the toolkit's own; pass notebook 04's to use yours. scheduler.step() runs once
    per epoch. checkpoint: a file saved after every epoch (model, optimizer, scheduler, history); with
    resume=True training continues from it when it exists. bf16 / channels_last default to on for CUDA.
    progress: a bar over the epochs, showing the last loss and test accuracy, and one over each epoch's batches.
    """
    device = device or pick_device(verbose=False)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    cuda = torch.device(device).type == "cuda"
    bf16 = cuda if bf16 is None else bf16
    channels_last = cuda if channels_last is None else channels_last
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
        train_loader, test_loader = _OnDevice(train_loader), _OnDevice(test_loader)
    history, start = History(), 0
    if checkpoint and resume and Path(checkpoint).exists():
        start, history = _restore(checkpoint, model, optimizer, scheduler)
        print(f"Resuming from {checkpoint}: {start} epoch(s) done")
    autocast = (torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16) if bf16
                else nullcontext())
    epoch_bar = tqdm(range(start, epochs), desc=desc or "epochs", initial=start, total=epochs,
                     disable=not progress)  # its postfix: the last epoch's loss and test accuracy
    for epoch in epoch_bar:
        began = time.perf_counter()
        for loader in (train_loader, getattr(train_loader, "loader", None)):
            if hasattr(loader, "set_epoch"):
                loader.set_epoch(epoch)  # the same batches as an uninterrupted run
        label = f"{desc} epoch {epoch + 1}/{epochs}".strip()
        with autocast:
            if train_epoch is None:
                loss, train_acc = _epoch(model, train_loader, optimizer, loss_fn, device, progress, label)
            else:
                bar = tqdm(train_loader, desc=label, leave=False, disable=not progress)
                loss, train_acc = float(train_epoch(model, bar, optimizer, loss_fn, device)), None
            test_acc = (evaluate or accuracy)(model, test_loader, device)
        lr = optimizer.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        for key, value in zip(History.KEYS, (epoch + 1, loss, train_acc, test_acc,
                                             time.perf_counter() - began, lr)):
            history[key].append(value)
        epoch_bar.set_postfix(loss=f"{loss:.4f}", test_acc=f"{test_acc:.2%}")
        if checkpoint:
            _save(checkpoint, model, optimizer, scheduler, history)
    return history


def _save(path, model, optimizer, scheduler, history):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "history": history.as_dict(), "epoch": history["epoch"][-1]}, path)


def _restore(path, model, optimizer, scheduler):
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
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
    from assignment import course, data as digit_data

    epochs = epochs or course.smoke_or(full=50 if data.source == "digits" else 10, smoke=2)
    device = device or pick_device(verbose=False)
    course.seed_everything(seed)
    train, test = digit_data.digit_loaders(data, batch_size=64, device=device, augment=True, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    return fit(model, train, test, optimizer, epochs, device=device, scheduler=scheduler, **fit_args)
