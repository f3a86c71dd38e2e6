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


def as_float64(model):
    """Turn every floating-point parameter and buffer of `model` into float64, in place, through nn.Module's
    tables (so that a model's own .double() is never called)."""
    for _, module in _walk(model):
        for _, p in _table(module, "_parameters"):
            if p is not None and p.is_floating_point():
                p.data = p.data.double()
        buffers = object.__getattribute__(module, "__dict__").get("_buffers")
        for name, b in _table(module, "_buffers"):
            if b is not None and b.is_floating_point():
                buffers[name] = b.double()


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


# ---- vgg
# Helpers for part vgg's suite. Layouts are read from nn.Module's tables and the layers' instance dicts; a
# layer counts as torch's only when its class is exactly the one torch.nn exports under that name.
_LAYER_SETTINGS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                   "padding_mode", "num_features", "eps", "momentum", "affine", "track_running_stats",
                   "in_features", "out_features", "p", "ceil_mode", "return_indices", "count_include_pad",
                   "divisor_override", "output_size")
_PAIRS = ("kernel_size", "stride", "padding", "dilation")


def _kind(module):
    """The class name, marked when the class is not torch.nn's own (a subclass or a class of the student's)."""
    cls = type(module)
    return cls.__name__ if getattr(nn, cls.__name__, None) is cls else f"{cls.__name__} (not torch.nn's)"


def _setting(name, value):
    if name in _PAIRS and type(value) is int:
        return (value, value)
    if type(value) in (tuple, list):
        return tuple(v if type(v) in (int, float, bool) else repr(v) for v in value)
    return value if value is None or type(value) in (int, float, bool, str) else repr(value)


def layout(model):
    """[[path, class name, settings, own parameter count]] for the model ("" as its path) and every module
    below it, in nn.Module's order. Settings: the hyper-parameters the layer keeps (sizes as pairs) and, for
    layers that can have one, whether it has a bias. ReLU's and dropout's `inplace` are left out."""
    rows = []
    for prefix, module in _walk(model):
        attrs = object.__getattribute__(module, "__dict__")
        settings = {k: _setting(k, attrs[k]) for k in _LAYER_SETTINGS if k in attrs}
        params = dict(_table(module, "_parameters"))
        if "bias" in params:
            settings["bias"] = params["bias"] is not None
        own = sum(p.numel() for p in params.values() if p is not None)
        rows.append([prefix[:-1], _kind(module), settings, int(own)])
    return rows


def build_layout(factory, kwargs=None, device=None):
    """Build `factory(**kwargs)` (a function of the student's package), optionally on `device` ("meta": no
    memory is allocated), and return {"layout": layout(model), "total": parameter_count(model)}. The model
    is not kept, so that large models can be built one after another."""
    import gc

    if device is None:
        model = _function(factory)(**(kwargs or {}))
    else:
        with torch.device(device):
            model = _function(factory)(**(kwargs or {}))
    try:
        return {"layout": layout(model), "total": parameter_count(model)}
    finally:
        del model
        if device is None:
            gc.collect()


