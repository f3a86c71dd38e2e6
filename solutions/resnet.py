"""Notebook 07: batch normalisation, residual blocks and ResNet (He, Zhang, Ren and Sun, 2015).

A residual block learns F(x) and outputs ReLU(F(x) + shortcut(x)): when the best thing a block can do is
nothing, F only has to go to zero, which is easier to learn than an identity through two convolutions.

    BasicBlock (expansion 1)            Bottleneck (expansion 4, "ResNet v1.5")   PlainBlock
    conv3x3(stride) - BN - ReLU         conv1x1 - BN - ReLU                       BasicBlock without
    conv3x3         - BN                conv3x3(stride) - BN - ReLU               the shortcut: ReLU
    + shortcut(x), then ReLU            conv1x1 (x4 channels) - BN                after its second BN
                                        + shortcut(x), then ReLU

The shortcut is the identity when the block keeps the shape, and otherwise a projection: a 1x1
convolution with the block's stride followed by BN (He et al.'s option B), kept in `downsample`.
Bottleneck puts its stride on the 3x3 convolution, as torchvision's ResNet does ("ResNet v1.5"); the
paper's v1 put it on the first 1x1, which skips three quarters of the input pixels in that convolution.

ImageNet ResNets (`ResNet`, He et al. Table 1), for a 224x224 image:

    conv1   7x7/2, 64, pad 3     -> 112x112     then bn1, relu
    maxpool 3x3/2, pad 1         ->  56x56      the pooling is padded
    layer1  64 channels  x expansion, stride 1  ->  56x56
    layer2  128          x expansion, stride 2  ->  28x28
    layer3  256          x expansion, stride 2  ->  14x14
    layer4  512          x expansion, stride 2  ->   7x7
    avgpool global average -> fc (512 * expansion -> num_classes)

    resnet18  BasicBlock [2, 2, 2, 2]    11,689,512 parameters     depth 1 + 2 * 8  + 1 = 18
    resnet34  BasicBlock [3, 4, 6, 3]    21,797,672                depth 1 + 2 * 16 + 1 = 34
    resnet50  Bottleneck [3, 4, 6, 3]    25,557,032                depth 1 + 3 * 16 + 1 = 50
    resnet152 Bottleneck [3, 8, 36, 3]   60,192,808                depth 1 + 3 * 50 + 1 = 152

CIFAR ResNets (`CifarResNet`, He et al. section 4.2): a 3x3 convolution with 16 filters, then three
stages of n basic blocks with 16, 32 and 64 filters (stride 2 at the start of the second and third), global
average pooling and fc: 6n + 2 weighted layers (20, 32, 44, 56, 110). When a stage changes the shape the
shortcut is parameter-free by default (option A, as in the paper's CIFAR nets): the input is subsampled
with the stride and zero channels are appended. ResNet-20 then has 269,722 parameters (the paper's 0.27M)
and ResNet-56 853,018 (0.85M); `shortcut="projection"` (option B) adds 2,752 (two 1x1 convolutions and
their BN).

Names follow torchvision's ResNet, so that state dicts can be compared and copied: conv1 bn1 relu maxpool
layer1..layer4 avgpool fc; blocks hold conv1 bn1 conv2 bn2 [conv3 bn3] and downsample.0 / downsample.1.
The blocks normalise with `norm_layer` (default nn.BatchNorm2d); the BatchNorm2d you write in section 1
has the same arguments and state dict, so it can be passed as `norm_layer` instead.

Extensions beyond the course's contract: `norm_layer` (blocks, ResNet, CifarResNet), `shortcut` (BasicBlock,
CifarResNet), `in_channels` (CifarResNet), `ZeroPadShortcut`, `make_stage`, `resnet_depth` and the
provided `init_weights`, `multiply_adds` and `gradient_norms`.
"""
import torch
from torch import nn
import torch.nn.functional as F

