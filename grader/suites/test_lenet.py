"""Hidden suite for part `lenet` (notebook 04): assignment/lenet.py against the reference.

The student's objects live in the sandbox; `probe.<name>` calls run the grader's trusted helpers there
(grader/probe.py) and return plain arrays. The reference runs here through the same helpers, on the same
random weights and inputs, so both sides are compared number for number."""
import tempfile

import numpy as np
import pytest
import torch

from grader import probe
from grader.sandbox import Handle
from grader.suites.checks import assert_close, assert_equal_value, describe
from solutions import lenet as ref

LAYERS = ["c1", "s2", "c3", "s4", "c5", "f6", "out"]
CONFIGS = [{}, {"activation": "relu"}, {"num_classes": 7, "in_channels": 3}, {"c3_table": True}]
FULL_C3 = [c for c in CONFIGS if not c.get("c3_table")]
F32 = dict(rtol=1e-4, atol=1e-5)
F64 = dict(rtol=1e-8, atol=1e-10)


def seed_of(rng):
    return int(rng.integers(2**31))


def build(student, **kwargs):
    """The student's LeNet5(**kwargs), kept in the sandbox."""
    model = student.call("lenet.LeNet5", **kwargs)
    if not isinstance(model, Handle):
        pytest.fail(f"LeNet5({describe(**kwargs)}) should build an nn.Module, got {type(model).__name__}")
    return model


def reference(rng, **kwargs):
    torch.manual_seed(seed_of(rng))
    return ref.LeNet5(**kwargs)


def images(rng, n, channels=1, dtype=np.float32):
    return rng.standard_normal((n, channels, 32, 32)).astype(dtype)


def context(kwargs):
    return f"LeNet5({describe(**kwargs)})" if kwargs else "LeNet5()"


# ----------------------------------------------------------------------------------------- the network
@pytest.mark.points(2)
def test_layers_named_in_order(student):
    """LeNet5 has the layers c1 s2 c3 s4 c5 f6 out, in that order"""
    names = [name for name, _, _ in student.call("probe.children", build(student))]
    if names != LAYERS:
        pytest.fail(f"LeNet5's layers are {names}; expected {LAYERS} (assign them in that order in __init__)")


@pytest.mark.points(3)
def test_shape_after_every_layer(student, rng):
    """the output shape of every layer, for several batch sizes, channel and class counts, both C3 variants"""
    for kwargs in CONFIGS:
        model, expected_model = build(student, **kwargs), reference(rng, **kwargs)
        for n in (1, int(rng.integers(2, 9))):
            x = images(rng, n, kwargs.get("in_channels", 1))
            got = student.call("probe.layer_shapes", model, x)
            want = probe.layer_shapes(expected_model, x)
            if got != want:
                pytest.fail(f"shapes after each layer {[tuple(s) for _, s in got]} ({[n for n, _ in got]}), "
                            f"expected {[tuple(s) for _, s in want]} (for {context(kwargs)}, a batch of {n})")


@pytest.mark.points(3)
def test_parameter_counts(student, rng):
    """the number of parameters of every layer (61,706 in all with a full C3, 60,806 with the table)"""
    for kwargs in CONFIGS:
        got = {name: count for name, _, count in student.call("probe.children", build(student, **kwargs))}
        want = {name: count for name, _, count in probe.children(reference(rng, **kwargs))}
        for name, count in want.items():
            assert_equal_value(got.get(name), count, f"parameters of {name}", context=context(kwargs))
        assert_equal_value(student.call("probe.parameter_count", build(student, **kwargs)), sum(want.values()),
                           "total parameters", context=context(kwargs))


@pytest.mark.points(1)
def test_state_dict_layout(student, rng):
    """the state dict has the keys and shapes of nn.Conv2d / nn.Linear layers named c1 ... out"""
    for kwargs in FULL_C3:
        got = student.call("probe.state", build(student, **kwargs))
        want = probe.state(reference(rng, **kwargs))
        if sorted(got) != sorted(want):
            pytest.fail(f"state dict keys {sorted(got)}, expected {sorted(want)} (for {context(kwargs)})")
        for key, value in want.items():
            if got[key].shape != value.shape:
                pytest.fail(f"{key} has shape {got[key].shape}, expected {value.shape} (for {context(kwargs)})")


@pytest.mark.points(4)
def test_forward_matches_reference(student, rng):
    """with the reference's weights copied in, the logits equal the reference's (tanh and relu, 1 and 3 channels)"""
    for kwargs in FULL_C3:
        expected_model = reference(rng, **kwargs)
        model = build(student, **kwargs)
        student.call("probe.load_state", model, probe.state(expected_model))
        for n in (1, int(rng.integers(2, 9))):
            x = images(rng, n, kwargs.get("in_channels", 1))
            assert_close(student.call("probe.forward", model, x), probe.forward(expected_model, x), "logits",
                         context=f"{context(kwargs)}, {describe(x=x)}", **F32)


