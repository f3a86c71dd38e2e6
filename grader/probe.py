"""Trusted helpers for the PyTorch parts, run on both sides of the sandbox.

Inside the sandbox the worker loads this file before any student code (under a private name, outside
sys.modules) and serves its functions as `probe.<name>`; they take plain data (arrays, numbers, handles
to objects kept in the sandbox) and return plain data, so the grader compares state dicts and outputs as
numpy arrays on its own side. The grader imports the same functions to run the reference the same way.

Functions that exercise a training loop use `tiny_net`, a small float64 network with batch norm (whose
behaviour differs between train() and eval()), so that they test the loop and not the student's model.
Every number is recomputed by the grader from the reference; only two behaviours are observed here, in
the sandbox (whether evaluate builds an autograd graph, whether load_checkpoint runs code from a file).
Student code is handed torch's own objects only, never a function or class of this module, and the module
is not in sys.modules; code that walks the interpreter's frames could still reach it, which would forge
at most those two observations.
"""
import importlib
import os

import numpy as np
import torch
from torch import nn

def _function(fn):
    """A callable, or `"module.name"` for a function of the student's `assignment` package."""
    if callable(fn):
        return fn
    module, _, name = str(fn).rpartition(".")
    return getattr(importlib.import_module(f"assignment.{module}"), name)


def _tensor(a):
    return torch.from_numpy(np.array(a))


def _arrays(state):
    return {k: v.detach().cpu().numpy().copy() for k, v in state.items()}


# ------------------------------------------------------------------------------- any model
def state(model):
    """The model's state dict (parameters and buffers) as numpy arrays."""
    return _arrays(model.state_dict())


def load_state(model, arrays):
    model.load_state_dict({k: _tensor(v) for k, v in arrays.items()}, strict=True)


def forward(model, x, child=None):
    """Outputs of `model` (or of its child `child`) on x, in eval mode without autograd."""
    module = model.get_submodule(child) if child else model
    model.eval()
    with torch.no_grad():
        return module(_tensor(x)).numpy()


def children(model):
    """[name, type name, number of parameters] for each direct child, in order."""
    return [[name, type(m).__name__, sum(p.numel() for p in m.parameters())] for name, m in model.named_children()]


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def layer_shapes(model, x):
    """[child name, output shape] for each direct child, in the order they run on x."""
    seen, hooks = [], []
    for name, module in model.named_children():
        hooks.append(module.register_forward_hook(
            lambda m, i, out, name=name: seen.append([name, list(out.shape)])))
    try:
        forward(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def connections(model, child, x):
    """Which input maps each output map of `child` reads: a (out, in) 0/1 matrix found by changing one
    input map at a time and seeing which output maps move."""
    module = model.get_submodule(child)
    x = _tensor(x)
    model.eval()
    with torch.no_grad():
        base = module(x)
        found = np.zeros((base.shape[1], x.shape[1]), dtype=np.int64)
        for i in range(x.shape[1]):
            nudged = x.clone()
            nudged[:, i] += torch.randn_like(nudged[:, i])
            found[:, i] = ((module(nudged) - base).abs().amax(dim=(0, 2, 3)) > 1e-6).numpy()
    return found


# ------------------------------------------------------------------------------- training loops
def tiny_net(arrays=None, classes=3, seed=0):
    """conv 3x3 -> batch norm -> ReLU -> global average -> linear, in float64, for 2-channel 8x8 inputs,
    holding `arrays` (or fresh weights from `seed`, with batch-norm statistics away from their defaults).
    Built from torch's own classes only, so nothing handed to student code leads back to this module."""
    torch.manual_seed(seed)
    classes = len(arrays["5.bias"]) if arrays is not None else classes
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, classes)).double()
    if arrays is not None:
        load_state(model, arrays)
    else:
        with torch.no_grad():
            model[1].running_mean.normal_()
            model[1].running_var.uniform_(0.5, 2.0)
    return model


def make_optimizer(model, kind):
    if kind == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    if kind == "adam":
        return torch.optim.Adam(model.parameters(), lr=0.01)
    raise ValueError(f"unknown optimizer {kind!r}")


def batches(stream):
    return [(_tensor(x), _tensor(y)) for x, y in stream]