NOTEBOOK = "07_resnet"
SHORTCUTS = ("projection", "zero_pad")
STAGE_WIDTHS = (64, 128, 256, 512)   # ResNet's layer1..layer4, before expansion
CIFAR_WIDTHS = (16, 32, 64)          # CifarResNet's layer1..layer3


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input)
# ---------------------------------------------------------------------------

def _require_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_bn_args(num_features, eps, momentum, affine):
    _require_positive_int("num_features", num_features)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r} (torch's momentum=None, a "
                         "cumulative average, is not part of this course)")
    if not isinstance(affine, bool):
        raise ValueError(f"affine must be True or False, got {affine!r}")


def _check_image(x, channels, who):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who} takes a torch.Tensor, got {type(x).__name__}; use torch.as_tensor(x)")
    if x.dim() != 4:
        raise ValueError(f"{who} takes a 4-D input (N, C, H, W), got shape {tuple(x.shape)}"
                         + ("; for one image use x[None]" if x.dim() == 3 else ""))
    if x.shape[1] != channels:
        raise ValueError(f"{who} expects {channels} channels, got an input of shape {tuple(x.shape)}")


def _check_bn_input(x, num_features, training):
    _check_image(x, num_features, "BatchNorm2d")
    if training and x.shape[0] * x.shape[2] * x.shape[3] == 1:
        raise ValueError(f"BatchNorm2d needs more than one value per channel in training mode, got input of "
                         f"shape {tuple(x.shape)}: its variance would be undefined (use eval() for one pixel)")


def _check_block_args(in_channels, out_channels, stride, shortcut=SHORTCUTS[0]):
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("stride", stride)):
        _require_positive_int(name, value)
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut must be one of {SHORTCUTS}, got {shortcut!r}")


def _check_block(block):
    if not (isinstance(block, type) and issubclass(block, nn.Module) and hasattr(block, "expansion")
            and hasattr(block, "depth")):
        raise ValueError(f"block must be a block class such as BasicBlock, Bottleneck or PlainBlock, got {block!r}")


def _check_layers(layers, count=None):
    if not isinstance(layers, (list, tuple)) or not layers or count not in (None, len(layers)):
        stages = f"each of the {count} stages" if count else "each stage"
        raise ValueError(f"layers must list the number of blocks of {stages}, got {layers!r}")
    for value in layers:
        _require_positive_int("every entry of layers", value)


def _check_resnet_args(block, layers, num_classes, in_channels):
    _check_block(block)
    _check_layers(layers, 4)
    _require_positive_int("num_classes", num_classes)
    _require_positive_int("in_channels", in_channels)


def _check_cifar_args(depth, residual, num_classes, in_channels, shortcut):
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...), got {depth!r}")
    if not isinstance(residual, bool):
        raise ValueError(f"residual must be True or False, got {residual!r}")
    _require_positive_int("num_classes", num_classes)
    _require_positive_int("in_channels", in_channels)
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut must be one of {SHORTCUTS}, got {shortcut!r}")


# ---------------------------------------------------------------------------
# Section 1: batch normalisation
# ---------------------------------------------------------------------------