def child_shapes(model, x, parents=("features", "classifier")):
    """[[path, output shape]] for each child of the children `parents`, in the order they run on x (eval
    mode, no autograd), then ["output", shape]; {"missing": [names]} when a parent is not a child module."""
    found = dict(_walk(model))
    missing = [name for name in parents if f"{name}." not in found]
    if missing:
        return {"missing": missing}
    seen, hooks = [], []
    for parent in parents:
        for name, module in _table(found[f"{parent}."], "_modules"):
            if issubclass(type(module), nn.Module):
                hooks.append(nn.Module.register_forward_hook(
                    module, lambda m, i, out, path=f"{parent}.{name}": seen.append([path, list(out.shape)])))
    try:
        out = forward(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    return seen + [["output", list(out.shape)]]


def forward_keeps_input(model, x):
    """The logits on x (eval mode, no autograd) and x as the model left it: the model gets a tensor that
    shares memory with the array, so a change made in place shows."""
    xt = torch.from_numpy(x)
    _set_mode(model, False)
    with torch.no_grad():
        out = model(xt)
    return {"logits": out.numpy(), "input": xt.numpy()}


def forward_train(model, x, seed=0):
    """The logits on x in training mode (dropout drawn after torch.manual_seed(seed), batch statistics), without
    autograd, and the state afterwards (batch norm updates its running statistics)."""
    _set_mode(model, True)
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model(_tensor(x))
    return {"logits": out.numpy(), "state": state(model)}


def train_steps(model, arrays, stream, seeds, lr=0.05, momentum=0.9):
    """SGD (lr, momentum) on the cross-entropy, one step per (x, y) batch of `stream`, the model in training
    mode and in float64, holding `arrays` at the start; torch.manual_seed(seeds[i]) before batch i's forward
    (dropout masks). The update is torch.optim.SGD's (velocity v = momentum * v + grad, p -= lr * v), written
    out because building a torch optimizer costs seconds the first time. Returns the losses and the state
    after the last step."""
    as_float64(model)
    load_state(model, arrays)
    params = [p for _, p in _parameters(model)]
    velocity = [None] * len(params)
    losses = []
    for (x, y), seed in zip(batches(stream), seeds):
        _set_mode(model, True)
        torch.manual_seed(seed)
        for p in params:
            p.grad = None
        with torch.enable_grad():
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
        with torch.no_grad():
            for i, p in enumerate(params):
                if p.grad is not None:
                    velocity[i] = p.grad.clone() if velocity[i] is None else velocity[i].mul_(momentum).add_(p.grad)
                    p.sub_(lr * velocity[i])
        losses.append(float(loss.detach()))
    return {"losses": losses, "state": state(model)}


def call_with_array(model, x):
    """The model called on a numpy array instead of a tensor (the reference refuses it with a TypeError)."""
    _set_mode(model, False)
    with torch.no_grad():
        return model(np.asarray(x))


# ---- resnet
# Helpers for part resnet's suite. Models are built from the student's classes by name. A normalisation layer runs under torch's profiler and its output's autograd graph is
# read, so that the suite sees whether torch's own batch-norm kernels did the work; both are observations
# made in this process (the profiler sees this thread only).
_NORM_LAYERS = {"batch": nn.BatchNorm2d, "instance": nn.InstanceNorm2d}


def construct(target, *args, block=None, norm=None, float64=False, **kwargs):
    """`target(*args, **kwargs)` for a class or function of the student's package ("resnet.ResNet"), with
    the class named by `block` as first argument and `norm` ("batch", "instance") as norm_layer (torch's
    classes); float64: parameters and buffers turned to float64."""
    if block is not None:
        args = (_function(block), *args)
    if norm is not None:
        kwargs["norm_layer"] = _NORM_LAYERS[norm]
    model = _function(target)(*args, **kwargs)
    if float64:
        as_float64(model)
    return model


def state_layout(model):
    """{state key: [shape, dtype name]} of the parameters and persistent buffers."""
    return {k: [list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in _entries(model).items()}


def module_kinds(model):
    """[[path, class name]] for every module below `model`, in nn.Module's order."""
    return [[prefix[:-1], type(module).__name__] for prefix, module in _walk(model)][1:]


_RANDOM_FILLS = ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
                 "xavier_normal_", "orthogonal_", "sparse_")


def built_layout(target, *args, **kwargs):
    """`construct(target, *args, **kwargs)`'s state layout, module kinds, parameter count and direct children
    ({"layout", "kinds", "total", "children"}); the model is not kept, so large ones can follow each other.
    torch.nn.init's random fills are skipped while it is built (put back afterwards): layouts need no
    values, and drawing resnet152's 60 million takes seconds. (Meta-device models would save the memory,
    but their first random initialisation imports for seconds.)"""
    import gc

    kept = {name: getattr(nn.init, name) for name in _RANDOM_FILLS if hasattr(nn.init, name)}
    try:
        for name in kept:
            setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)
        model = construct(target, *args, **kwargs)
    finally:
        for name, fill in kept.items():
            setattr(nn.init, name, fill)
    try:
        return {"layout": state_layout(model), "kinds": module_kinds(model), "total": parameter_count(model),
                "children": children(model)}
    finally:
        del model
        gc.collect()


