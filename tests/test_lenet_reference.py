"""The LeNet-5 reference (solutions/lenet.py) against independent oracles: the paper's figures, torch's
functional ops on a dense masked kernel, a forward pass written with torch.nn.functional, and
scikit-learn's accuracy."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score
from torch import nn

from grader import probe
from solutions import lenet

ROOT = Path(__file__).resolve().parent.parent

# LeCun et al. (1998), section II.B: C1 156, C3 1,516 (with the table), C5 48,120, F6 10,164 trainable
# parameters; S2 and S4 here are parameter-free average pooling, and the output layer is a linear 84 -> 10.
PAPER_COUNTS = {"c1": 156, "s2": 0, "c3": 1516, "s4": 0, "c5": 48120, "f6": 10164, "out": 850}
SHAPES = {"c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10), "s4": (16, 5, 5), "c5": (120, 1, 1),
          "f6": (84,), "out": (10,)}


def counts(model):
    return {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_children()}


def test_parameter_counts_match_the_paper():
    assert counts(lenet.LeNet5(c3_table=True)) == PAPER_COUNTS
    assert counts(lenet.LeNet5()) == {**PAPER_COUNTS, "c3": (5 * 5 * 6 + 1) * 16}
    assert sum(counts(lenet.LeNet5()).values()) == 61706


@pytest.mark.parametrize("table", [False, True])
def test_shapes_after_every_layer(table):
    for n in (1, 5):
        shapes = dict(probe.layer_shapes(lenet.LeNet5(c3_table=table), np.zeros((n, 1, 32, 32), np.float32)))
        assert shapes == {name: [n, *shape] for name, shape in SHAPES.items()}


def test_c3_table_is_the_papers():
    sizes = [len(t) for t in lenet.C3_TABLE]
    assert sizes == [3] * 6 + [4] * 9 + [6] and sum(sizes) == 60
    assert all(len(set(t)) == len(t) and set(t) <= set(range(6)) for t in lenet.C3_TABLE)
    # maps 0-11 read neighbouring S2 maps (cyclically); 12-14 read pairs of neighbours with a gap
    for o, t in enumerate(lenet.C3_TABLE[:12]):
        assert t == tuple((t[0] + k) % 6 for k in range(len(t)))
    assert len(set(lenet.C3_TABLE)) == 16


def dense_masked(layer, table):
    """The same layer as a dense (out, in, k, k) kernel, zero where the table has no connection."""
    k = layer.kernel_size
    mask = torch.zeros(len(table), layer.in_channels, k, k, dtype=torch.float64)
    for o, inputs in enumerate(table):
        mask[o, list(inputs)] = 1
    return mask


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_table_conv_equals_a_masked_dense_convolution(seed):
    torch.manual_seed(seed)
    layer = lenet.TableConv2d(6, lenet.C3_TABLE).double()
    mask = dense_masked(layer, lenet.C3_TABLE)
    # rebuild the dense kernel independently, from the (output, input) pairs in table order
    dense = torch.zeros_like(mask)
    flat = iter(layer.weight.detach())
    for o, inputs in enumerate(lenet.C3_TABLE):
        for i in inputs:
            dense[o, i] = next(flat)
    x = torch.randn(3, 6, 14, 11, dtype=torch.float64, requires_grad=True)
    dense.requires_grad_(True)
    ours, oracle = layer(x), F.conv2d(x, dense, layer.bias.detach())
    torch.testing.assert_close(ours, oracle, rtol=1e-12, atol=1e-12)
    g = torch.randn_like(ours)
    dx_ours, dw_ours = torch.autograd.grad(ours, (x, layer.weight), g)
    dx_oracle, dw_dense = torch.autograd.grad(oracle, (x, dense), g)
    torch.testing.assert_close(dx_ours, dx_oracle, rtol=1e-12, atol=1e-12)
    in_table_order = torch.stack([dw_dense[o, i] for o, inputs in enumerate(lenet.C3_TABLE) for i in inputs])
    torch.testing.assert_close(dw_ours, in_table_order, rtol=1e-12, atol=1e-12)
    assert torch.count_nonzero(dw_dense * (1 - mask)) > 0  # the dense kernel would also learn the missing pairs


@pytest.mark.parametrize("activation,in_channels,classes", [("tanh", 1, 10), ("relu", 3, 7)])
def test_forward_equals_a_functional_oracle(activation, in_channels, classes):
    torch.manual_seed(3)
    model = lenet.LeNet5(num_classes=classes, in_channels=in_channels, activation=activation).double()
    p = dict(model.named_parameters())
    act = torch.tanh if activation == "tanh" else torch.relu
    x = torch.randn(4, in_channels, 32, 32, dtype=torch.float64)
    h = F.avg_pool2d(act(F.conv2d(x, p["c1.weight"], p["c1.bias"])), 2)
    h = F.avg_pool2d(act(F.conv2d(h, p["c3.weight"], p["c3.bias"])), 2)
    h = act(F.conv2d(h, p["c5.weight"], p["c5.bias"])).reshape(4, 120)
    h = act(F.linear(h, p["f6.weight"], p["f6.bias"]))
    torch.testing.assert_close(model(x), F.linear(h, p["out.weight"], p["out.bias"]), rtol=1e-12, atol=1e-12)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="activation"):
        lenet.LeNet5(activation="sigmoid")
    with pytest.raises(ValueError, match="num_classes"):
        lenet.LeNet5(num_classes=0)
    with pytest.raises(ValueError, match="pad 28x28"):
        lenet.LeNet5()(torch.zeros(2, 1, 28, 28))
    with pytest.raises(TypeError, match="torch.Tensor"):
        lenet.LeNet5()(np.zeros((2, 1, 32, 32), np.float32))
    with pytest.raises(ValueError, match="no examples"):
        lenet.evaluate(lenet.LeNet5(), [], "cpu")


def data(seed, sizes=(7, 5, 9)):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(n, 1, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)) for n in sizes]


def test_evaluate_equals_sklearn_accuracy():
    torch.manual_seed(0)
    model, loader = lenet.LeNet5(), data(0)
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(x).argmax(1) for x, _ in loader]).numpy()
    expected = accuracy_score(torch.cat([y for _, y in loader]).numpy(), predicted)
    model.train()
    assert lenet.evaluate(model, loader, "cpu") == pytest.approx(expected, abs=1e-15)
    assert not model.training


def test_train_one_epoch_loss_is_the_mean_over_examples():
    """With a learning rate of 0 nothing changes, so the epoch loss must equal the summed loss / examples."""
    torch.manual_seed(1)
    model, loader = lenet.LeNet5().double(), [(x.double(), y) for x, y in data(1)]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss = lenet.train_one_epoch(model, loader, torch.optim.SGD(model.parameters(), lr=0.0), nn.CrossEntropyLoss(), "cpu")
    with torch.no_grad():
        total = sum(F.cross_entropy(model(x), y, reduction="sum").item() for x, y in loader)
    assert isinstance(loss, float) and loss == pytest.approx(total / 21, rel=1e-12)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_train_one_epoch_learns():
    torch.manual_seed(2)
    model, loader = lenet.LeNet5(), data(2, sizes=(16,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = [lenet.train_one_epoch(model, loader, opt, nn.CrossEntropyLoss(), "cpu") for _ in range(30)]
    assert losses[-1] < 0.1 * losses[0]
    assert lenet.evaluate(model, loader, "cpu") == 1.0


def test_checkpoint_round_trip_and_safety(tmp_path):
    torch.manual_seed(4)
    model = lenet.LeNet5()
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 1, 32, 32)).sum().backward()
    opt.step()
    path = tmp_path / "sub" / "ck.pt"
    lenet.save_checkpoint(path, model, opt, epoch=12)
    assert torch.load(path, weights_only=True)["epoch"] == 12
    model2 = lenet.LeNet5()
    opt2 = torch.optim.Adam(model2.parameters())
    assert lenet.load_checkpoint(path, model2, opt2) == 12
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), model2.state_dict().values()))
    assert opt2.state_dict()["state"][0]["step"] == 1
    with pytest.raises(FileNotFoundError, match="save_checkpoint"):
        lenet.load_checkpoint(tmp_path / "missing.pt", model2)
    lenet.save_checkpoint(tmp_path / "model-only.pt", model)
    with pytest.raises(ValueError, match="optimizer"):
        lenet.load_checkpoint(tmp_path / "model-only.pt", model2, opt2)


def run_python(code, cwd):
    """Run `code` in a fresh interpreter (a booby-trapped file may end the process) from the repository."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TRAP_FOLDER": str(cwd)})