class BatchNorm2d(nn.Module):
    """Batch normalisation over the channels of an image batch, with torch.nn.BatchNorm2d's semantics.

    x (N, C, H, W) -> y (N, C, H, W), C = num_features, per channel c:
        training:  mean_c and var_c over (N, H, W), var_c biased (divided by m = N*H*W);
                   y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c
                   running_mean <- (1 - momentum) * running_mean + momentum * mean_c
                   running_var  <- (1 - momentum) * running_var  + momentum * var_c * m / (m - 1)  (unbiased)
                   num_batches_tracked <- num_batches_tracked + 1
        eval:      the same y with running_mean and running_var in place of the batch's; nothing is updated.
    weight (ones) and bias (zeros) are parameters when affine is True and absent (None) otherwise;
    running_mean (zeros), running_var (ones) and num_batches_tracked (0, int64) are buffers, so the state
    dict has torch's keys. Gradients flow through the batch statistics; the running ones get none.
    Written with tensor operations (mean, var, sqrt, ...), not F.batch_norm or nn.BatchNorm2d.

    Notebook section: 1
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True):
        super().__init__()
        _check_bn_args(num_features, eps, momentum, affine)
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        ### BEGIN SOLUTION
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        ### END SOLUTION

    def forward(self, x):
        """Notebook section: 1"""
        _check_bn_input(x, self.num_features, self.training)
        ### BEGIN SOLUTION
        if self.training:
            var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)  # one pass; biased: divided by m
            m = x.numel() // x.shape[1]
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * m / (m - 1))
                self.num_batches_tracked.add_(1)
        else:
            mean, var = self.running_mean, self.running_var
        # (x - mean) / sqrt(var + eps) * weight + bias is, per channel, x * scale + shift: computing the two
        # (C,) vectors first touches the large x once instead of four times
        scale = torch.rsqrt(var + self.eps)
        shift = -mean * scale
        if self.affine:
            scale, shift = scale * self.weight, shift * self.weight + self.bias
        return torch.addcmul(shift.view(1, -1, 1, 1), x, scale.view(1, -1, 1, 1))
        ### END SOLUTION

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


# ---------------------------------------------------------------------------
# Section 2: residual blocks
# ---------------------------------------------------------------------------

def conv3x3(in_channels, out_channels, stride=1):
    """3x3 convolution, padding 1, no bias (the BN after it has one): H' = floor((H - 1) / stride) + 1."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels, out_channels, stride=1):
    """1x1 convolution, no bias: H' = floor((H - 1) / stride) + 1."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


class ZeroPadShortcut(nn.Module):
    """He et al.'s option A: the identity, subsampled and widened with zero channels; no parameters.

    x (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)): x[:, :, ::stride, ::stride]
    in the first in_channels channels and zeros in the out_channels - in_channels channels after them.

    Notebook section: 4
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        _check_block_args(in_channels, out_channels, stride)
        if out_channels < in_channels:
            raise ValueError(f"a zero-padded shortcut cannot narrow {in_channels} channels to {out_channels}")
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x):
        """Notebook section: 4"""
        _check_image(x, self.in_channels, "ZeroPadShortcut")
        ### BEGIN SOLUTION
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - self.in_channels))
        ### END SOLUTION


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: x (N, in_channels, H, W) -> (N, out_channels, H', W'),
    H' = floor((H - 1) / stride) + 1 (the same for W).

        out = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x))

    conv1 is 3x3 with the stride, conv2 3x3 with stride 1, both padding 1 and without bias; bn1 and bn2 are
    norm_layer(out_channels) (default nn.BatchNorm2d). The shortcut is the identity (`downsample` is None)
    when stride == 1 and in_channels == out_channels; otherwise `downsample` is
    nn.Sequential(conv1x1(in_channels, out_channels, stride), norm_layer(out_channels)) (option B,
    shortcut="projection"), or ZeroPadShortcut(in_channels, out_channels, stride) (option A, "zero_pad").
    Parameters: 9 * in * out + 9 * out * out + 4 * out (+ in * out + 2 * out for a projection).

    Notebook section: 2
    """
    expansion = 1  # output channels per unit of width (out_channels)
    depth = 2      # weighted layers on the block's main path

    def __init__(self, in_channels, out_channels, stride=1, norm_layer=None, shortcut="projection"):
        super().__init__()
        _check_block_args(in_channels, out_channels, stride, shortcut)
        if shortcut == "zero_pad" and out_channels < in_channels:
            raise ValueError(f"a zero-padded shortcut cannot narrow {in_channels} channels to {out_channels}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        ### BEGIN SOLUTION
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = norm_layer(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = norm_layer(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            if shortcut == "projection":
                self.downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride), norm_layer(out_channels))
            else:
                self.downsample = ZeroPadShortcut(in_channels, out_channels, stride)
        ### END SOLUTION

    def forward(self, x):
        """Notebook section: 2"""
        _check_image(x, self.in_channels, "BasicBlock")
        ### BEGIN SOLUTION
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)
        ### END SOLUTION


class Bottleneck(nn.Module):
    """1x1 (reduce) - 3x3 - 1x1 (expand) and a shortcut: x (N, in_channels, H, W) -> (N, 4 * mid_channels, H', W'),
    H' = floor((H - 1) / stride) + 1.

        out = ReLU(bn3(conv3(ReLU(bn2(conv2(ReLU(bn1(conv1(x)))))))) + shortcut(x))

    conv1 1x1 in_channels -> mid_channels; conv2 3x3 mid -> mid with the stride and padding 1 (the stride is on
    the 3x3: "ResNet v1.5", as torchvision); conv3 1x1 mid -> 4 * mid; no biases; bn1, bn2 norm_layer(mid),
    bn3 norm_layer(4 * mid). The shortcut is the identity when stride == 1 and in_channels == 4 * mid,
    otherwise the projection `downsample` = nn.Sequential(conv1x1(in_channels, 4 * mid, stride), norm_layer(4 * mid)).

    Notebook section: 2
    """
    expansion = 4
    depth = 3

    def __init__(self, in_channels, mid_channels, stride=1, norm_layer=None):
        super().__init__()
        _check_block_args(in_channels, mid_channels, stride)
        norm_layer = norm_layer or nn.BatchNorm2d
        self.in_channels, self.mid_channels, self.stride = in_channels, mid_channels, stride
        out_channels = mid_channels * self.expansion
        ### BEGIN SOLUTION
        self.conv1 = conv1x1(in_channels, mid_channels)
        self.bn1 = norm_layer(mid_channels)
        self.conv2 = conv3x3(mid_channels, mid_channels, stride)
        self.bn2 = norm_layer(mid_channels)
        self.conv3 = conv1x1(mid_channels, out_channels)
        self.bn3 = norm_layer(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride), norm_layer(out_channels))
        ### END SOLUTION

    def forward(self, x):
        """Notebook section: 2"""
        _check_image(x, self.in_channels, "Bottleneck")
        ### BEGIN SOLUTION
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)
        ### END SOLUTION


class PlainBlock(nn.Module):
    """BasicBlock without the shortcut: x (N, in_channels, H, W) -> (N, out_channels, H', W').

        out = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))))

    The same conv1 bn1 conv2 bn2 as BasicBlock (conv1 carries the stride and any change of width) and no
    `downsample`: the output depends on x only through the two convolutions.

    Notebook section: 2
    """
    expansion = 1
    depth = 2

    def __init__(self, in_channels, out_channels, stride=1, norm_layer=None):
        super().__init__()
        _check_block_args(in_channels, out_channels, stride)
        norm_layer = norm_layer or nn.BatchNorm2d
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        ### BEGIN SOLUTION
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = norm_layer(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = norm_layer(out_channels)
        ### END SOLUTION

    def forward(self, x):
        """Notebook section: 2"""
        _check_image(x, self.in_channels, "PlainBlock")
        ### BEGIN SOLUTION
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)))
        ### END SOLUTION


# ---------------------------------------------------------------------------
# Section 3: stages and networks
# ---------------------------------------------------------------------------

def make_stage(block, in_channels, width, num_blocks, stride=1, **options):
    """A stage: nn.Sequential of `num_blocks` blocks, named 0, 1, ...

    The first block maps in_channels -> width * block.expansion with the stride; the others keep
    width * block.expansion channels with stride 1. `options` (norm_layer, shortcut) go to every block.
    x (N, in_channels, H, W) -> (N, width * block.expansion, floor((H - 1) / stride) + 1, ...).

    Notebook section: 3
    """
    _check_block(block)
    for name, value in (("in_channels", in_channels), ("width", width), ("num_blocks", num_blocks),
                        ("stride", stride)):
        _require_positive_int(name, value)
    ### BEGIN SOLUTION
    blocks = [block(in_channels, width, stride, **options)]
    blocks += [block(width * block.expansion, width, 1, **options) for _ in range(num_blocks - 1)]
    return nn.Sequential(*blocks)
    ### END SOLUTION


def init_weights(model):
    """torchvision's initialisation for ResNets: He (Kaiming) normal for convolutions, fan_out mode, gain for
    ReLU (std = sqrt(2 / (out_channels * kh * kw))); normalisation layers with weight 1 and bias 0; linear
    layers keep torch's default."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(getattr(module, "weight", None), nn.Parameter) and not isinstance(module, nn.Linear):
            nn.init.ones_(module.weight)
            if isinstance(getattr(module, "bias", None), nn.Parameter):
                nn.init.zeros_(module.bias)


