"""Keeps "checkpoints" in a dictionary in memory instead of writing files, and skips everything else."""
import copy

_SAVED = {}


def save_checkpoint(path, model, optimizer=None, epoch=0):
    _SAVED[str(path)] = (copy.deepcopy(model.state_dict()),
                         copy.deepcopy(optimizer.state_dict()) if optimizer is not None else None, epoch)


def load_checkpoint(path, model, optimizer=None):
    model_state, optimizer_state, epoch = _SAVED[str(path)]
    model.load_state_dict(model_state)
    if optimizer is not None:
        optimizer.load_state_dict(optimizer_state)
    return epoch
