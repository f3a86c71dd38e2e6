"""The training toolkit (assignment/data.py, assignment/training.py and the training plots)."""
import matplotlib

matplotlib.use("Agg")

import os  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from assignment import data, plots, training  # noqa: E402
from solutions import lenet  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return data.load_digits("digits", smoke=False)


def test_digits_are_offline_reproducible_and_stratified(digits):
    again = data.load_digits("digits", smoke=False)
    assert torch.equal(digits.train_y, again.train_y) and torch.equal(digits.test_x, again.test_x)
    other = data.load_digits("digits", seed=1, smoke=False)
    assert not torch.equal(digits.test_y, other.test_y)
    assert digits.train_x.shape == (1437, 1, 32, 32) and digits.test_x.shape == (360, 1, 32, 32)
    assert digits.train_x.dtype == torch.float32 and digits.train_y.dtype == torch.int64
    assert abs(float(digits.train_x.mean())) < 1e-4 and abs(float(digits.train_x.std()) - 1) < 1e-4
    counts = torch.bincount(digits.test_y, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # 20% of each class's ~180 images
    assert digits.source == "digits" and "1,437 train / 360 test" in digits.note


def test_smoke_subset_and_bad_source(capsys):
    small = data.load_digits("digits", smoke=True)
    assert (len(small.train_y), len(small.test_y)) == data.SMOKE_SIZES
    assert "smoke mode" in capsys.readouterr().out
    with pytest.raises(ValueError, match="auto"):
        data.load_digits("cifar")


def fake_torchvision(monkeypatch, download_fails=False):
    """A stand-in for torchvision.datasets.MNIST (uint8 28x28 images, int64 targets), offline."""
    import sys
    import types

    class MNIST:
        def __init__(self, root, train, download):
            if download_fails:
                raise OSError("no network")
            n = 60 if train else 20
            g = torch.Generator().manual_seed(int(train))
            self.data = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
            self.targets = torch.arange(n) % 10

        def __len__(self):
            return len(self.targets)

    package = types.ModuleType("torchvision")
    package.datasets = types.SimpleNamespace(MNIST=MNIST)
    monkeypatch.setitem(sys.modules, "torchvision", package)


def test_mnist_is_padded_normalised_and_falls_back(monkeypatch, tmp_path, capsys):
    fake_torchvision(monkeypatch)
    mnist = data.load_digits("auto", smoke=False, root=tmp_path)
    assert mnist.source == "mnist" and "60 train / 20 test" in mnist.note
    assert mnist.train_x.shape == (60, 1, 32, 32) and mnist.test_x.shape == (20, 1, 32, 32)
    assert abs(float(mnist.train_x.mean())) < 1e-4 and abs(float(mnist.train_x.std()) - 1) < 1e-4
    border = torch.cat([mnist.train_x[..., :2, :].flatten(), mnist.train_x[..., -2:, :].flatten(),
                        mnist.train_x[..., :2].flatten(), mnist.train_x[..., -2:].flatten()])
    assert torch.all(border == border[0]) and float(border[0]) < float(mnist.train_x.mean())  # black padding
    assert mnist.train_y.dtype == torch.int64
    fake_torchvision(monkeypatch, download_fails=True)
    assert data.load_digits("auto", smoke=False, root=tmp_path).source == "digits"
    assert "could not be downloaded" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="source='digits'"):
        data.load_digits("mnist", smoke=False, root=tmp_path)


def test_tensor_loader_batches_and_reshuffles():
    x, y = torch.arange(10.0).view(10, 1, 1, 1), torch.arange(10)
    loader = data.TensorLoader(x, y, batch_size=4, shuffle=True, seed=3)
    assert len(loader) == 3 and len(data.TensorLoader(x, y, 4, drop_last=True)) == 2
    first, second = [torch.cat([b for _, b in loader]) for _ in range(2)]
    assert sorted(first.tolist()) == list(range(10)) and not torch.equal(first, second)
    again = data.TensorLoader(x, y, batch_size=4, shuffle=True, seed=3)
    assert torch.equal(torch.cat([b for _, b in again]), first)
    assert [len(b) for _, b in data.TensorLoader(x, y, 4)] == [4, 4, 2]
    with pytest.raises(ValueError, match="differ"):
        data.TensorLoader(x, y[:3])