class ResNet(nn.Module):
    """The ImageNet ResNet: x (N, in_channels, H, W) -> logits (N, num_classes).

    conv1 7x7/2 pad 3 (64 filters, no bias) - bn1 - relu - maxpool 3x3/2 pad 1 - layer1 .. layer4 - avgpool
    (nn.AdaptiveAvgPool2d(1), any input size) - flatten - fc (512 * block.expansion -> num_classes).
    layer1..4 = make_stage(block, ..., width 64, 128, 256, 512, layers[i] blocks, stride 1, 2, 2, 2),
    each stage starting from the previous one's width * block.expansion channels (64 for layer1).
    Spatial sizes for H = 224: 112 after conv1, 56 after maxpool and layer1, then 28, 14, 7.
    Weights start as `init_weights` sets them (called after your code).

    Notebook section: 3
    """

    def __init__(self, block, layers, num_classes=1000, in_channels=3, norm_layer=None):
        super().__init__()
        _check_resnet_args(block, layers, num_classes, in_channels)
        norm_layer = norm_layer or nn.BatchNorm2d
        self.in_channels = in_channels
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        channels = 64
        for i, (width, num_blocks) in enumerate(zip(STAGE_WIDTHS, layers)):
            stage = make_stage(block, channels, width, num_blocks, stride=1 if i == 0 else 2, norm_layer=norm_layer)
            setattr(self, f"layer{i + 1}", stage)
            channels = width * block.expansion
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        ### END SOLUTION
        init_weights(self)

    def forward(self, x):
        """Notebook section: 3"""
        _check_image(x, self.in_channels, "ResNet")
        ### BEGIN SOLUTION
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))
        ### END SOLUTION


