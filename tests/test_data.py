"""The colour image data for notebooks 05-07 (assignment/data.py, assignment/shapes.py): the offline Shapes
set, CIFAR-10 through a stand-in torchvision, the loaders and the crop-and-flip augmentation."""
import math
import sys
import time
import types

import numpy as np
import pytest
import torch

from assignment import data, shapes


@pytest.fixture(scope="module")
def full_shapes():
    """The default Shapes set, drawn once for the module, and the CPU seconds it took (uncached: the
    generator's own time, whatever else the machine runs)."""
    data._drawn_shapes.cache_clear()
    began = time.process_time()
    images = data.load_cifar10("shapes", smoke=False)
    return images, time.process_time() - began


# ---------------------------------------------------------------------------
# The Shapes generator
# ---------------------------------------------------------------------------

def test_shapes_are_seeded_and_drawn_chunk_by_chunk(monkeypatch):
    monkeypatch.setattr(shapes, "CHUNK", 40)             # small chunks: the same logic, drawn quickly
    x, y = shapes.draw_shapes(100, seed=3)
    again, labels = shapes.draw_shapes(100, seed=3)
    assert np.array_equal(x, again) and np.array_equal(y, labels)
    other, other_labels = shapes.draw_shapes(100, seed=4)
    assert not np.array_equal(y, other_labels) and np.abs(x - other).mean() > 0.1
    test_x, _ = shapes.draw_shapes(100, seed=3, split=1)
    assert np.abs(x - test_x).mean() > 0.1
    prefix, prefix_labels = shapes.draw_shapes(57, seed=3)   # the first images do not depend on n
    assert np.array_equal(prefix, x[:57]) and np.array_equal(prefix_labels, y[:57])
    assert np.bincount(y[:80], minlength=10).tolist() == [8] * 10   # each whole chunk is balanced


def test_shapes_layout_range_and_balance():
    x, y, coverage = shapes.draw_shapes(1000, seed=0, masks=True)
    assert x.shape == (1000, 3, 32, 32) and x.dtype == np.float32
    assert y.shape == (1000,) and y.dtype == np.int64 and coverage.shape == (1000, 32, 32)
    assert x.min() >= 0 and x.max() <= 1 and x.std() > 0.15
    assert np.bincount(y, minlength=10).tolist() == [100] * 10   # two chunks of 500, 50 per class each
    assert shapes.draw_shapes(0)[0].shape == (0, 3, 32, 32)
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError, match="non-negative integer"):
            shapes.draw_shapes(bad)


def lens_area(r1, r2, d):
    """The area where two discs (radii r1, r2, centres d apart) overlap."""
    a1 = r1 ** 2 * math.acos((d * d + r1 * r1 - r2 * r2) / (2 * d * r1))
    a2 = r2 ** 2 * math.acos((d * d + r2 * r2 - r1 * r1) / (2 * d * r2))
    return a1 + a2 - 0.5 * math.sqrt((-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2))


AREAS = {  # inside area in units of the radius squared, from each shape's closed-form geometry
    "circle": math.pi,
    "ring": math.pi * (1 - 0.5 ** 2),
    "square": 1.6 ** 2,
    "frame": 1.7 ** 2 - 0.9 ** 2,
    "triangle": 3 * math.sqrt(3) / 4 * 1.2 ** 2,
    "star": 10 * 0.5 * 1.15 * 0.5 * math.sin(math.pi / 5),
    "cross": 2 * 2.0 * 0.6 - 0.6 ** 2,
    "crescent": math.pi - lens_area(1.0, 0.8, 0.45),
    "arrow": 0.34 * 1.1 + 0.5 * 1.2 * 0.9,
}


