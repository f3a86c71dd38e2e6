"""Data for notebooks 04-07: handwritten digits (04) and 32x32 colour images (05-07), each with an offline fallback.

Every set comes as an ImageData: images (N, C, 32, 32) float32 normalised per channel with the training
split's mean and standard deviation, labels (N,) int64, a fixed train/test split, the class names and a
one-sentence note that says which set it is. Loaders hold the whole set in memory (on the GPU when given
one) and augment batches where they are:

    digits = load_digits()                     # prints which dataset is in use
    train, test = digit_loaders(digits, batch_size=64, augment=True)
    for x, y in train: ...                     # x (B, 1, 32, 32) float32, y (B,) int64

    images = load_cifar10()                    # CIFAR-10, or the offline Shapes set; printed
    train, test = image_loaders(images, batch_size=128, device=device, augment=True)   # x (B, 3, 32, 32)

Digits:
- MNIST (LeCun, Cortes and Burges): 60,000 training and 10,000 test images of 28x28, padded by 2 pixels
  to 32x32 as in the LeNet-5 paper; through torchvision, downloaded once.
- scikit-learn's digits (the UCI optical recognition of handwritten digits set, test part): 1,797 images
  of 8x8 with 17 grey levels, bundled with scikit-learn (no network), upsampled to 32x32; a fixed,
  stratified 80/20 split.
Colour images:
- CIFAR-10 (Krizhevsky, 2009): 50,000 training and 10,000 test photos of 32x32 in ten classes; through
  torchvision, downloaded once (about 170 MB).
- Shapes (offline): a seeded, procedurally drawn set of ten shape classes with random colours, positions,
  sizes, rotations, cluttered backgrounds and noise (see assignment/shapes.py); 10,000 training and 2,000
  test images, drawn in a few seconds. It is a stand-in, not a photo set: figures measured on it are
  labelled as such.
"""
import functools
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from assignment import course, shapes

SOURCES = ("auto", "mnist", "digits")
IMAGE_SOURCES = ("auto", "cifar10", "shapes")
SMOKE_SIZES = (512, 256)      # training and test images kept in smoke mode
SHAPES_SIZES = (10_000, 2_000)  # training and test images of the offline Shapes set


@dataclass
class ImageData:
    """A labelled image set held in memory as CPU tensors (loaders move it to the device once). The images
    are normalised, x = (pixel - mean) / std per channel with pixels on the 0..1 scale; `unnormalise` undoes
    it for pictures. Notebook 04 calls it DigitData."""
    train_x: torch.Tensor  # (N, C, 32, 32) float32, normalised per channel
    train_y: torch.Tensor  # (N,) int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str            # "mnist", "digits", "cifar10" or "shapes"
    note: str              # one sentence: which data, how many images, where from
    classes: list = field(default_factory=lambda: [str(d) for d in range(10)])
    mean: tuple = (0.0,)   # per channel, subtracted before dividing by std (on the 0..1 scale)
    std: tuple = (1.0,)

    def __repr__(self):
        return f"{type(self).__name__}({self.note})"

    def unnormalise(self, x):
        """Images back on the 0..1 scale for pictures: x * std + mean per channel, clipped to [0, 1].
        x (N, C, H, W) or (C, H, W), a tensor or an array; returns the same kind."""
        shape = (-1, 1, 1)
        if isinstance(x, torch.Tensor):
            mean, std = (torch.tensor(v, dtype=x.dtype, device=x.device).view(shape) for v in (self.mean, self.std))
            return (x * std + mean).clamp(0, 1)
        mean, std = (np.asarray(v, dtype=np.asarray(x).dtype).reshape(shape) for v in (self.mean, self.std))
        return np.clip(np.asarray(x) * std + mean, 0, 1)


DigitData = ImageData  # notebook 04's name for it


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


def _normalised(train_x, test_x, per_channel=False):
    """(train_x, test_x) normalised with the training images' mean and std, and those as (mean, std) tuples
    of one number per channel (per_channel=True) or one number for all."""
    dims = (0, 2, 3) if per_channel else tuple(range(train_x.dim()))
    mean, std = train_x.mean(dim=dims, keepdim=True), train_x.std(dim=dims, keepdim=True)
    stats = tuple(tuple(float(v) for v in t.flatten()) for t in (mean, std))
    return (train_x - mean) / std, (test_x - mean) / std, stats


def _sklearn_digits(seed):
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    images = torch.as_tensor(bunch.images / 16.0, dtype=torch.float32)[:, None]   # 0..16 -> 0..1
    images = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False)
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    train, test = train_test_split(np.arange(len(labels)), test_size=0.2, stratify=bunch.target,
                                   random_state=seed)
    train_x, test_x, (mean, std) = _normalised(images[train], images[test])
    note = (f"scikit-learn's {len(labels):,} handwritten digits (UCI, 8x8) upsampled to 32x32; "
            f"fixed 80/20 split: {len(train):,} train / {len(test):,} test")
    return ImageData(train_x, labels[train], test_x, labels[test], "digits", note, mean=mean, std=std)


