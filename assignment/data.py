"""Handwritten digits for notebooks 04-07: MNIST when it can be had, scikit-learn's digits otherwise.

Both come as 32x32 grey images (N, 1, 32, 32), normalised with the training split's mean and standard
deviation, with a fixed train/test split, through the same API:

    data = load_digits()                       # prints which dataset is in use
    train, test = digit_loaders(data, batch_size=64, augment=True)
    for x, y in train: ...                     # x (B, 1, 32, 32) float32, y (B,) int64

- MNIST (LeCun, Cortes and Burges): 60,000 training and 10,000 test images of 28x28, padded by 2 pixels
  to 32x32 as in the LeNet-5 paper; through torchvision, downloaded once.
- scikit-learn's digits (the UCI optical recognition of handwritten digits set, test part): 1,797 images
  of 8x8 with 17 grey levels, bundled with scikit-learn (no network), upsampled to 32x32; a fixed,
  stratified 80/20 split.
"""
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from assignment import course

SOURCES = ("auto", "mnist", "digits")
SMOKE_SIZES = (512, 256)  # training and test images kept in smoke mode


@dataclass
class DigitData:
    train_x: torch.Tensor  # (N, 1, 32, 32) float32, normalised
    train_y: torch.Tensor  # (N,) int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str            # "mnist" or "digits"
    note: str              # one sentence: which data, how many images, where from
    classes: list = field(default_factory=lambda: [str(d) for d in range(10)])

    def __repr__(self):
        return f"DigitData({self.note})"


def load_digits(source="auto", seed=0, smoke=None, root=None):
    """The digits as a DigitData. source: "auto" (MNIST if torchvision can get it, else scikit-learn's
    digits), "mnist" or "digits"; seed fixes the digits' split and the smoke subset; smoke (default: the
    course's smoke mode) keeps only a small subset; root: where MNIST is stored (default ~/.cache/cnn-course)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    smoke = course.SMOKE if smoke is None else smoke
    data = None
    if source in ("auto", "mnist"):
        data = _mnist(root, required=source == "mnist")
    if data is None:
        data = _sklearn_digits(seed)
    if smoke:
        data = _subset(data, seed)
    print(f"Data: {data.note}")
    return data


def _normalised(train_x, test_x):
    mean, std = train_x.mean(), train_x.std()
    return (train_x - mean) / std, (test_x - mean) / std


def _sklearn_digits(seed):
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    images = torch.as_tensor(bunch.images / 16.0, dtype=torch.float32)[:, None]   # 0..16 -> 0..1
    images = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False)
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    train, test = train_test_split(np.arange(len(labels)), test_size=0.2, stratify=bunch.target,
                                   random_state=seed)
    train_x, test_x = _normalised(images[train], images[test])
    note = (f"scikit-learn's {len(labels):,} handwritten digits (UCI, 8x8) upsampled to 32x32; "
            f"fixed 80/20 split: {len(train):,} train / {len(test):,} test")
    return DigitData(train_x, labels[train], test_x, labels[test], "digits", note)


def _mnist(root, required):
    """MNIST padded to 32x32, or None (with the reason printed) when torchvision or the network is missing."""
    try:
        from torchvision import datasets
    except ImportError:
        if required:
            raise RuntimeError("MNIST needs torchvision: `pip install torchvision`, or use source='digits'") from None
        print("torchvision is not installed: using scikit-learn's digits instead of MNIST.")
        return None
    root = Path(root or os.environ.get("COURSE_DATA", Path.home() / ".cache" / "cnn-course"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sets = [datasets.MNIST(root, train=t, download=True) for t in (True, False)]
    except Exception as exc:  # offline, or the mirror is down
        if required:
            raise RuntimeError(f"could not download MNIST ({exc}); use source='digits' offline") from None
        print(f"MNIST could not be downloaded ({type(exc).__name__}): using scikit-learn's digits instead.")
        return None
    xs = [F.pad(s.data.float()[:, None] / 255.0, (2, 2, 2, 2)) for s in sets]
    train_x, test_x = _normalised(*xs)
    note = (f"MNIST, {len(sets[0]):,} train / {len(sets[1]):,} test images of 28x28 padded to 32x32 "
            f"(LeCun, Cortes and Burges)")
    return DigitData(train_x, sets[0].targets.long(), test_x, sets[1].targets.long(), "mnist", note)


def _subset(data, seed):
    g = torch.Generator().manual_seed(seed)
    n_train, n_test = (min(n, len(t)) for n, t in zip(SMOKE_SIZES, (data.train_y, data.test_y)))
    tr = torch.randperm(len(data.train_y), generator=g)[:n_train]
    te = torch.randperm(len(data.test_y), generator=g)[:n_test]
    return DigitData(data.train_x[tr], data.train_y[tr], data.test_x[te], data.test_y[te], data.source,
                     f"{data.note} (smoke mode: {n_train} train / {n_test} test)", data.classes)


def random_shift(max_shift=2):
    """An augmentation: shift each image of a batch by a random whole number of pixels, -max_shift to
    max_shift in each direction, filling with the background (the batch's minimum). Runs on the batch's device."""
    def shift(x):
        n, _, h, w = x.shape
        pad = F.pad(x, (max_shift,) * 4, value=float(x.min()))
        dy = torch.randint(0, 2 * max_shift + 1, (n,), device=x.device)
        dx = torch.randint(0, 2 * max_shift + 1, (n,), device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        chan = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        return pad[batch, chan, rows, cols]
    return shift


class TensorLoader:
    """Batches (x, y) from tensors held in memory (on `device` when given: on a GPU the data is moved there
    once). shuffle: a new order every epoch; augment: a function applied to each x batch (e.g.
    random_shift()); drop_last: skip a last, smaller batch. Epoch e's order and augmentation depend only
    on (seed, e), so a run resumed from a checkpoint at epoch e (see set_epoch) sees the same batches."""

    def __init__(self, x, y, batch_size=128, shuffle=False, augment=None, seed=0, device=None, drop_last=False):
        if len(x) != len(y):
            raise ValueError(f"x and y differ in length: {len(x)} images, {len(y)} labels")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.x, self.y = (x.to(device), y.to(device)) if device is not None else (x, y)
        self.batch_size, self.shuffle, self.augment, self.drop_last = batch_size, shuffle, augment, drop_last
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        n = len(self.y)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n, epoch_seed = len(self.y), self.seed * 100_003 + self.epoch
        self.epoch += 1
        order = torch.arange(n)
        if self.shuffle:
            order = torch.randperm(n, generator=torch.Generator().manual_seed(epoch_seed))
        order = order.to(self.x.device)
        devices = [self.x.device] if self.x.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):  # augmentation draws from its own, seeded, stream
            torch.manual_seed(epoch_seed)
            for i in range(len(self)):
                idx = order[i * self.batch_size:(i + 1) * self.batch_size]
                x = self.x[idx]
                yield (self.augment(x) if self.augment else x), self.y[idx]


def digit_loaders(data, batch_size=128, device=None, augment=False, seed=0):
    """(train_loader, test_loader) over a DigitData: training batches shuffled (and shifted by up to 2
    pixels when augment=True), test batches in order and never augmented."""
    train = TensorLoader(data.train_x, data.train_y, batch_size, shuffle=True, seed=seed, device=device,
                         augment=random_shift(2) if augment else None)
    test = TensorLoader(data.test_x, data.test_y, max(batch_size, 512), device=device)
    return train, test