TRAP = """
import os, torch
from grader import probe
from solutions import lenet
arrays = probe.state(probe.tiny_net(seed=0))
trap = probe.booby_trap(arrays)
load = {loader}
try:
    probe.load_tiny(load, trap, arrays, folder=os.environ["TRAP_FOLDER"])
except Exception as exc:
    print("refused", type(exc).__name__)
"""


def test_booby_trapped_checkpoint_is_armed_and_refused(tmp_path):
    """The trap ends a loader that unpickles objects (exit status RAN_CODE); the reference refuses the file."""
    careless = "lambda path, model: model.load_state_dict(torch.load(path, weights_only=False)['model'])"
    assert run_python(TRAP.format(loader=careless), tmp_path).returncode == probe.RAN_CODE
    proc = run_python(TRAP.format(loader="lenet.load_checkpoint"), tmp_path)
    assert proc.returncode == 0 and "refused UnpicklingError" in proc.stdout, proc.stderr[-2000:]


class Liar(lenet.LeNet5):
    """Reports nothing through nn.Module's overridable methods."""

    def parameters(self, recurse=True):
        return iter(())

    def named_children(self):
        return iter(())

    def state_dict(self, *args, **kwargs):
        return {}


def test_probe_reads_nn_modules_own_tables():
    model = Liar(c3_table=True)
    assert probe.parameter_count(model) == 60806
    assert [name for name, _, _ in probe.children(model)] == list(SHAPES)
    assert sorted(probe.state(model)) == sorted(lenet.LeNet5(c3_table=True).state_dict())
    fresh = lenet.LeNet5()
    probe.load_state(fresh, probe.state(lenet.LeNet5()))
    with pytest.raises(KeyError):
        probe.load_state(fresh, probe.state(lenet.LeNet5(c3_table=True)) | {"extra": np.zeros(1)})


