"""Parameter tables without a network: every class registers parameters and buffers with the right names
and shapes (so the counts and state-dict keys are the reference's, resnet152's 60,192,808 included), taken
from a table of the architecture, but forward computes nothing: it returns zeros of the right shape."""
import torch
from torch import nn

WIDTHS, CIFAR_WIDTHS = (64, 128, 256, 512), (16, 32, 64)


def _conv(cin, cout, k, stride=1):
    return nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)


def _block(kind, cin, width, stride, shortcut="projection"):
    out = width * (4 if kind == "Bottleneck" else 1)
    if kind == "Bottleneck":
        mods = {"conv1": _conv(cin, width, 1), "bn1": nn.BatchNorm2d(width), "conv2": _conv(width, width, 3, stride),
                "bn2": nn.BatchNorm2d(width), "conv3": _conv(width, out, 1), "bn3": nn.BatchNorm2d(out)}
    else:
        mods = {"conv1": _conv(cin, out, 3, stride), "bn1": nn.BatchNorm2d(out), "conv2": _conv(out, out, 3),
                "bn2": nn.BatchNorm2d(out)}
    if kind != "PlainBlock" and (stride != 1 or cin != out) and shortcut == "projection":
        mods["downsample"] = nn.Sequential(_conv(cin, out, 1, stride), nn.BatchNorm2d(out))
    return mods


def _net(kind, layers, num_classes, in_channels, cifar=False, shortcut="projection"):
    widths, first = (CIFAR_WIDTHS, 16) if cifar else (WIDTHS, 64)
    mods = {"conv1": _conv(in_channels, first, 3 if cifar else 7, 1 if cifar else 2), "bn1": nn.BatchNorm2d(first)}
    cin, grow = first, 4 if kind == "Bottleneck" else 1
    for i, (width, count) in enumerate(zip(widths, layers)):
        blocks = [_block(kind, cin if j == 0 else width * grow, width, 2 if i and not j else 1, shortcut)
                  for j in range(count)]
        mods[f"layer{i + 1}"] = {str(j): b for j, b in enumerate(blocks)}
        cin = width * grow
    mods["fc"] = nn.Linear(cin, num_classes)
    return mods


def _flat(mods, prefix=""):
    """{dotted name: tensor} of a nested dict of torch layers."""
    out = {}
    for name, m in mods.items():
        if isinstance(m, dict):
            out.update(_flat(m, f"{prefix}{name}."))
        else:
            out.update({f"{prefix}{name}.{k}": v for k, v in m.state_dict().items()})
    return out


class _Table(nn.Module):
    """Holds parameters and buffers under the dotted names of `table`, in containers of its own."""

    def __init__(self, table, out_shape=None):
        super().__init__()
        self.out_shape = out_shape
        for key, value in table.items():
            owner = self
            *path, leaf = key.split(".")
            for part in path:
                if part not in owner._modules:
                    owner.add_module(part, nn.Module())
                owner = owner._modules[part]
            if value.is_floating_point() and "running" not in leaf:
                owner.register_parameter(leaf, nn.Parameter(value.clone()))
            else:
                owner.register_buffer(leaf, value.clone())

    def forward(self, x):
        return x.new_zeros(x.shape[0], *self.out_shape(x)) if self.out_shape else x


def _kind(block):
    return getattr(block, "kind", "BasicBlock")


class BatchNorm2d(_Table):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(nn.BatchNorm2d(num_features, affine=affine).state_dict())


def _block_class(kind_name):
    class Block(_Table):
        kind, expansion, depth = kind_name, 4 if kind_name == "Bottleneck" else 1, 3 if kind_name == "Bottleneck" else 2

        def __init__(self, in_channels, width, stride=1, norm_layer=None, shortcut="projection"):
            out = width * self.expansion
            super().__init__(_flat(_block(kind_name, in_channels, width, stride, shortcut)),
                             lambda x: (out, (x.shape[2] - 1) // stride + 1, (x.shape[3] - 1) // stride + 1))
    Block.__name__ = kind_name
    return Block


BasicBlock, Bottleneck, PlainBlock = (_block_class(k) for k in ("BasicBlock", "Bottleneck", "PlainBlock"))


class ResNet(_Table):
    def __init__(self, block, layers, num_classes=1000, in_channels=3, norm_layer=None):
        super().__init__(_flat(_net(_kind(block), layers, num_classes, in_channels)), lambda x: (num_classes,))


class CifarResNet(_Table):
    def __init__(self, depth, residual=True, num_classes=10, in_channels=3, shortcut="zero_pad", norm_layer=None):
        n = (depth - 2) // 6
        kind = "BasicBlock" if residual else "PlainBlock"
        super().__init__(_flat(_net(kind, [n] * 3, num_classes, in_channels, cifar=True, shortcut=shortcut)),
                         lambda x: (num_classes,))


def resnet18(num_classes=1000):
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes)


def resnet34(num_classes=1000):
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes)


def resnet50(num_classes=1000):
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes)


def resnet152(num_classes=1000):
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes)


DEPTHS = {("BasicBlock", (2, 2, 2, 2)): 18, ("BasicBlock", (3, 4, 6, 3)): 34, ("Bottleneck", (3, 4, 6, 3)): 50,
          ("Bottleneck", (3, 4, 23, 3)): 101, ("Bottleneck", (3, 8, 36, 3)): 152}


def resnet_depth(block, layers):
    return DEPTHS[(_kind(block), tuple(layers))]