def _mnist(root, required):
    """MNIST padded to 32x32, or None (with the reason printed) when torchvision or the network is missing."""
    try:
        from torchvision import datasets
    except ImportError:
        if required:
            raise RuntimeError("MNIST needs torchvision: `pip install torchvision`, or use source='digits'") from None
        print("torchvision is not installed: using scikit-learn's digits instead of MNIST.")
        return None
    root = _data_root(root)
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
    train_x, test_x, (mean, std) = _normalised(*xs)
    note = (f"MNIST, {len(sets[0]):,} train / {len(sets[1]):,} test images of 28x28 padded to 32x32 "
            f"(LeCun, Cortes and Burges)")
    return ImageData(train_x, sets[0].targets.long(), test_x, sets[1].targets.long(), "mnist", note,
                     mean=mean, std=std)


def _subset(data, seed):
    g = torch.Generator().manual_seed(seed)
    n_train, n_test = (min(n, len(t)) for n, t in zip(SMOKE_SIZES, (data.train_y, data.test_y)))
    tr = torch.randperm(len(data.train_y), generator=g)[:n_train]
    te = torch.randperm(len(data.test_y), generator=g)[:n_test]
    return ImageData(data.train_x[tr], data.train_y[tr], data.test_x[te], data.test_y[te], data.source,
                     f"{data.note} (smoke mode: {n_train} train / {n_test} test)", data.classes, data.mean, data.std)


def _windows(padded, top, left, height, width, mirror=None):
    """Crop one window per image: padded (N, C, H + 2p, W + 2p), top/left (N,) int offsets -> (N, C, height,
    width) with out[n, :, i, j] = padded[n, :, top[n] + i, left[n] + j], or left[n] + width - 1 - j where
    mirror[n] is True (a horizontal flip of the window). One gather over the flattened pixels of the batch."""
    n, c, _, padded_width = padded.shape
    cols = torch.arange(width, device=padded.device).expand(n, width)
    if mirror is not None:
        cols = torch.where(mirror[:, None], width - 1 - cols, cols)
    rows = top[:, None] + torch.arange(height, device=padded.device)
    index = rows[:, :, None] * padded_width + (left[:, None] + cols)[:, None, :]   # (N, height, width)
    index = index.view(n, 1, height * width).expand(n, c, height * width)
    return padded.flatten(2).gather(2, index).view(n, c, height, width)


def random_shift(max_shift=2):
    """An augmentation: shift each image of a batch by a random whole number of pixels, -max_shift to
    max_shift in each direction, filling with the background (the batch's minimum). Runs on the batch's
    device; random numbers come from `generator` (torch's global one when None)."""
    def shift(x, generator=None):
        n, _, h, w = x.shape
        pad = F.pad(x, (max_shift,) * 4, value=float(x.min()))
        dy = torch.randint(0, 2 * max_shift + 1, (n,), device=x.device, generator=generator)
        dx = torch.randint(0, 2 * max_shift + 1, (n,), device=x.device, generator=generator)
        return _windows(pad, dy, dx, h, w)
    return shift


def crop_and_flip(padding=4):
    """The standard CIFAR augmentation: pad each image by `padding` zeros on every side (zero = the training
    mean after normalisation), crop a random window of the original size, and mirror it left-right with
    probability 1/2. x (N, C, H, W) -> (N, C, H, W) on x's device; no loop over images; random numbers
    from `generator` (torch's global one when None)."""
    def augment(x, generator=None):
        n, _, h, w = x.shape
        pad = F.pad(x, (padding,) * 4)
        top = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
        left = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
        mirror = torch.randint(0, 2, (n,), device=x.device, generator=generator).bool()
        return _windows(pad, top, left, h, w, mirror)
    return augment


class TensorLoader:
    """Batches (x, y) from tensors held in memory (on `device` when given: on a GPU the data is moved there
    once). shuffle: a new order every epoch; augment: a function f(x, generator) -> x applied to each x
    batch, drawing its random numbers from `generator` (e.g. random_shift(), crop_and_flip()); drop_last:
    skip a last, smaller batch. Epoch e's order and augmentation depend only on (seed, e), whatever else
    draws random numbers meanwhile, so a run resumed from a checkpoint at epoch e (see set_epoch) sees the
    same batches."""

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
        generator = torch.Generator(device=self.x.device).manual_seed(epoch_seed)  # augmentation's own stream
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            x = self.x[idx]
            yield (self.augment(x, generator) if self.augment else x), self.y[idx]