def run_train_epoch(fn, arrays, stream, optimizer="sgd", device="cpu"):
    """Call `fn(model, loader, optimizer, loss_fn, device)` on a tiny net holding `arrays`, starting in eval
    mode (so a loop that forgets train() is seen), with a loader that lists `stream`'s (x, y) batches."""
    model = tiny_net(arrays)
    model.eval()
    opt = make_optimizer(model, optimizer)
    loss = _function(fn)(model, batches(stream), opt, nn.CrossEntropyLoss(), torch.device(device))
    return {"loss": loss, "state": state(model)}


def run_evaluate(fn, arrays, stream, device="cpu"):
    """Call `fn(model, loader, device)` on a tiny net holding `arrays`, starting in train mode (so that an
    evaluation that forgets eval() changes the batch-norm statistics), and count the tensors autograd saved
    for a backward pass (none when autograd is off). The counter is a builtin list's append method, so it
    holds no code of this module."""
    model = tiny_net(arrays)
    model.train()
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(saved.append, id):
        accuracy = _function(fn)(model, batches(stream), torch.device(device))
    return {"accuracy": accuracy, "state": state(model), "graph": len(saved) > 0}


# ------------------------------------------------------------------------------- checkpoints
def _optimizer_arrays(opt):
    """An optimizer's state dict, flattened to {"state.<param>.<name>": array, "group.<i>.<name>": value}."""
    sd = opt.state_dict()
    flat = {f"state.{p}.{k}": np.asarray(v.detach().cpu().numpy() if torch.is_tensor(v) else v)
            for p, entry in sd["state"].items() for k, v in entry.items()}
    for i, group in enumerate(sd["param_groups"]):
        for k, v in group.items():
            if isinstance(v, (bool, int, float)):
                flat[f"group.{i}.{k}"] = np.asarray(float(v))
    return flat


def checkpoint_round_trip(save, load, saved, fresh, stream, optimizer="adam", epoch=7, folder="."):
    """Train a tiny net holding `saved` on all but the last batch of `stream`, `save(path, model, opt,
    epoch=epoch)`, `load(path, model2, opt2)` into a tiny net holding `fresh` with a new optimizer, then
    take one more step with model2 on the last batch. Returns what `load` returned and model2's and opt2's
    states after loading and after that step (the grader compares them with the reference's)."""
    path = os.path.join(folder, "checkpoints", "tiny.pt")
    model, model2 = tiny_net(saved), tiny_net(fresh)
    opt, opt2 = make_optimizer(model, optimizer), make_optimizer(model2, optimizer)
    loss_fn, data = nn.CrossEntropyLoss(), batches(stream)

    def step(m, o, xy):
        m.train()
        o.zero_grad()
        loss_fn(m(xy[0]), xy[1]).backward()
        o.step()

    for xy in data[:-1]:
        step(model, opt, xy)
    _function(save)(path, model, opt, epoch=epoch)
    written = _readable(path)
    got = _function(load)(path, model2, opt2)
    out = {"epoch": got, "written": written, "loaded": state(model2), "loaded_opt": _optimizer_arrays(opt2)}
    step(model2, opt2, data[-1])
    out["after_loaded"] = state(model2)
    return out


def model_only_round_trip(save, load, saved, fresh, folder="."):
    """save(path, model) without optimizer or epoch, then load(path, model2): the epoch and model2's state."""
    path = os.path.join(folder, "model-only.pt")
    _function(save)(path, tiny_net(saved))
    written = _readable(path)
    model2 = tiny_net(fresh)
    got = _function(load)(path, model2)
    return {"epoch": got, "written": written, "loaded": state(model2)}


def _readable(path):
    """True when `path` is a file that torch.load(weights_only=True) reads (a checkpoint really was written)."""
    try:
        torch.load(path, map_location="cpu", weights_only=True)
        return True
    except Exception:
        return False


class _RunsCode:
    """Unpickling this object creates a file: proof that a loader ran code from the checkpoint."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def loads_code(load, arrays, folder="."):
    """Write a checkpoint that carries a code-running object beside a model state, give it to `load`,
    and report whether the code ran (it must not: load with weights_only=True)."""
    marker = os.path.join(folder, "code-ran")
    path = os.path.join(folder, "booby-trapped.pt")
    model = tiny_net(arrays)
    sd = model.state_dict()
    torch.save({"model": sd, "model_state_dict": sd, "state_dict": sd, "epoch": 1, "extra": _RunsCode(marker)}, path)
    try:
        _function(load)(path, tiny_net(arrays))
        error = ""
    except Exception as exc:  # refusing the file is the right answer
        error = type(exc).__name__
    return {"code_ran": os.path.exists(marker), "error": error}

