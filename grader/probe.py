"""Trusted helpers for the PyTorch parts, run on both sides of the sandbox.

Inside the sandbox the worker loads this file before any student code (under a private name, outside
sys.modules) and serves its functions as `probe.<name>`; they take plain data (arrays, numbers, handles
to objects kept in the sandbox) and return plain data, so the grader compares state dicts and outputs as
numpy arrays on its own side. The grader imports the same functions to run the reference the same way.

A student's model is read through the tables nn.Module itself keeps (`_modules`, `_parameters`,
`_buffers`), never through the model's own methods: a model that overrides parameters(), children() or
state_dict() cannot change what is counted, loaded or compared, and a tensor that is not exactly a
torch Parameter or Tensor is refused.

Functions that exercise a training loop use `tiny_net`, a small float64 network with batch norm (whose
behaviour differs between train() and eval()), so that they test the loop and not the student's model.
Every number is recomputed by the grader from the reference. Student code is handed torch's own objects
only, never a function or class of this module; code that walks the interpreter's frames could still
reach this module and change what it reports, so the hidden suite trusts numbers from here only when
it can recompute them, and says in its docstring what little it takes on trust.
"""
import importlib
import io
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


# ------------------------------------------------------------------------------- nn.Module's own tables
def _table(module, name):
    """One of the dicts nn.Module keeps in the instance (`_modules`, `_parameters`, `_buffers`)."""
    table = object.__getattribute__(module, "__dict__").get(name)
    return dict.items(table) if isinstance(table, dict) else ()


def _walk(module, prefix="", seen=None):
    """(qualified prefix, module) for `module` and every module below it, each once, in nn.Module's order."""
    seen = set() if seen is None else seen
    if id(module) in seen:
        return
    seen.add(id(module))
    yield prefix, module
    for name, child in _table(module, "_modules"):
        if issubclass(type(child), nn.Module):
            yield from _walk(child, f"{prefix}{name}.", seen)


def _checked(name, tensor, kind):
    if type(tensor) is not kind:
        raise TypeError(f"{name} is a {type(tensor).__name__}; register it as a plain {kind.__name__}")
    return tensor


def _parameters(model):
    """[(name, parameter)] as nn.Module.named_parameters would list them."""
    found, seen = [], set()
    for prefix, module in _walk(model):
        for name, p in _table(module, "_parameters"):
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                found.append((prefix + name, _checked(prefix + name, p, nn.Parameter)))
    return found


def _entries(model):
    """{name: tensor}: the parameters and persistent buffers that nn.Module.state_dict would hold."""
    out = {}
    for prefix, module in _walk(model):
        for name, p in _table(module, "_parameters"):
            if p is not None:
                out[prefix + name] = _checked(prefix + name, p, nn.Parameter)
        hidden = object.__getattribute__(module, "__dict__").get("_non_persistent_buffers_set", set())
        for name, b in _table(module, "_buffers"):
            if b is not None and name not in hidden:
                out[prefix + name] = _checked(prefix + name, b, torch.Tensor)
    return out


def _set_mode(model, training):
    for _, module in _walk(model):
        object.__setattr__(module, "training", training)


def _child(model, name):
    return dict(_walk(model))[f"{name}."] if name else model


# ------------------------------------------------------------------------------- any model
def state(model):
    """The model's state dict (parameters and buffers) as numpy arrays."""
    return _arrays(_entries(model))


def load_state(model, arrays):
    """Copy `arrays` into the model's parameters and buffers; the names and shapes must match exactly."""
    entries = _entries(model)
    if sorted(entries) != sorted(arrays):
        raise KeyError(f"the model's state has the keys {sorted(entries)}, expected {sorted(arrays)}")
    with torch.no_grad():
        for name, tensor in entries.items():
            value = _tensor(arrays[name])
            if tuple(tensor.shape) != tuple(value.shape):
                raise ValueError(f"{name} has shape {tuple(tensor.shape)}, expected {tuple(value.shape)}")
            tensor.copy_(value)


def forward(model, x, child=None):
    """Outputs of `model` (or of its child `child`) on x, in eval mode without autograd."""
    _set_mode(model, False)
    with torch.no_grad():
        return _child(model, child)(_tensor(x)).numpy()


def children(model):
    """[name, type name, number of parameters] for each direct child, in order."""
    return [[name, type(m).__name__, parameter_count(m)] for name, m in _table(model, "_modules")
            if issubclass(type(m), nn.Module)]


def parameter_count(model):
    return sum(p.numel() for _, p in _parameters(model))


