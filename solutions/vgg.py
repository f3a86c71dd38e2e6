"""Notebook 05: VGG, the network built from one rule (Simonyan and Zisserman, 2014).

VGG's rule: every convolution is 3x3 with stride 1 and padding 1 (it keeps H and W), and every block ends
with a 2x2 max pooling of stride 2 (it halves H and W). A stack of n 3x3 convolutions sees a
(2n + 1) x (2n + 1) window of its input, with n ReLUs on the way and fewer weights than one big kernel:
three 3x3 layers of C channels hold 27 C^2 weights, one 7x7 layer 49 C^2.

VGG-16 on a 224x224 colour image (`arch` = VGG16_ARCH), block by block:

    input         N x   3 x 224 x 224
    features.0    N x  64 x 112 x 112   2 convs  (3*9 + 1)*64 + (64*9 + 1)*64                =     38,720
    features.1    N x 128 x  56 x  56   2 convs  (64*9 + 1)*128 + (128*9 + 1)*128            =    221,440
    features.2    N x 256 x  28 x  28   3 convs  (128*9 + 1)*256 + 2 * (256*9 + 1)*256       =  1,475,328
    features.3    N x 512 x  14 x  14   3 convs  (256*9 + 1)*512 + 2 * (512*9 + 1)*512       =  5,899,776
    features.4    N x 512 x   7 x   7   3 convs  3 * (512*9 + 1)*512                         =  7,079,424
    flatten       N x 25088             512 * 7 * 7
    classifier.0  N x 4096              Linear   (25088 + 1) * 4096                          = 102,764,544
    classifier.3  N x 4096              Linear   (4096 + 1) * 4096                           =  16,781,312
    classifier.6  N x 1000              Linear   (4096 + 1) * 1000                           =  4,097,000
                                                                                    total     138,357,544

Three quarters of the parameters sit in the first fully connected layer; almost all of the computation
is in the convolutions. With batch norm every convolution also gets 2 * out_channels parameters (and two
running statistics): 138,365,992 in all. VGG-11 has 132,863,336 (132,868,840 with batch norm).

Layout (fixed, so that state dicts carry fixed keys):
- `vgg_block` returns an nn.Sequential: for each convolution `Conv2d(3x3, stride 1, padding 1, bias)`,
  then `BatchNorm2d` (only with batch_norm=True), then `ReLU`; last a `MaxPool2d(2, stride 2)`. With batch
  norm a block of two convolutions has the children 0 conv, 1 bn, 2 relu, 3 conv, 4 bn, 5 relu, 6 pool.
  The convolutions keep their bias even with batch norm, as torchvision's VGG does.
- `VGG` has two children, in this order: `features`, an nn.Sequential of one vgg_block per entry of `arch`
  (children 0, 1, ...), and `classifier`, an nn.Sequential of Linear(C * s * s, hidden), ReLU,
  Dropout(dropout), Linear(hidden, hidden), ReLU, Dropout(dropout), Linear(hidden, num_classes), where C is
  the last block's out_channels and s = image_size // 2**len(arch). Keys: `features.0.0.weight`, ...,
  `classifier.6.bias`. forward: features, flatten each image to one vector (torch.flatten(x, 1)), classifier.
"""
import torch
from torch import nn

NOTEBOOK = "05_vgg"

# (num_convs, out_channels) for each block: the columns A, B, D and E of the paper's Table 1.
VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
VGG13_ARCH = ((2, 64), (2, 128), (2, 256), (2, 512), (2, 512))
VGG16_ARCH = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
VGG19_ARCH = ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))


# ---------------------------------------------------------------------------
# Argument checks (provided: they run before your code and explain bad input)
# ---------------------------------------------------------------------------

def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_block_args(in_channels, out_channels, num_convs, batch_norm):
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("num_convs", num_convs)):
        _check_positive_int(name, value)
    _check_bool("batch_norm", batch_norm)


def _check_arch(arch):
    if isinstance(arch, (str, bytes)) or not hasattr(arch, "__len__") or len(arch) == 0:
        raise ValueError(f"arch must be a non-empty sequence of (num_convs, out_channels) pairs, got {arch!r}")
    for i, entry in enumerate(arch):
        if isinstance(entry, (str, bytes)) or not hasattr(entry, "__len__") or len(entry) != 2:
            raise ValueError(f"arch[{i}] must be a pair (num_convs, out_channels), got {entry!r}")
        _check_positive_int(f"arch[{i}]'s num_convs", entry[0])
        _check_positive_int(f"arch[{i}]'s out_channels", entry[1])


def _check_vgg_args(arch, num_classes, in_channels, image_size, hidden, dropout, batch_norm):
    _check_arch(arch)
    for name, value in (("num_classes", num_classes), ("in_channels", in_channels), ("image_size", image_size),
                        ("hidden", hidden)):
        _check_positive_int(name, value)
    pools = 2 ** len(arch)
    if image_size < pools:
        raise ValueError(f"image_size {image_size} is too small: the {len(arch)} blocks halve it {len(arch)} times, "
                         f"so it must be at least {pools}")
    if image_size % pools:
        raise ValueError(f"image_size must be a multiple of 2**len(arch) = {pools}: each of the {len(arch)} blocks "
                         f"halves it, got {image_size}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout is the probability of zeroing a unit, in [0, 1); got {dropout!r}")
    _check_bool("batch_norm", batch_norm)