def resnet18(num_classes=1000):
    """ResNet-18: BasicBlock, [2, 2, 2, 2]; 11,689,512 parameters for 1000 classes.

    Notebook section: 3
    """
    ### BEGIN SOLUTION
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
    ### END SOLUTION


def resnet34(num_classes=1000):
    """ResNet-34: BasicBlock, [3, 4, 6, 3]; 21,797,672 parameters for 1000 classes.

    Notebook section: 3
    """
    ### BEGIN SOLUTION
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes=num_classes)
    ### END SOLUTION


def resnet50(num_classes=1000):
    """ResNet-50: Bottleneck, [3, 4, 6, 3]; 25,557,032 parameters for 1000 classes.

    Notebook section: 3
    """
    ### BEGIN SOLUTION
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes=num_classes)
    ### END SOLUTION


def resnet152(num_classes=1000):
    """ResNet-152: Bottleneck, [3, 8, 36, 3]; 60,192,808 parameters for 1000 classes.

    Notebook section: 3
    """
    ### BEGIN SOLUTION
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes=num_classes)
    ### END SOLUTION


def resnet_depth(block, layers):
    """The depth in the name "ResNet-<depth>": the weighted layers on the longest path, counted from the
    configuration: the stem convolution, block.depth convolutions per block, and fc. Pooling, BN and the
    shortcut projections do not count. resnet_depth(Bottleneck, [3, 8, 36, 3]) == 152.

    Notebook section: 3
    """
    _check_block(block)
    _check_layers(layers)
    ### BEGIN SOLUTION
    return 1 + block.depth * sum(layers) + 1
    ### END SOLUTION


