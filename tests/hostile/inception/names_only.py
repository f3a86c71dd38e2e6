"""Modules whose children have the right names, in the right order, but are empty stand-ins (nn.Identity),
and whose forward returns zeros of the right shape: the names, depths and shapes a grader might check by
themselves, without any layer behind them. conv_macs returns the output volume times the kernel area."""
from torch import nn

LAYERS = ["conv1", "maxpool1", "lrn1", "conv2", "conv3", "lrn2", "maxpool2", "inception3a", "inception3b", "maxpool3",
          "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4", "inception5a",
          "inception5b", "aux1", "aux2", "avgpool", "dropout", "fc"]
BRANCHES = ["branch1x1", "branch3x3", "branch5x5", "branch_pool"]


class NaiveInception(nn.Module):
    def __init__(self, in_channels, c1, c3, c5):
        super().__init__()
        self.out_channels = c1 + c3 + c5 + in_channels
        for name in BRANCHES:
            setattr(self, name, nn.Identity())

    def forward(self, x):
        return x.new_zeros(x.shape[0], self.out_channels, *x.shape[2:])


class Inception(NaiveInception):
    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj, batch_norm=False):
        super().__init__(in_channels, c1, c3, c5)
        self.out_channels = c1 + c3 + c5 + pool_proj


class GoogLeNet(nn.Module):
    def __init__(self, num_classes=1000, aux_logits=True, dropout=0.4, in_channels=3):
        super().__init__()
        self.num_classes, self.aux_logits = num_classes, aux_logits
        for name in LAYERS:
            if aux_logits or not name.startswith("aux"):
                setattr(self, name, nn.Identity())

    def forward(self, x):
        logits = x.new_zeros(x.shape[0], self.num_classes)
        return (logits, logits, logits) if self.training and self.aux_logits else logits


def conv_macs(in_channels, out_channels, kernel_size, out_h, out_w):
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0] * kernel_size[1]
    return out_channels * out_h * out_w * (k * k if isinstance(kernel_size, int) else k)