@pytest.mark.points(3)
def test_c3_table_connections(student, rng):
    """with c3_table=True, each C3 map reads exactly the S2 maps of LeCun et al.'s Table I (1,516 parameters)"""
    model = build(student, c3_table=True)
    counts = {name: count for name, _, count in student.call("probe.children", model)}
    assert_equal_value(counts.get("c3"), 1516, "parameters of the sparse c3")
    x = rng.standard_normal((2, 6, 14, 14)).astype(np.float32)
    got = student.call("probe.connections", model, "c3", x)
    want = probe.connections(reference(rng, c3_table=True), "c3", x)
    if not np.array_equal(got, want):
        wrong = [o for o in range(want.shape[0]) if got.shape != want.shape or not np.array_equal(got[o], want[o])]
        pytest.fail(f"the sparse c3 connects the wrong S2 maps: C3 maps {wrong} read S2 maps "
                    f"{[list(np.flatnonzero(got[o])) for o in wrong if o < len(got)]}, expected "
                    f"{[list(np.flatnonzero(want[o])) for o in wrong]}")


# ----------------------------------------------------------------------------------- training loops
def tiny_state(rng):
    return probe.state(probe.tiny_net(seed=seed_of(rng)))


def stream(rng, sizes, labels=None, classes=3):
    """Batches of (x (b, 2, 8, 8) float64, y (b,) int64) with the given, uneven, batch sizes."""
    out = []
    for i, b in enumerate(sizes):
        y = labels[i] if labels is not None else rng.integers(0, classes, size=b)
        out.append((rng.standard_normal((b, 2, 8, 8)), np.asarray(y, dtype=np.int64)))
    return out


def run_train(student, rng, optimizer):
    arrays, batches = tiny_state(rng), stream(rng, [5, 8, 3, 6, 2])
    got = student.call("probe.run_train_epoch", "lenet.train_one_epoch", arrays, batches, optimizer=optimizer)
    want = probe.run_train_epoch(ref.train_one_epoch, arrays, batches, optimizer=optimizer)
    return got, want, f"{optimizer} optimizer, batches of {[len(y) for _, y in batches]}"


def assert_states(got, want, what, where):
    for key, value in want.items():
        if key not in got:
            pytest.fail(f"{what}: {key} is missing ({where})")
        assert_close(np.asarray(got[key]), value, f"{what}: {key}", context=where, **F64)


@pytest.mark.points(4)
def test_train_one_epoch_updates_weights_like_reference(student, rng):
    """after one epoch on a fixed stream of batches the weights and batch-norm statistics equal the reference's"""
    for optimizer in ("sgd", "adam"):
        got, want, where = run_train(student, rng, optimizer)
        assert_states(got["state"], want["state"], "weights after one epoch", where)


@pytest.mark.points(2)
def test_train_one_epoch_returns_mean_loss(student, rng):
    """train_one_epoch returns the mean loss per example (batches weighted by their size)"""
    for optimizer in ("sgd", "adam"):
        got, want, where = run_train(student, rng, optimizer)
        loss = got["loss"]
        if isinstance(loss, np.ndarray) and loss.size == 1:
            loss = loss.item()
        if not isinstance(loss, (int, float, np.floating)) or isinstance(loss, bool):
            pytest.fail(f"train_one_epoch should return a float, got {type(loss).__name__}")
        if not np.isclose(float(loss), want["loss"], rtol=1e-7, atol=1e-10):
            pytest.fail(f"train_one_epoch returned {float(loss):.6g}, expected {want['loss']:.6g} ({where})")


def labelled_stream(rng, arrays, sizes, right=0.6):
    """Batches whose labels agree with the model's eval-mode predictions for about `right` of the examples."""
    batches = stream(rng, sizes)
    model = probe.tiny_net(arrays)
    out = []
    for x, _ in batches:
        pred = probe.forward(model, x).argmax(axis=1)
        flip = rng.random(len(pred)) > right
        out.append((x, np.where(flip, (pred + 1) % 3, pred).astype(np.int64)))
    return out