@pytest.mark.parametrize("kwargs", [{}, {"activation": "relu"}, {"c3_table": True},
                                    {"num_classes": 7, "in_channels": 3}])
def test_every_reference_parameter_trains_and_matters(kwargs):
    """What the hidden suite requires of every parameter holds for the reference on several seeds."""
    for seed in range(3):
        torch.manual_seed(seed)
        model, rng = lenet.LeNet5(**kwargs), np.random.default_rng(seed)
        x = rng.standard_normal((3, kwargs.get("in_channels", 1), 32, 32)).astype(np.float32)
        y = rng.integers(0, kwargs.get("num_classes", 10), 3)
        grads = probe.gradients(model, x, y)
        assert grads and all(g is not None and np.any(g) for g in grads.values())
        out = probe.sensitivity(model, x[:2], seed=seed)
        assert all(np.abs(logits - out["base"]).max() > 1e-6 for _, logits in out["perturbed"])


def test_checkpoint_of_another_model_does_not_fit():
    """The suite's mismatched models share every layer shape with a tiny net but not its keys."""
    keys = set(probe.state(probe.tiny_net()))
    for variant in ("wider", "shorter"):
        other = probe.state(probe.tiny_variant(variant))
        assert set(other) != keys
        assert all(other[k].shape == probe.state(probe.tiny_net())[k].shape for k in set(other) & keys)


def test_pristine_lists_changed_torch_settings_and_functions():
    assert probe.pristine() == []
    original = F.conv2d
    try:
        torch.set_grad_enabled(False)
        F.conv2d = lambda *args, **kwargs: original(*args, **kwargs)
        assert set(probe.pristine()) == {"autograd enabled", "torch.nn.functional.conv2d"}
    finally:
        torch.set_grad_enabled(True)
        F.conv2d = original
    assert probe.pristine() == []
