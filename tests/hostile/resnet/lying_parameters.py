"""Models that describe the reference's layout through nn.Module's overridable methods but hold almost
nothing: each class builds a correct layout of torch layers, keeps it out of nn.Module's tables (a plain
attribute) and shows it through parameters(), named_parameters(), children(), named_children(), modules(),
named_modules(), buffers(), state_dict(), load_state_dict(), train() and eval(); forward uses one tiny
registered layer."""
import torch
from torch import nn

WIDTHS, CIFAR_WIDTHS = (64, 128, 256, 512), (16, 32, 64)


def _conv(cin, cout, k, stride=1):
    return nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)


class _Tree(nn.Module):
    def __init__(self, mods):
        super().__init__()
        for name, m in mods.items():
            self.add_module(name, _Tree(m) if isinstance(m, dict) else m)


def _block(kind, cin, width, stride, shortcut="projection"):
    out = width * (4 if kind == "Bottleneck" else 1)
    if kind == "Bottleneck":
        mods = {"conv1": _conv(cin, width, 1), "bn1": nn.BatchNorm2d(width), "conv2": _conv(width, width, 3, stride),
                "bn2": nn.BatchNorm2d(width), "conv3": _conv(width, out, 1), "bn3": nn.BatchNorm2d(out),
                "relu": nn.ReLU()}
    else:
        mods = {"conv1": _conv(cin, out, 3, stride), "bn1": nn.BatchNorm2d(out), "relu": nn.ReLU(),
                "conv2": _conv(out, out, 3), "bn2": nn.BatchNorm2d(out)}
    if kind != "PlainBlock" and (stride != 1 or cin != out) and shortcut == "projection":
        mods["downsample"] = nn.Sequential(_conv(cin, out, 1, stride), nn.BatchNorm2d(out))
    return mods


def _net(kind, layers, num_classes, in_channels, cifar=False, shortcut="projection"):
    widths, first = (CIFAR_WIDTHS, 16) if cifar else (WIDTHS, 64)
    mods = {"conv1": _conv(in_channels, first, 3 if cifar else 7, 1 if cifar else 2), "bn1": nn.BatchNorm2d(first),
            "relu": nn.ReLU()}
    if not cifar:
        mods["maxpool"] = nn.MaxPool2d(3, 2, 1)
    cin, grow = first, 4 if kind == "Bottleneck" else 1
    for i, (width, count) in enumerate(zip(widths, layers)):
        mods[f"layer{i + 1}"] = nn.Sequential(*[
            _Tree(_block(kind, cin if j == 0 else width * grow, width, 2 if i and not j else 1, shortcut))
            for j in range(count)])
        cin = width * grow
    mods.update(avgpool=nn.AdaptiveAvgPool2d(1), fc=nn.Linear(cin, num_classes))
    return mods


class _Liar(nn.Module):
    def __init__(self, shown, out_channels):
        super().__init__()
        object.__setattr__(self, "shown", shown)  # a module kept out of nn.Module's tables
        self.tiny = nn.Conv2d(1, out_channels, 1)

    def named_children(self):
        return self.shown.named_children()

    def children(self):
        return self.shown.children()

    def named_modules(self, *args, **kwargs):
        return self.shown.named_modules(*args, **kwargs)

    def modules(self):
        return self.shown.modules()

    def named_parameters(self, *args, **kwargs):
        return self.shown.named_parameters(*args, **kwargs)

    def parameters(self, recurse=True):
        return self.shown.parameters(recurse)

    def named_buffers(self, *args, **kwargs):
        return self.shown.named_buffers(*args, **kwargs)

    def buffers(self, recurse=True):
        return self.shown.buffers(recurse)

    def state_dict(self, *args, **kwargs):
        return self.shown.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return self.shown.load_state_dict(state_dict, strict=strict)

    def train(self, mode=True):
        self.shown.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(object.__getattribute__(self, "shown"), name)

    def forward(self, x):
        out = self.tiny(x.mean(dim=1, keepdim=True))
        return out.mean(dim=(2, 3)) if getattr(self, "flat", False) else out


class BatchNorm2d(_Liar):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(nn.BatchNorm2d(num_features, eps, momentum, affine), num_features)


def _block_class(kind_name):
    class Block(_Liar):
        kind, expansion, depth = kind_name, 4 if kind_name == "Bottleneck" else 1, 3 if kind_name == "Bottleneck" else 2

        def __init__(self, in_channels, width, stride=1, norm_layer=None, shortcut="projection"):
            super().__init__(_Tree(_block(kind_name, in_channels, width, stride, shortcut)), width * self.expansion)
    Block.__name__ = kind_name
    return Block


BasicBlock, Bottleneck, PlainBlock = (_block_class(k) for k in ("BasicBlock", "Bottleneck", "PlainBlock"))


class ResNet(_Liar):
    flat = True

    def __init__(self, block, layers, num_classes=1000, in_channels=3, norm_layer=None):
        super().__init__(_Tree(_net(block.kind, layers, num_classes, in_channels)), num_classes)


class CifarResNet(_Liar):
    flat = True

    def __init__(self, depth, residual=True, num_classes=10, in_channels=3, shortcut="zero_pad", norm_layer=None):
        kind = "BasicBlock" if residual else "PlainBlock"
        super().__init__(_Tree(_net(kind, [(depth - 2) // 6] * 3, num_classes, in_channels, True, shortcut)),
                         num_classes)


def resnet18(num_classes=1000):
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes)


def resnet34(num_classes=1000):
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes)


def resnet50(num_classes=1000):
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes)


def resnet152(num_classes=1000):
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes)