def digit_loaders(data, batch_size=128, device=None, augment=False, seed=0):
    """(train_loader, test_loader) over a DigitData: training batches shuffled (and shifted by up to 2
    pixels when augment=True), test batches in order and never augmented."""
    train = TensorLoader(data.train_x, data.train_y, batch_size, shuffle=True, seed=seed, device=device,
                         augment=random_shift(2) if augment else None)
    test = TensorLoader(data.test_x, data.test_y, max(batch_size, 512), device=device)
    return train, test


def load_cifar10(source="auto", seed=0, smoke=None, root=None):
    """32x32 colour images as an ImageData. source: "auto" (CIFAR-10 if torchvision can get it, else the
    offline Shapes set), "cifar10" (an error when it cannot be had) or "shapes"; seed: the Shapes images
    and the smoke subset; smoke (default: the course's smoke mode) keeps only a small subset; root: where
    CIFAR-10 is stored (default $COURSE_DATA or ~/.cache/cnn-course). Prints which set is in use."""
    if source not in IMAGE_SOURCES:
        raise ValueError(f"source must be one of {IMAGE_SOURCES}, got {source!r}")
    smoke = course.SMOKE if smoke is None else smoke
    data = None
    if source in ("auto", "cifar10"):
        data = _cifar10(root, required=source == "cifar10")
        if data is not None and smoke:
            data = _subset(data, seed)
    if data is None:
        data = _shapes(seed, smoke)
    print(f"Data: {data.note}")
    return data


def _data_root(root):
    return Path(root or os.environ.get("COURSE_DATA", Path.home() / ".cache" / "cnn-course"))


def _cifar10(root, required):
    """CIFAR-10 normalised per channel, or None (with the reason printed) when torchvision or the network is missing."""
    try:
        from torchvision import datasets
    except ImportError:
        if required:
            raise RuntimeError("CIFAR-10 needs torchvision: `pip install torchvision`, "
                               "or use source='shapes' offline") from None
        print("torchvision is not installed: using the offline Shapes set (drawn by the course) instead of CIFAR-10.")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sets = [datasets.CIFAR10(_data_root(root), train=t, download=True) for t in (True, False)]
    except Exception as exc:  # offline, or the mirror is down
        if required:
            raise RuntimeError(f"could not download CIFAR-10 ({exc}); use source='shapes' offline") from None
        print(f"CIFAR-10 could not be downloaded ({type(exc).__name__}): using the offline Shapes set "
              "(drawn by the course) instead.")
        return None
    xs = [torch.as_tensor(np.asarray(s.data)).permute(0, 3, 1, 2).float().div_(255) for s in sets]  # HWC uint8
    ys = [torch.as_tensor(s.targets, dtype=torch.int64) for s in sets]
    train_x, test_x, (mean, std) = _normalised(*xs, per_channel=True)
    note = (f"CIFAR-10, {len(ys[0]):,} train / {len(ys[1]):,} test colour photos of 32x32 in 10 classes "
            f"(Krizhevsky, 2009)")
    return ImageData(train_x, ys[0], test_x, ys[1], "cifar10", note, list(sets[0].classes), mean, std)


@functools.lru_cache(maxsize=4)
def _drawn_shapes(n_train, n_test, seed):
    """The raw (0..1) Shapes images as tensors, drawn once per process for each (sizes, seed)."""
    (train_x, train_y), (test_x, test_y) = (shapes.draw_shapes(n, seed, split) for split, n in
                                            enumerate((n_train, n_test)))
    return tuple(torch.from_numpy(a) for a in (train_x, train_y, test_x, test_y))


def _shapes(seed, smoke):
    n_train, n_test = SMOKE_SIZES if smoke else SHAPES_SIZES
    train_x, train_y, test_x, test_y = _drawn_shapes(n_train, n_test, seed)
    train_x, test_x, (mean, std) = _normalised(train_x, test_x, per_channel=True)
    note = (f"Shapes, an offline stand-in for CIFAR-10 drawn by the course (seed {seed}): {n_train:,} train / "
            f"{n_test:,} test 32x32 colour images of 10 shape classes on cluttered, noisy backgrounds")
    if smoke:
        note += f" (smoke mode: {n_train} train / {n_test} test)"
    return ImageData(train_x, train_y.clone(), test_x, test_y.clone(), "shapes", note, list(shapes.CLASSES),
                     mean, std)


def image_loaders(data, batch_size=128, device=None, augment=False, seed=0):
    """(train_loader, test_loader) over an ImageData, the whole set held on `device`: training batches
    shuffled (and, when augment=True, randomly cropped from a 4-pixel padding and flipped left-right, on
    the device), test batches in order and never augmented."""
    train = TensorLoader(data.train_x, data.train_y, batch_size, shuffle=True, seed=seed, device=device,
                         augment=crop_and_flip(4) if augment else None)
    test = TensorLoader(data.test_x, data.test_y, max(batch_size, 512), device=device)
    return train, test