def _graph_nodes(tensor, most=20000):
    """The class names of the autograd nodes that `tensor` was computed through."""
    names, seen, todo = set(), set(), [getattr(tensor, "grad_fn", None)]
    while todo and len(seen) < most:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        todo.extend(fn for fn, _ in getattr(node, "next_functions", ()))
    return names


def norm_steps(model, stream, training=True, backward=False):
    """Run `model` on each item of `stream` in turn, in training (or eval) mode with autograd on: an item is
    x, or (x, dout) with backward=True, where dout is backpropagated from cleared gradients. Returns the
    outputs, and with backward dx and {parameter name: gradient} per item; the state after the last item;
    the names of the operations that ran (torch's profiler) and of the output's autograd nodes, and whether
    an output had none although x requires grad ("detached")."""
    _set_mode(model, training)
    params = _parameters(model)
    out = {"outputs": [], "dx": [], "grads": [], "detached": False}
    ops, graph = set(), set()
    for item in stream:
        x = _tensor(item[0] if backward else item)
        for _, p in params:
            p.grad = None
        with torch.autograd.profiler.profile(use_kineto=False) as prof, torch.enable_grad():
            x.requires_grad_(True)
            y = model(x)
            graph |= _graph_nodes(y)
            out["detached"] |= getattr(y, "grad_fn", None) is None
            if backward:
                y.backward(_tensor(item[1]))
        ops |= {event.name for event in prof.function_events}
        out["outputs"].append(y.detach().numpy().copy())
        if backward:
            out["dx"].append(None if x.grad is None else x.grad.numpy().copy())
            out["grads"].append({name: None if p.grad is None else p.grad.detach().numpy().copy()
                                 for name, p in params})
    out.update(state=state(model), ops=sorted(ops), graph=sorted(graph))
    return out


def forward_both(model, x):
    """The outputs on x in eval mode, then in training mode (batch statistics; running ones updated), both
    without autograd, and the state afterwards."""
    first = forward(model, x)
    _set_mode(model, True)
    with torch.no_grad():
        second = model(_tensor(x)).numpy()
    return {"eval": first, "train": second, "state": state(model)}


def sgd_steps(model, stream, lr=0.1):
    """Plain SGD, p <- p - lr * grad, on the cross-entropy, one step per (x, y) batch of `stream`, in
    training mode from cleared gradients; returns the losses and the state after the last step. (The update
    is written out: torch.optim's first step in a process costs seconds of imports.)"""
    params = [p for _, p in _parameters(model)]
    losses = []
    for x, y in batches(stream):
        _set_mode(model, True)
        for p in params:
            p.grad = None
        with torch.enable_grad():
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
        with torch.no_grad():
            for p in params:
                if p.grad is not None:
                    p.sub_(lr * p.grad)
        losses.append(float(loss.detach()))
    return {"losses": losses, "state": state(model)}


# ---- inception
# Helpers for part inception's suite. A model's output is sent back whatever its structure (a tensor, or a
# tuple in training mode), so that the suite can say which one it got; dropout draws the same masks on both
# sides because torch's generator is seeded right before each forward pass.
_INCEPTION_LOSSES = {"cross_entropy": nn.CrossEntropyLoss(), "smoothed": nn.CrossEntropyLoss(label_smoothing=0.2),
                     "summed": nn.CrossEntropyLoss(reduction="sum"), "margin": nn.MultiMarginLoss()}


def _plain_output(out):
    """["tensor", [array]], ["tuple", [arrays]] for a tuple or list of tensors, or [type name, []]."""
    if isinstance(out, torch.Tensor):
        return ["tensor", [out.detach().numpy().copy()]]
    if isinstance(out, (tuple, list)) and all(isinstance(o, torch.Tensor) for o in out):
        return ["tuple", [o.detach().numpy().copy() for o in out]]
    return [type(out).__name__, []]


def key_shapes(model):
    """{state key: shape} of the parameters and persistent buffers (no values: models can be large)."""
    return {k: list(v.shape) for k, v in _entries(model).items()}