def test_each_shape_has_its_geometry_and_a_mirror_axis():
    """Signed distances against closed-form areas; every shape equals its mirror image about u = 0 or
    v = 0, so with a uniform rotation a flipped image is as likely as the original in its class."""
    step = 3.2 / 640
    u, v = np.meshgrid(np.arange(-1.6, 1.6, step) + step / 2, np.arange(-1.6, 1.6, step) + step / 2)
    for name, shape in zip(shapes.CLASSES, shapes.SHAPES):
        assert shape.__name__ == name
        d = shape(u, v)
        assert d[0, 0] > 0                            # the grid's corner is outside every shape
        if name in AREAS:
            assert (d < 0).sum() * step ** 2 == pytest.approx(AREAS[name], rel=0.01), name
        assert np.allclose(d, shape(-u, v), atol=1e-5) or np.allclose(d, shape(u, -v), atol=1e-5), name
        assert (d < 0).sum() * step ** 2 > 0.5, name


def test_labels_match_what_is_drawn():
    """Where the shape is (its coverage) agrees with the label, and the image shows it in its own colour."""
    x, y, coverage = shapes.draw_shapes(1000, seed=5, masks=True)
    rows, cols = np.mgrid[0:32, 0:32]
    weight = coverage.sum(axis=(1, 2))
    centre_row = np.rint((coverage * rows).sum(axis=(1, 2)) / weight - 0.5).astype(int).clip(0, 31)
    centre_col = np.rint((coverage * cols).sum(axis=(1, 2)) / weight - 0.5).astype(int).clip(0, 31)
    at_centre = coverage[np.arange(len(y)), centre_row, centre_col]
    names = np.array(shapes.CLASSES)[y]
    holed = np.isin(names, ["ring", "frame"])
    solid = np.isin(names, ["circle", "square", "triangle", "star", "cross"])
    assert np.all(at_centre[holed] < 0.01) and np.all(at_centre[solid] > 0.99)
    assert weight.min() > 0.3 * shapes.RADIUS[0] ** 2   # never a sliver
    inside, outside = coverage > 0.99, coverage < 0.01
    contrast = [np.linalg.norm(img[:, i].mean(axis=1) - img[:, o].mean(axis=1))
                for img, i, o in zip(x, inside, outside)]
    assert min(contrast) > 0.15


