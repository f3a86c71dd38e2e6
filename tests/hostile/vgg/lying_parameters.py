"""A VGG that computes almost nothing but describes full VGG layers through nn.Module's own methods:
children(), named_children(), modules(), named_modules(), parameters(), named_parameters(), state_dict(),
load_state_dict(), train() and eval() report (or act on) layers it keeps out of sight in a plain dict, while
forward uses one tiny layer. Its vgg_block does the same with a block."""
import torch
from torch import nn


def _block_layers(in_channels, out_channels, num_convs, batch_norm=False):
    layers = []
    for i in range(num_convs):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU())
    return layers + [nn.MaxPool2d(2)]


class _Liar(nn.Module):
    """Shows `shown` (a plain dict of modules) through every overridable method; computes with `head`."""

    def named_children(self):
        return iter(self.shown.items())

    def children(self):
        return iter(self.shown.values())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        yield prefix, self
        for name, module in self.shown.items():
            yield from module.named_modules(prefix=f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        for name, module in self.shown.items():
            for key, p in module.named_parameters():
                yield f"{name}.{key}", p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters())

    def state_dict(self, *args, **kwargs):
        return {f"{name}.{key}": v for name, m in self.shown.items() for key, v in m.state_dict().items()}

    def load_state_dict(self, state_dict, strict=True, assign=False):
        for name, module in self.shown.items():
            module.load_state_dict({k[len(name) + 1:]: v for k, v in state_dict.items()
                                    if k.startswith(name + ".")}, strict=False)

    def train(self, mode=True):
        return self

    def eval(self):
        return self


class _Block(_Liar):
    def __init__(self, in_channels, out_channels, num_convs, batch_norm=False):
        super().__init__()
        self.shown = {str(i): layer for i, layer in enumerate(_block_layers(in_channels, out_channels, num_convs,
                                                                            batch_norm))}
        self.pool = nn.MaxPool2d(2)
        self.out_channels = out_channels

    def forward(self, x):
        return self.pool(x).mean(dim=1, keepdim=True).expand(-1, self.out_channels, -1, -1)


def vgg_block(in_channels, out_channels, num_convs, batch_norm=False):
    return _Block(in_channels, out_channels, num_convs, batch_norm)


class VGG(_Liar):
    def __init__(self, arch, num_classes=1000, in_channels=3, image_size=224, hidden=4096, dropout=0.5,
                 batch_norm=False):
        super().__init__()
        blocks, channels = [], in_channels
        for num_convs, out_channels in arch:
            blocks.append(nn.Sequential(*_block_layers(channels, out_channels, num_convs, batch_norm)))
            channels = out_channels
        side = image_size // 2 ** len(arch)
        self.shown = {"features": nn.Sequential(*blocks),
                      "classifier": nn.Sequential(nn.Linear(channels * side * side, hidden), nn.ReLU(),
                                                  nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(),
                                                  nn.Dropout(dropout), nn.Linear(hidden, num_classes))}
        self.head = nn.Linear(1, num_classes)

    def forward(self, x):
        return self.head(x.mean(dim=(1, 2, 3)).unsqueeze(1))


def vgg11(num_classes=1000, batch_norm=False):
    return VGG(((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)), num_classes, batch_norm=batch_norm)


def vgg16(num_classes=1000):
    return VGG(((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)), num_classes)
