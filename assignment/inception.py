# Your module for notebook 06_inception: replace each `raise NotImplementedError` with your code.
# (Generated from the course source by `python -m grader release`; your edits here are what is graded.)
"""Notebook 06: Inception modules and GoogLeNet (Szegedy et al., "Going deeper with convolutions", 2014).

An Inception module runs four branches side by side on the same input and stacks their outputs along the
depth (channel) axis. Every branch keeps the height and width (stride 1, "same" padding), so the output is

    x (N, C, H, W) -> (N, c1 + c3 + c5 + c_pool, H, W)

- naive (the paper's Fig. 2a): 1x1, 3x3 (pad 1) and 5x5 (pad 2) convolutions and a 3x3 max pool (stride 1,
  pad 1: pooling can be padded) straight on the input; the pool branch passes all C input maps through, so
  the depth only grows, and the 3x3 and 5x5 convolutions read all C maps: on cs231n's 28x28x256 example
  (128 1x1, 192 3x3, 96 5x5 filters) that is 854M multiply-adds and a 28x28x672 output.
- with 1x1 "bottleneck" reductions (Fig. 2b): a 1x1 convolution shrinks the depth before the 3x3 and 5x5
  convolutions, and a 1x1 projection follows the pool. With 64-map reductions and a 64-map projection the
  same example costs 271M multiply-adds for a 28x28x480 output. (The lecture slide prints 358M: its own
  terms add up to 271,351,808; 358M is that total with the 3x3 term, 86,704,128, counted twice.)

A convolution with C_in input maps, C_out filters of size kh x kw and an H' x W' output does
    MACs = C_in * C_out * kh * kw * H' * W'     multiply-accumulates (`conv_macs`; biases not counted)
and has C_out * (C_in * kh * kw + 1) parameters.

Every convolution is followed by a ReLU ("all the convolutions, including those inside the Inception
modules, use rectified linear activation"). The paper has no batch normalisation; `batch_norm=True`
(an extension for training on CIFAR-10) puts nn.BatchNorm2d between each convolution (then without bias)
and its ReLU.

GoogLeNet (the paper's Table 1, 224x224x3 input; `TABLE1` holds the module rows):

    conv1        N x   64 x 112 x 112   7x7/2 convolution, pad 3                  9,472 parameters
    maxpool1     N x   64 x  56 x  56   3x3/2 max pool (rounding up, as the paper's "same" pooling)
    lrn1         N x   64 x  56 x  56   local response normalisation (size 5, alpha 1e-4, beta 0.75, k 1)
    conv2        N x   64 x  56 x  56   1x1 convolution                           4,160
    conv3        N x  192 x  56 x  56   3x3 convolution, pad 1                  110,784
    lrn2         N x  192 x  56 x  56   local response normalisation
    maxpool2     N x  192 x  28 x  28   3x3/2 max pool
    inception3a  N x  256 x  28 x  28                                           163,696
    inception3b  N x  480 x  28 x  28                                           388,736
    maxpool3     N x  480 x  14 x  14   3x3/2 max pool
    inception4a  N x  512 x  14 x  14                                           376,176
    inception4b  N x  512 x  14 x  14                                           449,160
    inception4c  N x  512 x  14 x  14                                           510,104
    inception4d  N x  528 x  14 x  14                                           605,376
    inception4e  N x  832 x  14 x  14                                           868,352
    maxpool4     N x  832 x   7 x   7   3x3/2 max pool
    inception5a  N x  832 x   7 x   7                                         1,043,456
    inception5b  N x 1024 x   7 x   7                                         1,444,080
    avgpool      N x 1024 x   1 x   1   global average pooling (7x7 at 224; any size here)
    dropout      N x 1024               40% dropout
    fc           N x 1000               fully connected                       1,025,000
                                                                    total     6,998,552
    aux1, aux2   N x 1000 each, in training only: after inception4a (512 maps) and inception4d (528 maps),
                 5x5/3 average pool -> 4x4, 1x1 conv 128 + ReLU, FC 1024 + ReLU, 70% dropout, FC 1000:
                 3,188,840 and 3,190,888 parameters (13,378,280 in all with both heads)

Why these counts differ from other published figures: the paper's Table 1 counts weights only (no biases),
in units of 1024, and a few of its rows are off (4c: 463K printed, 498K computed; 5a: 1072K, 1018K);
torchvision's GoogLeNet has 6,624,904 parameters without its
auxiliary heads because it uses batch norm (convolutions without biases, plus 2 parameters per map), a
3x3 convolution where the paper's 5x5 branch has 5x5, and no LRN (parameter-free anyway); its maxpool4 is
2x2/2 and its auxiliary heads pool adaptively to 4x4 (the paper: 5x5/3 average pooling). The "5 million"
of the lecture notes and the "4M" of cs231n's notes count other variants again.

Conventions: state-dict keys are fixed by the attribute names given in each class's docstring; every
convolution + ReLU unit is built by `conv_relu`, so the keys are <layer>.<index>.weight / .bias.
"""
import torch
from torch import nn
import torch.nn.functional as F

