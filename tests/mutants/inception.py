"""Mutants of solutions/inception.py: plausible student bugs in notebook 06 (Inception modules, multiply-add
counts, GoogLeNet, its auxiliary heads and loss)."""

from tests.mutants import Mutant

NAIVE_FORWARD = ("        return torch.cat([self.branch1x1(x), self.branch3x3(x), self.branch5x5(x), "
                 "self.branch_pool(x)], dim=1)\n")
MAXPOOL4 = ("        self.inception4e = Inception(*TABLE1[\"4e\"])\n"
            "        self.maxpool4 = nn.MaxPool2d({}, ceil_mode=True)\n")
HEAD = "        self.avgpool = {}\n        self.dropout = nn.Dropout({})\n        self.fc = nn.Linear(1024"
INCEPTION_FORWARD = "        outputs = [self.branch1x1(x), self.branch3x3(x), self.branch5x5(x), self.branch_pool(x)]\n"

MUTANTS = [
    # -- the naive module ------------------------------------------------------------------------
    Mutant(
        "naive_pool_branch_missing",
        "the naive module concatenates the three convolutions only: the pooled input maps are missing",
        NAIVE_FORWARD,
        "        return torch.cat([self.branch1x1(x), self.branch3x3(x), self.branch5x5(x)], dim=1)\n",
    ),
    Mutant(
        "naive_5x5_padding_1",
        "the naive 5x5 convolution pads by 1, so its maps are 2 pixels smaller than the others",
        "        self.branch5x5 = nn.Sequential(*conv_relu(in_channels, c5, 5, padding=2))\n",
        "        self.branch5x5 = nn.Sequential(*conv_relu(in_channels, c5, 5, padding=1))\n",
    ),
    Mutant(
        "naive_pool_unpadded",
        "the naive pool branch is unpadded (the lecture notes' 'pooling has no padding'): its maps shrink by 2",
        "        self.branch_pool = nn.MaxPool2d(3, stride=1, padding=1)\n",
        "        self.branch_pool = nn.MaxPool2d(3, stride=1)\n",
    ),
    Mutant(
        "naive_3x3_without_relu",
        "the naive 3x3 branch has no ReLU (same parameters, negative outputs kept)",
        "        self.branch3x3 = nn.Sequential(*conv_relu(in_channels, c3, 3, padding=1))\n",
        "        self.branch3x3 = nn.Sequential(nn.Conv2d(in_channels, c3, 3, padding=1))\n",
    ),
    # -- conv_macs -------------------------------------------------------------------------------
    Mutant(
        "macs_count_bias",
        "conv_macs adds one operation per output for the bias",
        "    return int(in_channels * out_channels * kh * kw * out_h * out_w)\n",
        "    return int(in_channels * out_channels * kh * kw * out_h * out_w + out_channels * out_h * out_w)\n",
    ),
    Mutant(
        "macs_ignore_in_channels",
        "conv_macs forgets that each filter spans the input's full depth",
        "    return int(in_channels * out_channels * kh * kw * out_h * out_w)\n",
        "    return int(out_channels * kh * kw * out_h * out_w)\n",
    ),
    Mutant(
        "macs_square_kernel_only",
        "conv_macs squares the first kernel size: wrong only for rectangular (kh, kw) kernels",
        "    kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)\n",
        "    kh = kw = kernel_size[0] if isinstance(kernel_size, (tuple, list)) else kernel_size\n",
    ),
    Mutant(
        "macs_input_size",
        "conv_macs counts a window at every input position of a valid convolution (H' + kh - 1 rows) "
        "instead of at every output position",
        "    return int(in_channels * out_channels * kh * kw * out_h * out_w)\n",
        "    return int(in_channels * out_channels * kh * kw * (out_h + kh - 1) * (out_w + kw - 1))\n",
    ),
    # -- the Inception module --------------------------------------------------------------------
    Mutant(
        "branch_order_swapped",
        "the 3x3 and 5x5 branches are concatenated in the wrong order",
        INCEPTION_FORWARD,
        "        outputs = [self.branch1x1(x), self.branch5x5(x), self.branch3x3(x), self.branch_pool(x)]\n",
    ),
    Mutant(
        "concat_on_batch_axis",
        "the branches are concatenated along dim 0 (the batch) instead of the channels",
        "        return torch.cat(outputs, dim=1)\n",
        "        return torch.cat(outputs, dim=0)\n",
    ),
    Mutant(
        "no_relu_after_3x3_reduction",
        "the 1x1 reduction before the 3x3 convolution has no ReLU (the layers shift: branch3x3.1 instead of .2)",
        "        self.branch3x3 = nn.Sequential(*conv_relu(in_channels, c3_reduce, 1, batch_norm=bn),\n",
        "        self.branch3x3 = nn.Sequential(nn.Conv2d(in_channels, c3_reduce, 1),\n",
    ),
    Mutant(
        "no_relu_after_5x5_reduction",
        "the 1x1 reduction before the 5x5 convolution has no ReLU",
        "        self.branch5x5 = nn.Sequential(*conv_relu(in_channels, c5_reduce, 1, batch_norm=bn),\n",
        "        self.branch5x5 = nn.Sequential(nn.Conv2d(in_channels, c5_reduce, 1),\n",
    ),
    Mutant(
        "pool_branch_without_projection",
        "the pool branch has no 1x1 projection: all the input maps pass through (as in the naive module)",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),\n"
        "                                         *conv_relu(in_channels, pool_proj, 1, batch_norm=bn))\n",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1))\n",
    ),
    Mutant(
        "pool_unpadded",
        "the pool branch is unpadded, so its maps are 2 pixels smaller and cannot be stacked with the others",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),\n",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1),\n",
    ),
    Mutant(
        "pool_stride_2",
        "the pool branch keeps max pooling's usual stride 2, halving its maps",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),\n",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1),\n",
    ),
    Mutant(
        "pool_branch_averages",
        "the pool branch averages instead of taking the maximum (same shapes and parameters)",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),\n",
        "        self.branch_pool = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1),\n",
    ),
    Mutant(
        "projection_before_pool",
        "the pool branch projects first and pools afterwards (keys branch_pool.0 instead of .1)",
        "        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),\n"
        "                                         *conv_relu(in_channels, pool_proj, 1, batch_norm=bn))\n",
        "        self.branch_pool = nn.Sequential(*conv_relu(in_channels, pool_proj, 1, batch_norm=bn),\n"
        "                                         nn.MaxPool2d(3, stride=1, padding=1))\n",
    ),
    Mutant(
        "five_by_five_padding_1",
        "the 5x5 convolution pads by 1 instead of 2, so its maps shrink by 2 pixels",
        "                                       *conv_relu(c5_reduce, c5, 5, padding=2, batch_norm=bn))\n",
        "                                       *conv_relu(c5_reduce, c5, 5, padding=1, batch_norm=bn))\n",
    ),
    Mutant(
        "five_by_five_reads_3x3_reduction",
        "copy-paste slip: the 5x5 convolution is built for c3_reduce input maps instead of c5_reduce",
        "                                       *conv_relu(c5_reduce, c5, 5, padding=2, batch_norm=bn))\n",
        "                                       *conv_relu(c3_reduce, c5, 5, padding=2, batch_norm=bn))\n",
    ),
    Mutant(
        "batch_norm_ignored",
        "batch_norm=True builds the module without batch norm",
        "        bn = batch_norm\n        self.branch1x1",
        "        bn = False\n        self.branch1x1",
    ),
    # -- the auxiliary head ----------------------------------------------------------------------
    Mutant(
        "aux_adaptive_pool",
        "the auxiliary head pools adaptively to 4x4 (torchvision's) instead of the paper's 5x5/3 average pool",
        "        self.pool = nn.AvgPool2d(5, stride=3)\n",
        "        self.pool = nn.AdaptiveAvgPool2d(4)\n",
    ),
    Mutant(
        "aux_no_relu_after_fc1",
        "the auxiliary head's first fully connected layer has no ReLU",
        "        return self.fc2(self.dropout(F.relu(self.fc1(x))))\n",
        "        return self.fc2(self.dropout(self.fc1(x)))\n",
    ),
    Mutant(
        "aux_dropout_default",
        "the auxiliary head's dropout keeps torch's default 50% instead of its `dropout` argument (70%)",
        "        self.dropout = nn.Dropout(dropout)\n        self.fc2",
        "        self.dropout = nn.Dropout()\n        self.fc2",
    ),
    # -- GoogLeNet -------------------------------------------------------------------------------
    Mutant(
        "aux_heads_active_in_eval",
        "the auxiliary heads run and are returned in eval mode too",
        "        with_aux = self.training and self.aux_logits\n",
        "        with_aux = self.aux_logits\n",
    ),
    Mutant(
        "aux1_after_4b",
        "the first auxiliary head reads inception4b's output instead of inception4a's (both 512 maps)",
        "        aux1 = self.aux1(x) if with_aux else None\n        x = self.inception4d(self.inception4c("
        "self.inception4b(x)))\n",
        "        x = self.inception4b(x)\n        aux1 = self.aux1(x) if with_aux else None\n"
        "        x = self.inception4d(self.inception4c(x))\n",
    ),
    Mutant(
        "stem_without_lrn",
        "the stem leaves out the first local response normalisation (no parameters, so only values change)",
        "        self.lrn1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)\n",
        "        self.lrn1 = nn.Identity()\n",
    ),
    Mutant(
        "lrn_with_alexnets_k",
        "the second LRN uses AlexNet's k=2 instead of the values given",
        "        self.lrn2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)\n",
        "        self.lrn2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)\n",
    ),
    Mutant(
        "stem_pool_rounds_down",
        "the first max pool rounds down (ceil_mode=False): 112 -> 55, and every later map is smaller",
        "        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)\n",
        "        self.maxpool1 = nn.MaxPool2d(3, stride=2)\n",
    ),
    Mutant(
        "stem_conv1_padding_2",
        "conv1 pads by 2 instead of 3, so its map is 111x111 and inception3a sees 27x27",
        "        self.conv1 = nn.Sequential(*conv_relu(in_channels, 64, 7, stride=2, padding=3))\n",
        "        self.conv1 = nn.Sequential(*conv_relu(in_channels, 64, 7, stride=2, padding=2))\n",
    ),
    Mutant(
        "stem_conv2_without_relu",
        "the stem's 1x1 convolution has no ReLU (same parameters)",
        "        self.conv2 = nn.Sequential(*conv_relu(64, 64, 1))\n",
        "        self.conv2 = nn.Sequential(nn.Conv2d(64, 64, 1))\n",
    ),
    Mutant(
        "inception4c_config_typo",
        "inception4c is built with 4b's row of Table 1 (both give 512 maps, so the shapes agree)",
        "        self.inception4c = Inception(*TABLE1[\"4c\"])\n",
        "        self.inception4c = Inception(*TABLE1[\"4b\"])\n",
    ),
    Mutant(
        "maxpool4_2x2",
        "the last max pool is 2x2/2 (torchvision's) instead of the paper's 3x3/2: the same shapes, other values",
        MAXPOOL4.format("3, stride=2"),
        MAXPOOL4.format("2, stride=2"),
    ),
    Mutant(
        "fixed_7x7_average_pool",
        "the final pool is a fixed 7x7 average (right only for 224x224 images)",
        HEAD.format("nn.AdaptiveAvgPool2d(1)", "dropout"),
        HEAD.format("nn.AvgPool2d(7, ceil_mode=True)", "dropout"),
    ),
    Mutant(
        "dropout_missing",
        "the 40% dropout before the classifier is built but never applied",
        "        logits = self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))\n",
        "        logits = self.fc(torch.flatten(self.avgpool(x), 1))\n",
    ),
    Mutant(
        "dropout_argument_ignored",
        "the classifier's dropout is fixed at the paper's 40% whatever `dropout` says",
        HEAD.format("nn.AdaptiveAvgPool2d(1)", "dropout"),
        HEAD.format("nn.AdaptiveAvgPool2d(1)", "0.4"),
    ),
    Mutant(
        "aux_heads_ignore_num_classes",
        "the auxiliary heads always have 1000 outputs",
        "        self.aux1 = InceptionAux(512, num_classes) if aux_logits else None\n",
        "        self.aux1 = InceptionAux(512, 1000) if aux_logits else None\n",
    ),
    # -- aux_loss --------------------------------------------------------------------------------
    Mutant(
        "aux_weight_hard_coded",
        "aux_loss always weighs the auxiliary losses by 0.3, whatever `weight` says",
        "    return loss_fn(logits, targets) + weight * (loss_fn(aux1, targets) + loss_fn(aux2, targets))\n",
        "    return loss_fn(logits, targets) + 0.3 * (loss_fn(aux1, targets) + loss_fn(aux2, targets))\n",
    ),
    Mutant(
        "aux_weight_on_main_loss",
        "aux_loss weighs the main loss instead of the auxiliary ones",
        "    return loss_fn(logits, targets) + weight * (loss_fn(aux1, targets) + loss_fn(aux2, targets))\n",
        "    return weight * loss_fn(logits, targets) + loss_fn(aux1, targets) + loss_fn(aux2, targets)\n",
    ),
    Mutant(
        "aux_loss_forgets_aux2",
        "aux_loss adds the first auxiliary loss only",
        "    return loss_fn(logits, targets) + weight * (loss_fn(aux1, targets) + loss_fn(aux2, targets))\n",
        "    return loss_fn(logits, targets) + weight * loss_fn(aux1, targets)\n",
    ),
    Mutant(
        "aux_loss_mean_of_three",
        "aux_loss averages the three losses instead of weighting the auxiliary ones",
        "    return loss_fn(logits, targets) + weight * (loss_fn(aux1, targets) + loss_fn(aux2, targets))\n",
        "    return (loss_fn(logits, targets) + loss_fn(aux1, targets) + loss_fn(aux2, targets)) / 3\n",
    ),
]