def test_full_set_is_normalised_labelled_and_quick_to_draw(full_shapes, capsys):
    images, seconds = full_shapes
    assert seconds < 60, f"drawing the Shapes set took {seconds:.0f} s of CPU"   # loose: seconds, not minutes
    n_train, n_test = data.SHAPES_SIZES
    assert images.train_x.shape == (n_train, 3, 32, 32) and images.test_x.shape == (n_test, 3, 32, 32)
    assert images.train_x.dtype == torch.float32 and images.train_y.dtype == torch.int64
    assert images.train_x.device.type == "cpu"
    mean, std = images.train_x.mean(dim=(0, 2, 3)), images.train_x.std(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.zeros(3), atol=1e-4) and torch.allclose(std, torch.ones(3), atol=1e-4)
    assert len(images.mean) == len(images.std) == 3 and all(0.3 < m < 0.7 for m in images.mean)
    assert torch.bincount(images.train_y, minlength=10).tolist() == [n_train // 10] * 10
    assert torch.bincount(images.test_y, minlength=10).tolist() == [n_test // 10] * 10
    assert images.source == "shapes" and images.classes == list(shapes.CLASSES)
    assert "10,000 train / 2,000 test" in images.note and "offline" in images.note
    raw, _ = shapes.draw_shapes(50, seed=0)
    assert torch.allclose(images.unnormalise(images.train_x[:50]), torch.from_numpy(raw), atol=1e-5)
    assert np.allclose(images.unnormalise(images.train_x[:50].numpy()), raw, atol=1e-5)
    again = data.load_cifar10("shapes", smoke=False)        # cached in memory: equal, yet not shared
    assert torch.equal(again.train_x, images.train_x) and again.train_x is not images.train_x
    assert "Data: Shapes" in capsys.readouterr().out


def test_smoke_subset_is_small_and_a_prefix(full_shapes, capsys):
    small = data.load_cifar10("shapes", smoke=True)
    assert (len(small.train_y), len(small.test_y)) == data.SMOKE_SIZES
    assert "smoke mode" in small.note and "smoke mode" in capsys.readouterr().out
    full, _ = full_shapes
    n = data.SMOKE_SIZES[0]
    assert torch.equal(small.train_y, full.train_y[:n])
    assert torch.allclose(small.unnormalise(small.train_x), full.unnormalise(full.train_x[:n]), atol=1e-5)
    other = data.load_cifar10("shapes", seed=1, smoke=True)
    assert not torch.equal(other.train_y, small.train_y)
    with pytest.raises(ValueError, match="cifar10"):
        data.load_cifar10("mnist")


# ---------------------------------------------------------------------------
# CIFAR-10 through torchvision, and the fallback
# ---------------------------------------------------------------------------

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def fake_torchvision(monkeypatch, download_fails=False):
    """A stand-in for torchvision.datasets.CIFAR10 (uint8 (N, 32, 32, 3) images, a list of targets), offline."""
    class CIFAR10:
        classes = CIFAR_CLASSES

        def __init__(self, root, train, download):
            if download_fails:
                raise OSError("no network")
            n = 600 if train else 300
            g = np.random.default_rng(int(train))
            self.data = g.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
            self.data[..., 0] //= 2                      # channels with their own statistics
            self.targets = [i % 10 for i in range(n)]

    package = types.ModuleType("torchvision")
    package.datasets = types.SimpleNamespace(CIFAR10=CIFAR10)
    monkeypatch.setitem(sys.modules, "torchvision", package)
    return CIFAR10


def test_cifar10_is_channels_first_and_normalised_per_channel(monkeypatch, tmp_path, capsys):
    CIFAR10 = fake_torchvision(monkeypatch)
    cifar = data.load_cifar10("auto", smoke=False, root=tmp_path)
    assert cifar.source == "cifar10" and "600 train / 300 test" in cifar.note
    assert "Data: CIFAR-10" in capsys.readouterr().out
    assert cifar.train_x.shape == (600, 3, 32, 32) and cifar.train_x.dtype == torch.float32
    assert cifar.train_y.dtype == torch.int64 and cifar.train_y.tolist() == [i % 10 for i in range(600)]
    assert cifar.classes == CIFAR_CLASSES
    raw = CIFAR10(tmp_path, True, True).data
    expected = raw.transpose(0, 3, 1, 2) / 255.0
    assert np.allclose(cifar.mean, expected.mean(axis=(0, 2, 3)), atol=1e-5)
    assert cifar.mean[0] < 0.3 < cifar.mean[1]             # red was halved: statistics per channel
    assert np.allclose(cifar.unnormalise(cifar.train_x).numpy(), expected, atol=1e-5)
    mean, std = cifar.train_x.mean(dim=(0, 2, 3)), cifar.train_x.std(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.zeros(3), atol=1e-4) and torch.allclose(std, torch.ones(3), atol=1e-4)
    test_raw = CIFAR10(tmp_path, False, True).data.transpose(0, 3, 1, 2) / 255.0
    assert np.allclose(cifar.unnormalise(cifar.test_x).numpy(), test_raw, atol=1e-5)  # the training statistics
    small = data.load_cifar10("cifar10", smoke=True, root=tmp_path)
    assert (len(small.train_y), len(small.test_y)) == (512, 256) and small.source == "cifar10"
    assert small.mean == cifar.mean and "smoke mode" in small.note


def test_falls_back_to_shapes_with_the_reason(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torchvision", None)   # import torchvision raises ImportError
    assert data.load_cifar10("auto", smoke=True, root=tmp_path).source == "shapes"
    out = capsys.readouterr().out
    assert "torchvision is not installed" in out and "Shapes" in out
    with pytest.raises(RuntimeError, match="needs torchvision.*source='shapes'"):
        data.load_cifar10("cifar10", root=tmp_path)
    fake_torchvision(monkeypatch, download_fails=True)
    assert data.load_cifar10("auto", smoke=True, root=tmp_path).source == "shapes"
    assert "could not be downloaded (OSError)" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="could not download CIFAR-10.*source='shapes'"):
        data.load_cifar10("cifar10", root=tmp_path)


# ---------------------------------------------------------------------------
# Crop and flip, and the loaders
# ---------------------------------------------------------------------------

def windows_of(x, padding):
    """Every (top, left, mirrored) window of x padded by zeros: (N, 2 * (2p + 1)^2, C, H, W)."""
    h, w = x.shape[2:]
    padded = torch.nn.functional.pad(x, (padding,) * 4)
    crops = [padded[:, :, t:t + h, l:l + w] for t in range(2 * padding + 1) for l in range(2 * padding + 1)]
    return torch.stack(crops + [c.flip(-1) for c in crops], dim=1)


def test_crop_and_flip_gives_shifted_mirrored_windows():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 3, 8, 6, generator=g)
    out = data.crop_and_flip(2)(x, torch.Generator().manual_seed(1))
    assert out.shape == x.shape and out.dtype == x.dtype and not torch.equal(out, x)
    matches = (windows_of(x, 2) == out[:, None]).flatten(2).all(dim=2)   # (N, windows)
    assert torch.all(matches.sum(dim=1) == 1)            # each image is exactly one window of its own image
    chosen = matches.float().argmax(dim=1)
    assert len(chosen.unique()) > 40                     # of the 50 windows, nearly all are drawn
    assert 0.35 < float((chosen >= 25).float().mean()) < 0.65   # mirrored about half the time
    flipped = data.crop_and_flip(0)(x, torch.Generator().manual_seed(2))
    mirrored = (flipped == x.flip(-1)).flatten(1).all(1)
    assert torch.all(mirrored | (flipped == x).flatten(1).all(1)) and 0.35 < float(mirrored.float().mean()) < 0.65
    again = data.crop_and_flip(2)(x, torch.Generator().manual_seed(1))
    assert torch.equal(out, again)


def test_image_loaders_augment_deterministically_and_keep_labels():
    """Each image is filled with its label, so any crop or flip keeps the label readable in its pixels."""
    n = 300
    labels = torch.arange(n) % 10
    x = (labels.float() + 1).view(n, 1, 1, 1).expand(n, 3, 32, 32).clone()
    images = data.ImageData(x, labels, x[:100], labels[:100], "test", "labelled squares", mean=(0.0,) * 3,
                            std=(1.0,) * 3)
    train, test = data.image_loaders(images, batch_size=64, augment=True, seed=7, device="cpu")
    assert len(train) == 5 and [len(y) for _, y in test] == [100]
    first = list(train)
    seen = torch.cat([y for _, y in first])
    assert sorted(seen.tolist()) == sorted(labels.tolist())
    for xb, yb in first:
        assert xb.shape == (len(yb), 3, 32, 32)
        assert torch.equal(xb.amax(dim=(1, 2, 3)), yb.float() + 1)       # the label's own pixels
        assert bool((xb == 0).any())                                        # padding was cropped in
    second = list(train)
    assert not torch.equal(first[0][0], second[0][0])
    again, _ = data.image_loaders(images, batch_size=64, augment=True, seed=7)
    batches = []
    for xb, yb in again:          # other random numbers drawn meanwhile leave the augmentation alone
        torch.rand(1000)
        batches.append((xb, yb))
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(first, batches))
    again.set_epoch(1)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(second, again))
    xt, yt = next(iter(test))
    assert torch.equal(xt, x[:100]) and torch.equal(yt, labels[:100])     # test batches: in order, untouched
    plain, _ = data.image_loaders(images, batch_size=64, augment=False)
    xb, yb = next(iter(plain))
    assert torch.equal(xb, (yb.float() + 1).view(-1, 1, 1, 1).expand_as(xb))   # no augmentation: whole images