def test_random_shift_moves_each_image_and_fills_background():
    torch.manual_seed(0)
    x = torch.zeros(64, 1, 9, 9)
    x[:, :, 4, 4] = 1.0
    shifted = data.random_shift(2)(x)
    assert shifted.shape == x.shape
    where = shifted[:, 0].flatten(1).argmax(1)
    rows, cols = where // 9, where % 9
    assert set(rows.tolist()) == set(range(2, 7)) and set(cols.tolist()) == set(range(2, 7))
    assert torch.all(shifted.sum(dim=(1, 2, 3)) == 1)  # the dot moved; nothing else appeared
    edge = torch.zeros(8, 1, 5, 5)
    edge[:, :, :, 0] = 1.0
    assert data.random_shift(2)(edge).min() == 0  # fill is the background (the minimum)


def test_device_parameters_and_summary(capsys):
    device = training.pick_device()
    assert device == torch.device("cpu") and training.pick_device() is device
    assert training.count_parameters(lenet.LeNet5()) == 61706
    assert training.count_parameters(lenet.LeNet5(c3_table=True)) == 60806
    table = training.summary(lenet.LeNet5(), (2, 1, 32, 32))
    assert [r[0] for r in table.rows] == ["c1", "s2", "c3", "s4", "c5", "f6", "out"]
    assert table.rows[0][2] == (2, 6, 28, 28) and table.rows[4][2] == (2, 120, 1, 1) and table.rows[-1][2] == (2, 10)
    assert table.total == 61706 and "61,706" in str(table) and "61,706" in table._repr_html_()


def tiny_loaders(digits, n=256):
    train = data.TensorLoader(digits.train_x[:n], digits.train_y[:n], 64, shuffle=True, seed=0)
    test = data.TensorLoader(digits.test_x[:128], digits.test_y[:128], 128)
    return train, test


def trained(digits, epochs, **kwargs):
    torch.manual_seed(0)
    model = lenet.LeNet5()
    train, test = tiny_loaders(digits)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.8)
    history = training.fit(model, train, test, opt, epochs, device="cpu", scheduler=sched, progress=False, **kwargs)
    return model, history


def test_fit_learns_and_records(digits):
    _, history = trained(digits, 4)
    assert history["epoch"] == [1, 2, 3, 4] and len(history["test_acc"]) == 4
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history.best_test_acc > 0.5
    assert history["lr"][1] == pytest.approx(0.8 * history["lr"][0])


def test_fit_resumes_from_its_checkpoint(digits, tmp_path):
    """Stopped after 2 epochs and resumed to 3, training ends with the weights of 3 epochs in one go."""
    path = tmp_path / "run.pt"
    straight, _ = trained(digits, 3)
    trained(digits, 2, checkpoint=path)
    torch.manual_seed(123)  # resuming does not depend on the random generators' state
    resumed, history = trained(digits, 3, checkpoint=path, resume=True)
    assert history["epoch"] == [1, 2, 3]
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    saved = torch.load(path, weights_only=True)
    assert saved["epoch"] == 3 and saved["history"]["epoch"] == [1, 2, 3]


def test_fit_takes_the_students_loop(digits):
    _, history = trained(digits, 2, train_epoch=lenet.train_one_epoch, evaluate=lenet.evaluate)
    assert history["train_acc"] == [None, None] and history["train_loss"][1] < history["train_loss"][0]


def test_predictions_and_pictures(digits):
    model, history = trained(digits, 2)
    _, test = tiny_loaders(digits)
    probs, labels, images = training.predict(model, test, "cpu")
    assert probs.shape == (128, 10) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert labels.shape == (128,) and images.shape == (128, 1, 32, 32)
    assert training.first_layer_weights(model).shape == (6, 1, 5, 5)
    maps = training.feature_maps(model, torch.as_tensor(images[:2]), ["c1", "c3"])
    assert maps["c1"].shape == (2, 6, 28, 28) and maps["c3"].shape == (2, 16, 10, 10)
    with pytest.raises(ValueError, match="no layers"):
        training.feature_maps(model, torch.as_tensor(images[:2]), ["conv9"])
    for fig in (plots.plot_history(history), plots.plot_history({"a": history, "b": history}),
                plots.plot_confusion(labels, probs.argmax(1)), plots.show_most_wrong(images, labels, probs, k=5)):
        assert fig.axes
        matplotlib.pyplot.close(fig)