def _check_input(x, in_channels, image_size):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"VGG takes a torch.Tensor, got {type(x).__name__}; use torch.as_tensor(x)")
    if x.dim() != 4 or x.shape[1] != in_channels or tuple(x.shape[2:]) != (image_size, image_size):
        raise ValueError(f"this VGG takes images of shape (N, {in_channels}, {image_size}, {image_size}), got "
                         f"{tuple(x.shape)}; resize the images or build the model with another image_size")


def _check_stacked_args(channels, kernel_size, num_layers):
    for name, value in (("channels", channels), ("kernel_size", kernel_size), ("num_layers", num_layers)):
        _check_positive_int(name, value)


# ---------------------------------------------------------------------------
# Section 2: VGG's rule
# ---------------------------------------------------------------------------

def vgg_block(in_channels, out_channels, num_convs, batch_norm=False):
    """One VGG block: num_convs times (3x3 conv, stride 1, padding 1 [-> BatchNorm2d] -> ReLU), then a 2x2
    max pooling with stride 2.

    x (N, in_channels, H, W) -> (N, out_channels, H // 2, W // 2): the convolutions keep H and W
    ((H + 2*1 - 3) / 1 + 1 = H), the pooling floors (H - 2) / 2 + 1 = H // 2. The first convolution reads
    in_channels maps, the others out_channels. Returns an nn.Sequential with the children, in order,
    [Conv2d, (BatchNorm2d,) ReLU] * num_convs + [MaxPool2d]; every Conv2d has a bias.
    Parameters: (in_channels*9 + 1)*out_channels + (num_convs - 1)*(out_channels*9 + 1)*out_channels,
    plus 2*out_channels per convolution with batch norm.

    Notebook section: 2
    """
    _check_block_args(in_channels, out_channels, num_convs, batch_norm)
    ### BEGIN SOLUTION
    layers = []
    for i in range(num_convs):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU(inplace=True))
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)
    ### END SOLUTION


def stacked_conv_params(channels, kernel_size, num_layers):
    """Weights (no biases) of `num_layers` stacked kernel_size x kernel_size convolutions that each map
    `channels` channels to `channels` channels: num_layers * kernel_size**2 * channels**2, a Python int.

    Three 3x3 layers: 27 C^2; one 7x7 layer (the same 7x7 receptive field): 49 C^2.

    Notebook section: 2
    """
    _check_stacked_args(channels, kernel_size, num_layers)
    ### BEGIN SOLUTION
    return num_layers * kernel_size ** 2 * channels ** 2
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Section 3: the VGG network
# ---------------------------------------------------------------------------

class VGG(nn.Module):
    """VGG for square images: x (N, in_channels, image_size, image_size) -> logits (N, num_classes).

    arch: a sequence of (num_convs, out_channels), one vgg_block each; the blocks chain their channels
        (block i reads block i-1's out_channels, block 0 reads in_channels).
    image_size: a multiple of 2**len(arch); after the blocks each map is s x s, s = image_size // 2**len(arch).
    hidden: the width of the two hidden fully connected layers; dropout: their dropout probability.
    Children: `features` (nn.Sequential of the blocks) and `classifier` (nn.Sequential: Linear(C*s*s, hidden),
    ReLU, Dropout, Linear(hidden, hidden), ReLU, Dropout, Linear(hidden, num_classes)); see the module's
    docstring for the exact layout.

    Notebook section: 3
    """

    def __init__(self, arch, num_classes=1000, in_channels=3, image_size=224, hidden=4096, dropout=0.5,
                 batch_norm=False):
        super().__init__()
        _check_vgg_args(arch, num_classes, in_channels, image_size, hidden, dropout, batch_norm)
        self.in_channels, self.image_size = in_channels, image_size
        ### BEGIN SOLUTION
        blocks, channels = [], in_channels
        for num_convs, out_channels in arch:
            blocks.append(vgg_block(channels, out_channels, num_convs, batch_norm))
            channels = out_channels
        self.features = nn.Sequential(*blocks)
        side = image_size // 2 ** len(arch)
        self.classifier = nn.Sequential(
            nn.Linear(channels * side * side, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        ### END SOLUTION

    def forward(self, x):
        """Notebook section: 3"""
        _check_input(x, self.in_channels, self.image_size)
        ### BEGIN SOLUTION
        x = self.features(x)
        return self.classifier(torch.flatten(x, 1))
        ### END SOLUTION


def vgg11(num_classes=1000, batch_norm=False):
    """VGG-11 (configuration A) for 224x224 colour images: 132,863,336 parameters (132,868,840 with batch norm).

    Notebook section: 3
    """
    ### BEGIN SOLUTION
    return VGG(VGG11_ARCH, num_classes=num_classes, batch_norm=batch_norm)
    ### END SOLUTION


def vgg16(num_classes=1000):
    """VGG-16 (configuration D) for 224x224 colour images: 138,357,544 parameters.

    Notebook section: 3
    """
    ### BEGIN SOLUTION
    return VGG(VGG16_ARCH, num_classes=num_classes)
    ### END SOLUTION