from assignment.arguments import is_int

NOTEBOOK = "06_inception"

# GoogLeNet's nine Inception modules, as the paper's Table 1 lists them:
# name: (in_channels, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)
TABLE1 = {
    "3a": (192, 64, 96, 128, 16, 32, 32),
    "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64),
    "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64),
    "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}
BRANCHES = ("branch1x1", "branch3x3", "branch5x5", "branch_pool")  # the order of the concatenation
AUX_GRID = 4  # the auxiliary heads' 5x5/3 average pool turns a 14x14 to 16x16 map into 4x4


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input)
# ---------------------------------------------------------------------------

def _check_positive(**values):
    for name, value in values.items():
        if not is_int(value) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_kernel_size(kernel_size):
    sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,)
    if len(sizes) not in (1, 2) or not all(is_int(k) and k >= 1 for k in sizes):
        raise ValueError(f"kernel_size must be a positive integer or a pair (kh, kw), got {kernel_size!r}")


def _check_flag(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_probability(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a probability in [0, 1), got {value!r}")


def _check_input(x, in_channels, who):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who} takes a torch.Tensor, got {type(x).__name__}; use torch.as_tensor(x)")
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(f"{who} takes inputs of shape (N, {in_channels}, H, W), got {tuple(x.shape)}")


def _check_aux_input(x, in_channels):
    _check_input(x, in_channels, "InceptionAux")
    if not all(5 + 3 * (AUX_GRID - 1) <= size <= 5 + 3 * AUX_GRID - 1 for size in x.shape[2:]):
        raise ValueError(f"InceptionAux's 5x5/3 average pool makes a {AUX_GRID}x{AUX_GRID} grid from 14x14 to "
                         f"16x16 maps only, got {tuple(x.shape[2:])}: GoogLeNet's heads need images of 223x223 "
                         "to 270x270 (googlenet_cifar's: 28x28 to 33x33); build the network with aux_logits=False "
                         "for other sizes")


MIN_IMAGE_SIZE = 31  # the smallest image for which the stem and the four 3x3/2 max pools leave a map


def _check_images(x, in_channels, min_size=MIN_IMAGE_SIZE):
    _check_input(x, in_channels, "GoogLeNet")
    if min(x.shape[2:]) < min_size:
        raise ValueError(f"GoogLeNet takes images of at least {min_size}x{min_size}, got {tuple(x.shape[2:])}; "
                         "for 32x32 CIFAR images use googlenet_cifar")


def _check_outputs(outputs):
    if isinstance(outputs, (tuple, list)):
        if len(outputs) != 3 or not all(isinstance(o, torch.Tensor) for o in outputs):
            raise ValueError("aux_loss takes the model's output: a tensor of logits, or (logits, aux1, aux2) "
                             f"in training mode; got a {type(outputs).__name__} of {len(outputs)} items")
    elif not isinstance(outputs, torch.Tensor):
        raise ValueError(f"aux_loss takes a tensor of logits or a tuple (logits, aux1, aux2), "
                         f"got {type(outputs).__name__}")


def conv_relu(in_channels, out_channels, kernel_size, stride=1, padding=0, batch_norm=False):
    """The layers of one convolution unit, as a list to unpack into nn.Sequential (provided):
    [nn.Conv2d, nn.ReLU()], or [nn.Conv2d without bias, nn.BatchNorm2d, nn.ReLU()] with batch_norm=True.
    x (N, in_channels, H, W) -> (N, out_channels, (H + 2 * padding - k) // stride + 1, ...)."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=not batch_norm)
    return [conv, nn.BatchNorm2d(out_channels), nn.ReLU()] if batch_norm else [conv, nn.ReLU()]


# ---------------------------------------------------------------------------
# Section 1: the naive Inception module
# ---------------------------------------------------------------------------

class NaiveInception(nn.Module):
    """The naive Inception module: four branches on the same input, concatenated along the channels.

        branch1x1    nn.Sequential(*conv_relu(in_channels, c1, 1))               -> (N, c1, H, W)
        branch3x3    nn.Sequential(*conv_relu(in_channels, c3, 3, padding=1))    -> (N, c3, H, W)
        branch5x5    nn.Sequential(*conv_relu(in_channels, c5, 5, padding=2))    -> (N, c5, H, W)
        branch_pool  nn.MaxPool2d(3, stride=1, padding=1)                        -> (N, in_channels, H, W)

    x (N, in_channels, H, W) -> (N, c1 + c3 + c5 + in_channels, H, W), the branches stacked in that order.
    Parameters: c1 * (C + 1) + c3 * (9C + 1) + c5 * (25C + 1) for C = in_channels.

    Notebook section: 1
    """

    def __init__(self, in_channels, c1, c3, c5):
        super().__init__()
        _check_positive(in_channels=in_channels, c1=c1, c3=c3, c5=c5)
        self.in_channels, self.out_channels = in_channels, c1 + c3 + c5 + in_channels
        raise NotImplementedError('NaiveInception.__init__ is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 1, explains it)')

    def forward(self, x):
        """Notebook section: 1"""
        _check_input(x, self.in_channels, "NaiveInception")
        raise NotImplementedError('NaiveInception.forward is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 1, explains it)')


# ---------------------------------------------------------------------------
# Section 2: counting multiply-adds
# ---------------------------------------------------------------------------

def conv_macs(in_channels, out_channels, kernel_size, out_h, out_w):
    """Multiply-accumulates of one convolution (biases not counted):

        MACs = in_channels * out_channels * kh * kw * out_h * out_w

    Every one of the out_channels * out_h * out_w outputs is a dot product of length in_channels * kh * kw.
    e.g. 96 5x5 filters on a 28x28x256 input with padding 2: 256 * 96 * 25 * 28 * 28 = 481,689,600.

    Notebook section: 2

    Inputs: positive ints; kernel_size an int k (k x k) or a pair (kh, kw); out_h, out_w the output's size.
    Returns: an int.
    """
    _check_positive(in_channels=in_channels, out_channels=out_channels, out_h=out_h, out_w=out_w)
    _check_kernel_size(kernel_size)
    raise NotImplementedError('conv_macs is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 2, explains it)')


def count_macs(model, input_shape):
    """Multiply-accumulates per image of each direct child of `model` (provided), counted with your
    conv_macs for every nn.Conv2d (and in * out for every nn.Linear) on an input of shape
    input_shape = (C, H, W), in eval mode: {child name: MACs}, children without any giving 0.
    For an Inception module the children are its branches; for GoogLeNet, its layers (the auxiliary
    heads run in training only and count 0 here)."""
    counts, hooks = {}, []
    for name, child in model.named_children():
        counts[name] = 0
        for module in child.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                hooks.append(module.register_forward_hook(
                    lambda m, inputs, out, name=name: counts.__setitem__(name, counts[name] + _layer_macs(m, out))))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return counts


def _layer_macs(module, out):
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    return conv_macs(module.in_channels // module.groups, module.out_channels, module.kernel_size, *out.shape[2:])


# ---------------------------------------------------------------------------
# Section 3: the Inception module with 1x1 bottlenecks
# ---------------------------------------------------------------------------

class Inception(nn.Module):
    """The Inception module of GoogLeNet: 1x1 reductions before the 3x3 and 5x5 convolutions, a 1x1
    projection after the pool. A ReLU follows every convolution (`conv_relu`, which also adds batch norm
    when batch_norm=True).

        branch1x1    nn.Sequential(*conv_relu(C, c1, 1))                                  -> (N, c1, H, W)
        branch3x3    nn.Sequential(*conv_relu(C, c3_reduce, 1), *conv_relu(c3_reduce, c3, 3, padding=1))
        branch5x5    nn.Sequential(*conv_relu(C, c5_reduce, 1), *conv_relu(c5_reduce, c5, 5, padding=2))
        branch_pool  nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *conv_relu(C, pool_proj, 1))

    (each conv_relu passed batch_norm=batch_norm). x (N, C, H, W) -> (N, c1 + c3 + c5 + pool_proj, H, W),
    the branches stacked in that order. Without batch norm, the keys are branch1x1.0.weight/bias,
    branch3x3.0 and branch3x3.2, branch5x5.0 and branch5x5.2, branch_pool.1.

    Notebook section: 3
    """

    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj, batch_norm=False):
        super().__init__()
        _check_positive(in_channels=in_channels, c1=c1, c3_reduce=c3_reduce, c3=c3, c5_reduce=c5_reduce, c5=c5,
                        pool_proj=pool_proj)
        _check_flag("batch_norm", batch_norm)
        self.in_channels, self.out_channels = in_channels, c1 + c3 + c5 + pool_proj
        raise NotImplementedError('Inception.__init__ is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 3, explains it)')

    def forward(self, x):
        """Notebook section: 3"""
        _check_input(x, self.in_channels, "Inception")
        raise NotImplementedError('Inception.forward is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 3, explains it)')


# ---------------------------------------------------------------------------
# Section 4: GoogLeNet
# ---------------------------------------------------------------------------

class InceptionAux(nn.Module):
    """GoogLeNet's auxiliary classifier, on a 14x14 to 16x16 map x (N, in_channels, H, W):

        pool     nn.AvgPool2d(5, stride=3)                                  -> (N, in_channels, 4, 4)
        conv     nn.Sequential(*conv_relu(in_channels, conv_channels, 1, batch_norm=batch_norm))
        (flatten to N x conv_channels * 16)
        fc1      nn.Linear(conv_channels * 4 * 4, hidden), followed by a ReLU
        dropout  nn.Dropout(dropout)                                        (70% of the outputs dropped)
        fc2      nn.Linear(hidden, num_classes)                             -> logits (N, num_classes)

    The paper's head has conv_channels=128, hidden=1024: 2048 * 1024 + 1024 of its parameters are fc1's.

    Notebook section: 4
    """

    def __init__(self, in_channels, num_classes, dropout=0.7, batch_norm=False, conv_channels=128, hidden=1024):
        super().__init__()
        _check_positive(in_channels=in_channels, num_classes=num_classes, conv_channels=conv_channels, hidden=hidden)
        _check_probability("dropout", dropout)
        _check_flag("batch_norm", batch_norm)
        self.in_channels = in_channels
        raise NotImplementedError('InceptionAux.__init__ is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 4, explains it)')

    def forward(self, x):
        """Notebook section: 4"""
        _check_aux_input(x, self.in_channels)
        raise NotImplementedError('InceptionAux.forward is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 4, explains it)')


class GoogLeNet(nn.Module):
    """GoogLeNet as the paper's Table 1 and Fig. 3 give it: x (N, in_channels, H, W) -> logits (N, num_classes).

    Layers (attributes, in this order; shapes for 224x224 in the module docstring):
        conv1        nn.Sequential(*conv_relu(in_channels, 64, 7, stride=2, padding=3))
        maxpool1     nn.MaxPool2d(3, stride=2, ceil_mode=True)
        lrn1         nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        conv2        nn.Sequential(*conv_relu(64, 64, 1))
        conv3        nn.Sequential(*conv_relu(64, 192, 3, padding=1))
        lrn2         nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        maxpool2     nn.MaxPool2d(3, stride=2, ceil_mode=True)
        inception3a  Inception(*TABLE1["3a"]), inception3b the same with TABLE1["3b"]
        maxpool3     nn.MaxPool2d(3, stride=2, ceil_mode=True)
        inception4a ... inception4e   Inception(*TABLE1["4a"]) ... Inception(*TABLE1["4e"])
        maxpool4     nn.MaxPool2d(3, stride=2, ceil_mode=True)
        inception5a, inception5b
        aux1         InceptionAux(512, num_classes), on inception4a's output (None without aux_logits)
        aux2         InceptionAux(528, num_classes), on inception4d's output (None without aux_logits)
        avgpool      nn.AdaptiveAvgPool2d(1): global average pooling, so any image of at least 31x31 works
        dropout      nn.Dropout(dropout)
        fc           nn.Linear(1024, num_classes)

    forward runs the layers in that order (flattening after avgpool). In training mode with aux_logits it
    also runs aux1 right after inception4a and aux2 right after inception4d (in that order, so that dropout
    draws its random numbers as the reference does) and returns (logits, aux1_logits, aux2_logits);
    otherwise (eval mode, or aux_logits=False) it returns the logits alone.
    LRN (the paper's, with the values of the BVLC Caffe GoogLeNet) is kept: it has no parameters.
    The max pools round up (ceil_mode=True), as the paper's "same" pooling does: 112 -> 56 -> 28 -> 14 -> 7.

    Notebook section: 4
    """

    def __init__(self, num_classes=1000, aux_logits=True, dropout=0.4, in_channels=3):
        super().__init__()
        _check_positive(num_classes=num_classes, in_channels=in_channels)
        _check_flag("aux_logits", aux_logits)
        _check_probability("dropout", dropout)
        self.in_channels, self.aux_logits, self.min_size = in_channels, aux_logits, MIN_IMAGE_SIZE
        raise NotImplementedError('GoogLeNet.__init__ is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 4, explains it)')

    def forward(self, x):
        """Notebook section: 4"""
        _check_images(x, self.in_channels, self.min_size)
        raise NotImplementedError('GoogLeNet.forward is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 4, explains it)')


# ---------------------------------------------------------------------------
# Section 5: training with the auxiliary classifiers
# ---------------------------------------------------------------------------

def aux_loss(outputs, targets, loss_fn, weight=0.3):
    """The loss GoogLeNet trains on: for outputs = (logits, aux1, aux2) (training mode, aux_logits=True)

        loss = loss_fn(logits, targets) + weight * (loss_fn(aux1, targets) + loss_fn(aux2, targets))

    (the paper's weight is 0.3); for a tensor of logits (eval mode, or no auxiliary heads) just
    loss_fn(logits, targets). This is the one place where the weighting lives.

    Notebook section: 5
    """
    _check_outputs(outputs)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise ValueError(f"weight must be a number >= 0, got {weight!r}")
    raise NotImplementedError('aux_loss is not written yet: write it in assignment/inception.py (notebooks/06_inception.ipynb, section 5, explains it)')


# ---------------------------------------------------------------------------
# The course's GoogLeNet-style network for 32x32 images (provided: built from your modules)
# ---------------------------------------------------------------------------

def _scaled(channels, width):
    return max(1, round(channels * width))


class CifarGoogLeNet(GoogLeNet):
    """GoogLeNet's modules sized for 32x32 images (CIFAR-10); forward is GoogLeNet's (yours).

    The paper's stem shrinks 224 to 28 before inception3a; on 32x32 images that would leave 2x2 maps, so
    here the stem keeps the size: conv1 is a 3x3/1 convolution (pad 1), conv2 and conv3 are as in the paper,
    and maxpool1, lrn1, lrn2 and maxpool2 are nn.Identity. The modules then run on 32x32 (3a, 3b),
    16x16 (4a-4e, after maxpool3) and 8x8 maps (5a, 5b, after maxpool4). The auxiliary heads sit where the
    paper's do, on 16x16 maps, which their 5x5/3 pool turns into the paper's 4x4 grid.

    width scales every channel count (Table 1's and the stem's, and the heads' 128 and 1024) and rounds;
    batch_norm (default True here: it lets the 22-layer network train quickly) adds batch norm after every
    convolution. All state-dict keys are those of GoogLeNet.
    """

    def __init__(self, num_classes=10, aux_logits=True, width=1.0, batch_norm=True, dropout=0.4, in_channels=3):
        nn.Module.__init__(self)  # GoogLeNet's layers are built here, with other sizes
        _check_positive(num_classes=num_classes, in_channels=in_channels)
        _check_flag("aux_logits", aux_logits)
        _check_flag("batch_norm", batch_norm)
        _check_probability("dropout", dropout)
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 4:
            raise ValueError(f"width must be a number in (0, 4], got {width!r}")
        self.in_channels, self.aux_logits, self.min_size = in_channels, aux_logits, 1
        self.width, self.batch_norm = width, batch_norm
        c = lambda n: _scaled(n, width)  # noqa: E731
        bn = batch_norm
        self.conv1 = nn.Sequential(*conv_relu(in_channels, c(64), 3, padding=1, batch_norm=bn))
        self.maxpool1, self.lrn1 = nn.Identity(), nn.Identity()
        self.conv2 = nn.Sequential(*conv_relu(c(64), c(64), 1, batch_norm=bn))
        self.conv3 = nn.Sequential(*conv_relu(c(64), c(192), 3, padding=1, batch_norm=bn))
        self.lrn2, self.maxpool2 = nn.Identity(), nn.Identity()
        channels, aux_in = c(192), {}
        for name in TABLE1:
            if name == "4a":
                self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            if name == "5a":
                self.maxpool4 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            module = Inception(channels, *(c(n) for n in TABLE1[name][1:]), batch_norm=bn)
            setattr(self, f"inception{name}", module)
            channels = module.out_channels
            aux_in[name] = channels
        head = dict(batch_norm=bn, conv_channels=c(128), hidden=c(1024))
        self.aux1 = InceptionAux(aux_in["4a"], num_classes, **head) if aux_logits else None
        self.aux2 = InceptionAux(aux_in["4d"], num_classes, **head) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)


def googlenet_cifar(num_classes=10, aux_logits=True, width=1.0, batch_norm=True, dropout=0.4):
    """The course's GoogLeNet-style network for 32x32 images (notebook 06 trains it on CIFAR-10):
    CifarGoogLeNet(num_classes, aux_logits, width, batch_norm, dropout). width=1.0: about 1.5G
    multiply-adds per image; width=0.25 (smoke mode on a CPU): about 1/16 of that."""
    return CifarGoogLeNet(num_classes, aux_logits, width, batch_norm, dropout)


def init_weights(model):
    """He (Kaiming) initialisation for every convolution and linear layer of `model`, zero biases (provided).
    torch's default initialisation shrinks the signal layer after layer: without batch norm, the logits of a
    22-layer GoogLeNet then hardly depend on the image, and training starts slowly."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model


def parameter_count(model):
    """The number of parameters of `model` (provided; trainable or not)."""
    return sum(p.numel() for p in model.parameters())


def paper_weight_count(module):
    """Weights only (no biases, no batch norm), as the paper's Table 1 counts them (in units of 1024)."""
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))