class CifarResNet(nn.Module):
    """He et al.'s CIFAR-10 network (section 4.2): x (N, in_channels, H, W) -> logits (N, num_classes).

    depth = 6n + 2: conv1 3x3 pad 1 (16 filters, no bias) - bn1 - relu - layer1 .. layer3 (n blocks each,
    widths 16, 32, 64, strides 1, 2, 2; BasicBlock, or PlainBlock when residual is False) - avgpool
    (nn.AdaptiveAvgPool2d(1)) - flatten - fc (64 -> num_classes). No max pooling: a 32x32 image gives maps of
    32, 16 and 8 pixels. Residual blocks get `shortcut` ("zero_pad": option A, the paper's; "projection":
    option B); `norm_layer` goes to every block and to bn1. Weights start as `init_weights` sets them.
    Parameters with option A: 269,722 for depth 20, 853,018 for depth 56 (10 classes, 3 channels); option B
    adds 2,752; the plain network has as many as option A.

    Notebook section: 4
    """

    def __init__(self, depth, residual=True, num_classes=10, in_channels=3, shortcut="zero_pad", norm_layer=None):
        super().__init__()
        _check_cifar_args(depth, residual, num_classes, in_channels, shortcut)
        norm_layer = norm_layer or nn.BatchNorm2d
        self.depth, self.residual, self.in_channels = depth, residual, in_channels
        ### BEGIN SOLUTION
        n = (depth - 2) // 6
        block, options = (BasicBlock, {"shortcut": shortcut}) if residual else (PlainBlock, {})
        self.conv1 = conv3x3(in_channels, CIFAR_WIDTHS[0])
        self.bn1 = norm_layer(CIFAR_WIDTHS[0])
        self.relu = nn.ReLU(inplace=True)
        channels = CIFAR_WIDTHS[0]
        for i, width in enumerate(CIFAR_WIDTHS):
            stage = make_stage(block, channels, width, n, stride=1 if i == 0 else 2, norm_layer=norm_layer, **options)
            setattr(self, f"layer{i + 1}", stage)
            channels = width
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        ### END SOLUTION
        init_weights(self)

    def forward(self, x):
        """Notebook section: 4"""
        _check_image(x, self.in_channels, "CifarResNet")
        ### BEGIN SOLUTION
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))
        ### END SOLUTION


# ---------------------------------------------------------------------------
# Measuring tools (provided)
# ---------------------------------------------------------------------------

def multiply_adds(model, input_size):
    """Multiply-accumulate operations of one forward pass on one image of `input_size` (C, H, W): every
    convolution's out_channels * H' * W' * (in_channels / groups) * kh * kw plus every linear layer's
    in_features * out_features (biases, BN, ReLU, pooling and additions are not counted, as in
    torchvision's "GFLOPS" column). Returns an int."""
    total = [0]

    def count(module, inputs, out):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total[0] += out[0].numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, nn.Linear):
            total[0] += module.in_features * module.out_features

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            param = next(model.parameters())
            model(torch.zeros(1, *input_size, dtype=param.dtype, device=param.device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return total[0]


def gradient_norms(model, x, y):
    """[(name, norm)]: the L2 norm of the gradient of the cross-entropy loss of model(x) against labels y with
    respect to each weight of the main path's convolutions (shortcut projections left out), in the order
    the layers are listed (input to output), after one backward pass in training mode from cleared gradients.
    At initialisation a plain network's norms shrink or grow with depth; a residual one's stay level."""
    model.train()
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    norms = [(name, p.grad.norm().item()) for name, p in model.named_parameters()
             if p.dim() == 4 and "downsample" not in name and p.grad is not None]
    model.zero_grad(set_to_none=True)
    return norms