@pytest.mark.points(3)
def test_evaluate_matches_reference(student, rng):
    """evaluate returns the reference's accuracy (uneven batches; the model starts in train mode)"""
    for sizes in ([7, 4, 9], [1, 16, 5, 3]):
        arrays = tiny_state(rng)
        batches = labelled_stream(rng, arrays, sizes)
        got = student.call("probe.run_evaluate", "lenet.evaluate", arrays, batches)
        want = probe.run_evaluate(ref.evaluate, arrays, batches)
        accuracy = got["accuracy"]
        if isinstance(accuracy, np.ndarray) and accuracy.size == 1:
            accuracy = accuracy.item()
        if not isinstance(accuracy, (int, float, np.floating)) or isinstance(accuracy, bool):
            pytest.fail(f"evaluate should return a float, got {type(accuracy).__name__}")
        if not np.isclose(float(accuracy), want["accuracy"], rtol=0, atol=1e-12):
            pytest.fail(f"evaluate returned {float(accuracy):.6g}, expected {want['accuracy']:.6g} "
                        f"(batches of {sizes})")


@pytest.mark.points(2)
def test_evaluate_changes_nothing(student, rng):
    """evaluate runs with autograd off and in eval mode: weights and batch-norm statistics stay unchanged"""
    arrays = tiny_state(rng)
    batches = labelled_stream(rng, arrays, [6, 6, 2])
    got = student.call("probe.run_evaluate", "lenet.evaluate", arrays, batches)
    if got["graph"]:
        pytest.fail("evaluate built an autograd graph: run the model inside `with torch.no_grad():`")
    assert_states(got["state"], arrays, "state after evaluate",
                  "evaluate must not change the model; batch-norm statistics change when it is not in eval mode")


# --------------------------------------------------------------------------------------- checkpoints
def require_file(got):
    if not got["written"]:
        pytest.fail("save_checkpoint must write the checkpoint to the file `path` (with torch.save, so that "
                    "torch.load(path, weights_only=True) can read it)")


@pytest.mark.points(3)
def test_checkpoint_round_trip(student, rng):
    """a checkpoint restores the weights, the optimizer state (training continues identically) and the epoch"""
    for optimizer in ("adam", "sgd"):
        saved, fresh, batches = tiny_state(rng), tiny_state(rng), stream(rng, [4, 5, 3])
        epoch = int(rng.integers(1, 50))
        got = student.call("probe.checkpoint_round_trip", "lenet.save_checkpoint", "lenet.load_checkpoint",
                           saved, fresh, batches, optimizer=optimizer, epoch=epoch)
        where = f"{optimizer} optimizer, epoch={epoch}"
        with tempfile.TemporaryDirectory() as folder:
            want = probe.checkpoint_round_trip(ref.save_checkpoint, ref.load_checkpoint, saved, fresh, batches,
                                               optimizer=optimizer, epoch=epoch, folder=folder)
        require_file(got)
        assert_equal_value(got["epoch"], epoch, "load_checkpoint's returned epoch", context=where)
        assert_states(got["loaded"], want["loaded"], "weights after load_checkpoint", where)
        if sorted(got["loaded_opt"]) != sorted(want["loaded_opt"]):
            pytest.fail(f"the optimizer state was not restored: entries {sorted(got['loaded_opt'])}, expected "
                        f"{sorted(want['loaded_opt'])} ({where})")
        assert_states(got["loaded_opt"], want["loaded_opt"], "optimizer state after load_checkpoint", where)
        assert_states(got["after_loaded"], want["after_loaded"], "weights one step after loading", where)


@pytest.mark.points(1)
def test_checkpoint_without_optimizer(student, rng):
    """save_checkpoint(path, model) with the defaults round-trips the weights and epoch 0"""
    saved, fresh = tiny_state(rng), tiny_state(rng)
    got = student.call("probe.model_only_round_trip", "lenet.save_checkpoint", "lenet.load_checkpoint", saved, fresh)
    require_file(got)
    assert_equal_value(got["epoch"], 0, "load_checkpoint's returned epoch", context="saved with the default epoch")
    assert_states(got["loaded"], saved, "weights after load_checkpoint", "saved without an optimizer")


@pytest.mark.points(1)
def test_load_checkpoint_runs_no_code(student, rng):
    """load_checkpoint reads with weights_only=True: a checkpoint carrying a Python object cannot run code"""
    arrays = tiny_state(rng)
    got = student.call("probe.model_only_round_trip", "lenet.save_checkpoint", "lenet.load_checkpoint",
                       arrays, tiny_state(rng))
    require_file(got)
    assert_states(got["loaded"], arrays, "weights after load_checkpoint", "a plain checkpoint")
    if student.call("probe.loads_code", "lenet.load_checkpoint", arrays)["code_ran"]:
        pytest.fail("load_checkpoint ran code hidden in a checkpoint file: load it with "
                    "torch.load(path, weights_only=True)")