def mode_outputs(model, x, training=False, seed=0, child=None):
    """`_plain_output` of `model` (or of its direct child `child`) on x, without autograd, in training or
    eval mode (every module's flag set), torch's generator seeded with `seed` just before."""
    _set_mode(model, training)
    torch.manual_seed(seed)
    with torch.no_grad():
        return _plain_output(_child(model, child)(_tensor(x)))


def child_outputs(model, x, training=False, seed=0, values=True):
    """[[child name, output shape, output (None unless `values`)]] for each direct child in the order they run
    on x (as mode_outputs runs the model), then ["output", kind, [output shapes]] for the model's own output
    (kind as `_plain_output` gives it)."""
    seen, hooks = [], []
    for name, module in _table(model, "_modules"):
        if issubclass(type(module), nn.Module):
            hooks.append(nn.Module.register_forward_hook(module, lambda m, i, out, name=name: seen.append(
                [name, list(out.shape), out.detach().numpy().copy() if values else None]
                if isinstance(out, torch.Tensor) else [name, [], None])))
    try:
        kind, outs = mode_outputs(model, x, training, seed)
    finally:
        for hook in hooks:
            hook.remove()
    return seen + [["output", kind, [list(o.shape) for o in outs]]]


def output_vjp(model, x, dout, training=False, seed=0):
    """Backpropagate dout through model(x) (a tensor output) from cleared gradients: {"output", "dx",
    "grads": {parameter name: gradient or None}}."""
    params = _parameters(model)
    for _, p in params:
        p.grad = None
    _set_mode(model, training)
    torch.manual_seed(seed)
    xt = _tensor(x).requires_grad_(True)
    with torch.enable_grad():
        out = model(xt)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"the model returned a {type(out).__name__}, expected a tensor")
        out.backward(_tensor(dout))
    return {"output": out.detach().numpy().copy(), "dx": None if xt.grad is None else xt.grad.numpy().copy(),
            "grads": {name: None if p.grad is None else p.grad.detach().numpy().copy() for name, p in params}}


def aux_train_step(model, x, y, loss, weight=None, seed=0, grads_float32=True):
    """One training step's loss and gradients: in training mode, torch's generator seeded with `seed`,
    loss(model(x), y, nn.CrossEntropyLoss()[, weight=weight]) backpropagated from cleared gradients; `loss`
    is a function of the student's package ("inception.aux_loss") or a callable. The gradients come back as
    float32 arrays unless grads_float32 is False: {"loss", "grads": {parameter name: gradient or None}}."""
    params = _parameters(model)
    for _, p in params:
        p.grad = None
    _set_mode(model, True)
    torch.manual_seed(seed)
    with torch.enable_grad():
        value = _function(loss)(model(_tensor(x)), _tensor(y), nn.CrossEntropyLoss(),
                                **({} if weight is None else {"weight": weight}))
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"aux_loss returned a {type(value).__name__}, expected a tensor")
        value.backward()

    def plain(g):
        return None if g is None else (g.float() if grads_float32 else g).detach().numpy().copy()
    return {"loss": value.detach().numpy().copy(), "grads": {name: plain(p.grad) for name, p in params}}


def aux_loss_call(fn, outputs, targets, loss="cross_entropy", weight=None):
    """fn(outputs, targets, <torch loss `loss`>[, weight=weight]) for outputs given as one array (a tensor of
    logits) or a tuple of arrays (logits, aux1, aux2); {"loss": the returned value, "grads": the gradient of
    the returned value with respect to each output (None when it does not depend on it)}."""
    tensors = ([_tensor(o).requires_grad_(True) for o in outputs] if isinstance(outputs, (tuple, list))
               else [_tensor(outputs).requires_grad_(True)])
    given = tuple(tensors) if isinstance(outputs, (tuple, list)) else tensors[0]
    with torch.enable_grad():
        value = _function(fn)(given, _tensor(targets), _INCEPTION_LOSSES[loss],
                              **({} if weight is None else {"weight": weight}))
        if not isinstance(value, torch.Tensor):
            return {"loss": value, "grads": []}
        grads = torch.autograd.grad(value, tensors, allow_unused=True) if value.requires_grad else [None] * len(tensors)
    return {"loss": value.detach().numpy().copy(), "grads": [None if g is None else g.numpy().copy() for g in grads]}