def layer_shapes(model, x):
    """[child name, output shape] for each direct child, in the order they run on x."""
    seen, hooks = [], []
    for name, module in _table(model, "_modules"):
        if issubclass(type(module), nn.Module):
            hooks.append(nn.Module.register_forward_hook(
                module, lambda m, i, out, name=name: seen.append([name, list(out.shape)])))
    try:
        forward(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def connections(model, child, x):
    """Which input maps each output map of `child` reads: a (out, in) 0/1 matrix found by changing one
    input map at a time and seeing which output maps move."""
    module = _child(model, child)
    x = _tensor(x)
    _set_mode(model, False)
    with torch.no_grad():
        base = module(x)
        found = np.zeros((base.shape[1], x.shape[1]), dtype=np.int64)
        for i in range(x.shape[1]):
            nudged = x.clone()
            nudged[:, i] += torch.randn_like(nudged[:, i])
            found[:, i] = ((module(nudged) - base).abs().amax(dim=(0, 2, 3)) > 1e-6).numpy()
    return found


def gradients(model, x, y):
    """{parameter name: gradient, or None when it got none} of the cross-entropy of model(x) against the
    labels y, backpropagated once in training mode from cleared gradients."""
    params = _parameters(model)
    for _, p in params:
        p.grad = None
    _set_mode(model, True)
    with torch.enable_grad():
        nn.functional.cross_entropy(model(_tensor(x)), _tensor(y)).backward()
    return {name: None if p.grad is None else p.grad.detach().numpy().copy() for name, p in params}


def sensitivity(model, x, seed=0):
    """The logits on x twice ("base", "again"), then with each parameter tensor in turn shifted by standard
    normal noise ("perturbed": [[name, logits]]; each parameter is put back before the next)."""
    gen = torch.Generator().manual_seed(seed)
    out = {"base": forward(model, x), "again": forward(model, x), "perturbed": []}
    for name, p in _parameters(model):
        kept = p.detach().clone()
        with torch.no_grad():
            p.add_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
        try:
            out["perturbed"].append([name, forward(model, x)])
        finally:
            with torch.no_grad():
                p.copy_(kept)
    return out


# ------------------------------------------------------------------------------- a clean process
_SETTINGS = {
    "default dtype": torch.get_default_dtype,
    "autograd enabled": torch.is_grad_enabled,
    "inference mode": torch.is_inference_mode_enabled,
    "anomaly detection": torch.is_anomaly_enabled,
    "deterministic algorithms": torch.are_deterministic_algorithms_enabled,
    "deterministic warn-only": torch.is_deterministic_algorithms_warn_only_enabled,
    "threads": torch.get_num_threads,
    "float32 matmul precision": torch.get_float32_matmul_precision,
    "default device": lambda: str(torch.get_default_device()),
}
_NAMESPACES = {"torch": torch, "torch.Tensor": torch.Tensor, "torch.nn.functional": nn.functional,
               "torch.nn.Module": nn.Module, "torch.optim.Optimizer": torch.optim.Optimizer, "os": os}


def _snapshot():
    settings = {name: get() for name, get in _SETTINGS.items()}
    names = {f"{label}.{k}": v for label, ns in _NAMESPACES.items() for k, v in vars(ns).items() if callable(v)}
    return settings, names


_CLEAN = _snapshot()  # taken when the worker loads this file, before any student code


def _same_function(now, before):
    """The same function, or torch's own wrapper of it (torch wraps a few functions when it first compiles)."""
    return now is before or getattr(now, "__wrapped__", None) is before


def pristine(seed=0):
    """What earlier calls changed in this process: torch's global settings and torch's (and os's) functions
    replaced. Seeds torch's generator. The grader restarts the worker when anything is listed."""
    settings, names = _snapshot()
    changed = [name for name, value in _CLEAN[0].items() if settings[name] != value]
    changed += [name for name, value in _CLEAN[1].items() if not _same_function(names.get(name), value)]
    torch.manual_seed(seed)
    return changed


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


def run_evaluate(fn, arrays, stream, after=None, device="cpu"):
    """Call `fn(model, loader, device)` on a tiny net holding `arrays`, starting in train mode (so that an
    evaluation that forgets eval() changes the batch-norm statistics). Returns the accuracy, the state,
    whether autograd saved tensors for a backward pass (observed in this process: a builtin list's append
    method counts them, so it holds no code of this module) and, for inputs `after`, the logits computed
    as evaluate left the model (they equal eval mode's only if it left the model in eval mode) and whether
    they could be backpropagated (not when evaluate left autograd off)."""
    model = tiny_net(arrays)
    model.train()
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(saved.append, id):
        accuracy = _function(fn)(model, batches(stream), torch.device(device))
    out = {"accuracy": accuracy, "state": state(model), "graph": len(saved) > 0}
    if after is not None:
        logits = model(_tensor(after))
        out["after"], out["autograd_after"] = logits.detach().numpy(), logits.requires_grad
    return out


# ------------------------------------------------------------------------------- checkpoints
def _step(model, opt, xy, loss_fn=nn.CrossEntropyLoss()):
    model.train()
    opt.zero_grad()
    loss_fn(model(xy[0]), xy[1]).backward()
    opt.step()


def trained_tiny(arrays, stream=(), optimizer=None):
    """A tiny net holding `arrays` and, for an optimizer kind, a new optimizer that has taken one step on
    each batch of `stream`: (model, optimizer or None)."""
    model = tiny_net(arrays)
    opt = make_optimizer(model, optimizer) if optimizer else None
    for xy in batches(stream) if opt else ():
        _step(model, opt, xy)
    return model, opt


def optimizer_arrays(sd):
    """An optimizer's state dict, flattened to {"state.<param>.<name>": array, "group.<i>.<name>": value}."""
    flat = {f"state.{p}.{k}": np.asarray(v.detach().cpu().numpy() if torch.is_tensor(v) else v)
            for p, entry in sd["state"].items() for k, v in entry.items()}
    for i, group in enumerate(sd["param_groups"]):
        for k, v in group.items():
            if isinstance(v, (bool, int, float)):
                flat[f"group.{i}.{k}"] = np.asarray(float(v))
    return flat


def _file_bytes(path):
    try:
        with open(path, "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8)
    except OSError:
        return None


def save_tiny(save, arrays, stream=(), optimizer=None, epoch=None, folder="."):
    """`save(path, model, opt, epoch=epoch)` for `trained_tiny(arrays, stream, optimizer)` (only
    `save(path, model)` without an optimizer and epoch); returns the bytes of the file at `path` as a
    uint8 array (None when there is none), for the grader to read on its own side."""
    model, opt = trained_tiny(arrays, stream, optimizer)
    path = os.path.join(folder, "checkpoints", "tiny.pt")
    args = (path, model) if opt is None else (path, model, opt)
    _function(save)(*args, **({} if epoch is None else {"epoch": epoch}))
    return _file_bytes(path)


def tiny_variant(kind, classes=3):
    """A tiny net whose state does not match a tiny net's checkpoint: "wider" has one layer more, "shorter"
    one layer fewer (the layers they share have the same shapes)."""
    model = tiny_net(classes=classes)
    if kind == "wider":
        return nn.Sequential(*model, nn.Linear(classes, classes)).double()
    return nn.Sequential(*list(model)[:-1])


def load_tiny(load, data, arrays=None, optimizer=None, stream=(), variant=None, folder="."):
    """Write the checkpoint bytes `data` to a new file and `load(path, model, opt)` (or `load(path, model)`
    without an optimizer kind) into a tiny net holding `arrays` (or a `tiny_variant`) with a new optimizer;
    then take one step on each batch of `stream`. Returns what `load` returned and the model's and
    optimizer's states after loading and after those steps."""
    path = os.path.join(folder, "restored", "checkpoint.pt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(np.asarray(data, dtype=np.uint8).tobytes())
    model = tiny_variant(variant) if variant else tiny_net(arrays)
    opt = make_optimizer(model, optimizer) if optimizer else None
    got = _function(load)(*((path, model) if opt is None else (path, model, opt)))
    out = {"epoch": got, "loaded": state(model),
           "loaded_opt": optimizer_arrays(opt.state_dict()) if opt else {}}
    for xy in batches(stream):
        _step(model, opt, xy)
    out["after"] = state(model)
    return out


RAN_CODE = 86  # the exit status of a worker that unpickled a booby-trapped checkpoint


class _RunsCode:
    """Unpickling this object ends the process at once: a loader that runs code from a checkpoint
    is seen from outside, and nothing the loader does afterwards can hide it."""

    def __reduce__(self):
        return (os._exit, (RAN_CODE,))


def booby_trap(arrays):
    """The bytes of a checkpoint that holds a model state beside an object whose unpickling runs code.
    Made on the grader's side (pickling runs nothing); only a loader with weights_only=False unpickles it."""
    sd = tiny_net(arrays).state_dict()
    buffer = io.BytesIO()
    torch.save({"model": sd, "model_state_dict": sd, "state_dict": sd, "epoch": 1, "extra": _RunsCode()}, buffer)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8)