def test_filter_labels_and_maps_of_different_sizes():
    assert [plots._short_number(v) for v in (1, -2.0, -0.0, 0.25, 1 / 9, -0.37123, 0.003)] == \
        ["1", "-2", "0", "0.25", "0.11", "-0.37", "0"]
    fig = plots.show_filters(np.full((1, 1, 5, 5), 0.123456))
    assert {t.get_text() for t in fig.axes[0].texts} == {"0.12"}
    matplotlib.pyplot.close(fig)
    rng = np.random.default_rng(0)
    fig = plots.show_activation_maps([rng.random((32, 32)), *rng.standard_normal((2, 28, 28))], ["in", "a", "b"],
                                     symmetric=[False, True, True])
    assert [ax.images[0].get_array().shape for ax in fig.axes] == [(32, 32), (28, 28), (28, 28)]
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="2-D maps"):
        plots.show_activation_maps([np.zeros((2, 4, 4)), np.zeros((3, 3))])


def test_cpu_threads_choice(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("COURSE_THREADS", "1")
        assert training.cpu_threads() == 1 == torch.get_num_threads()
        monkeypatch.delenv("COURSE_THREADS")
        assert training.cpu_threads() == max(1, len(os.sched_getaffinity(0)) // 2)
        assert training.cpu_threads(2) == 2 == torch.get_num_threads()
        with pytest.raises(ValueError, match="at least 1"):
            training.cpu_threads(0)
    finally:
        torch.set_num_threads(before)


def test_precision_and_batch_scheduler(digits):
    assert training.precision_for("cpu") == "fp32"
    for precision in ("bf16", "fp16"):  # the mixed-precision paths run on the CPU too (autocast, gradient scaler)
        _, history = trained(digits, 2, precision=precision)
        assert history["train_loss"][1] < history["train_loss"][0]
    with pytest.raises(ValueError, match="precision"):
        trained(digits, 1, precision="fp8")
    torch.manual_seed(0)
    model = lenet.LeNet5()
    train, test = tiny_loaders(digits)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 / (1 + step))
    history = training.fit(model, train, test, opt, 2, device="cpu", batch_scheduler=sched, progress=False)
    assert sched.last_epoch == 2 * len(train) and history["lr"][1] == pytest.approx(0.1 / (1 + 2 * len(train)))
    with pytest.raises(ValueError, match="batch_scheduler"):
        training.fit(model, train, test, opt, 1, device="cpu", batch_scheduler=sched, train_epoch=lenet.train_one_epoch)


def test_compile_only_for_long_gpu_runs():
    assert not training._compile_pays_off("cpu", 10**6)
    assert training._compile_pays_off("cuda", training.COMPILE_MIN_STEPS)
    assert not training._compile_pays_off("cuda", training.COMPILE_MIN_STEPS - 1)


def test_colour_pictures():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((6, 3, 8, 8)).astype(np.float32)
    probs = rng.dirichlet(np.ones(3), size=6)
    labels = np.array([0, 1, 2, 0, 1, 2])
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.2, 0.2)
    assert plots._rgb(images[0], mean, std).shape == (8, 8, 3)
    assert 0 <= plots._rgb(images[0]).min() and plots._rgb(images[0]).max() <= 1
    for fig in (plots.show_images(images, [str(i) for i in range(6)], mean, std, cols=4),
                plots.show_filter_tiles(rng.standard_normal((10, 3, 3, 3)), cols=5),
                plots.plot_per_class({"a": [0.5, 0.9, 1.0], "b": [0.1, 0.2, 0.3]}, ["x", "y", "z"]),
                plots.plot_layer_budget(["c1", "p1", "fc"], [100, 25, 10], [30, 0, 2000]),
                plots.show_most_wrong(images, labels, probs, k=4, classes=["x", "y", "z"], mean=mean, std=std)):
        assert fig.axes
        matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="colour filters"):
        plots.show_filter_tiles(np.zeros((4, 1, 3, 3)))
