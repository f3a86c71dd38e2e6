# Your module for notebook 04_lenet: replace each `raise NotImplementedError` with your code.
# (Generated from the course source by `python -m grader release`; your edits here are what is graded.)
"""Notebook 04: LeNet-5 in PyTorch, and the loop that trains it.

LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) on a 32x32 grey image, layer by layer:

    input   N x  1 x 32 x 32
    c1      N x  6 x 28 x 28   5x5 convolution, 6 filters          (5*5*1 + 1) * 6    =    156 parameters
    s2      N x  6 x 14 x 14   2x2 average pooling, stride 2                                   0
    c3      N x 16 x 10 x 10   5x5 convolution, 16 filters         (5*5*6 + 1) * 16   =  2,416
    s4      N x 16 x  5 x  5   2x2 average pooling, stride 2                                   0
    c5      N x 120 x 1 x  1   5x5 convolution, 120 filters        (5*5*16 + 1) * 120 = 48,120
    f6      N x 84             fully connected                     (120 + 1) * 84     = 10,164
    out     N x 10             fully connected                     (84 + 1) * 10      =    850
                                                                              total     61,706

The activation (tanh by default) follows c1, c3, c5 and f6; `out` gives raw scores (logits), which
`nn.CrossEntropyLoss` turns into a loss. With `c3_table=True`, each C3 filter sees only the S2 maps that
the paper's Table I connects it to (60 of the 96 pairs): 60 * 25 + 16 = 1,516 parameters instead of 2,416.

Conventions: layers are attributes named c1 s2 c3 s4 c5 f6 out, in that order; c1, c3 (full) and c5 are
`nn.Conv2d`, s2 and s4 `nn.AvgPool2d(2)`, f6 and out `nn.Linear`, so that state dicts carry the keys
`c1.weight`, `c1.bias`, ..., `out.bias`.
"""
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F

NOTEBOOK = "04_lenet"

# LeCun et al. (1998), Table I: the S2 maps (0-5) that each C3 map (0-15) reads. Six maps see 3 neighbouring
# S2 maps, six see 4 neighbouring ones, three see 4 non-neighbouring ones and the last sees all six.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)
ACTIVATIONS = {"tanh": torch.tanh, "relu": F.relu}


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input)
# ---------------------------------------------------------------------------

def _check_lenet_args(num_classes, in_channels, activation):
    for name, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")


def _check_input(x, in_channels):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"LeNet5 takes a torch.Tensor, got {type(x).__name__}; use torch.as_tensor(x)")
    if x.dim() != 4 or x.shape[1] != in_channels or tuple(x.shape[2:]) != (32, 32):
        raise ValueError(f"LeNet5 takes images of shape (N, {in_channels}, 32, 32), got {tuple(x.shape)}; "
                         "pad 28x28 MNIST digits by 2 pixels on every side")


def _require_batches(count, what):
    if count == 0:
        raise ValueError(f"{what}: the loader gave no examples; check the dataset and the batch size")


# ---------------------------------------------------------------------------
# Section 2: the sparse C3 layer
# ---------------------------------------------------------------------------

class TableConv2d(nn.Module):
    """A convolution in which output map o reads only the input maps listed in `table[o]`.

    Parameters: one kernel_size x kernel_size kernel per (output, input) pair in the table, plus one bias
    per output map: sum(len(t) for t in table) * kernel_size**2 + len(table) in all (1,516 for LeNet's C3).
    x (N, in_channels, H, W) -> (N, len(table), H - kernel_size + 1, W - kernel_size + 1).

    Notebook section: 2
    """

    def __init__(self, in_channels, table, kernel_size=5):
        super().__init__()
        if any(not t or min(t) < 0 or max(t) >= in_channels for t in table):
            raise ValueError(f"every entry of the table must list input maps in 0..{in_channels - 1}")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, len(table), kernel_size
        raise NotImplementedError('TableConv2d.__init__ is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 2, explains it)')

    def forward(self, x):
        """Notebook section: 2"""
        raise NotImplementedError('TableConv2d.forward is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 2, explains it)')


# ---------------------------------------------------------------------------
# Section 1: the network
# ---------------------------------------------------------------------------

class LeNet5(nn.Module):
    """LeNet-5 for 32x32 images: x (N, in_channels, 32, 32) -> logits (N, num_classes).

    activation: "tanh" (as in the paper) or "relu", applied after c1, c3, c5 and f6.
    c3_table: False for a full C3 (2,416 parameters); True for the paper's sparse table (1,516).

    Notebook section: 1 (c3_table: section 2)
    """

    def __init__(self, num_classes=10, in_channels=1, activation="tanh", c3_table=False):
        super().__init__()
        _check_lenet_args(num_classes, in_channels, activation)
        self.in_channels, self.activation = in_channels, activation
        raise NotImplementedError('LeNet5.__init__ is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 1 (c3_table: section 2), explains it)')

    def forward(self, x):
        """Notebook section: 1"""
        _check_input(x, self.in_channels)
        act = ACTIVATIONS[self.activation]
        raise NotImplementedError('LeNet5.forward is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 1, explains it)')


# ---------------------------------------------------------------------------
# Section 4: training and evaluation
# ---------------------------------------------------------------------------

def train_one_epoch(model, loader, optimizer, loss_fn, device):
    """One pass over `loader`, updating the model after every batch; returns the epoch's mean loss.

    Puts the model in training mode first. For each batch (x, y): move both to `device`, clear the old
    gradients, compute loss_fn(model(x), y), backpropagate, take an optimizer step. The returned mean is
    per example: each batch's (mean) loss weighted by its number of examples, as a Python float.

    Notebook section: 4
    """
    raise NotImplementedError('train_one_epoch is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 4, explains it)')
    _require_batches(count, "train_one_epoch")
    return total / count


def evaluate(model, loader, device):
    """Accuracy of `model` on `loader`: the fraction of examples whose largest logit is the true class.

    Puts the model in evaluation mode and turns autograd off (no graph is built, no weight changes).
    Returns a Python float in [0, 1].

    Notebook section: 4
    """
    raise NotImplementedError('evaluate is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 4, explains it)')
    _require_batches(count, "evaluate")
    return correct / count


# ---------------------------------------------------------------------------
# Section 5: checkpoints
# ---------------------------------------------------------------------------

def save_checkpoint(path, model, optimizer=None, epoch=0):
    """Save the model's state dict (and the optimizer's, when given) and the epoch number to `path`.

    Creates the folder if needed. Only tensors, numbers and strings go in (state dicts), so that
    `load_checkpoint` can read the file back with `weights_only=True`.

    Notebook section: 5
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    raise NotImplementedError('save_checkpoint is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 5, explains it)')


def load_checkpoint(path, model, optimizer=None):
    """Load a checkpoint written by `save_checkpoint` into `model` (and `optimizer`); return its epoch.

    Reads the file with `torch.load(..., weights_only=True)`, which refuses arbitrary Python objects:
    a checkpoint from the internet cannot run code on your machine.

    Notebook section: 5
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; save one with save_checkpoint first")
    raise NotImplementedError('load_checkpoint is not written yet: write it in assignment/lenet.py (notebooks/04_lenet.ipynb, section 5, explains it)')
