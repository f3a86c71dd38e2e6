"""Mutants of solutions/resnet.py: plausible student bugs in notebook 07 (batch normalisation, residual blocks,
ResNet and the CIFAR ResNets)."""

from tests.mutants import Mutant

MUTANTS = [
    # -- BatchNorm2d ---------------------------------------------------------------------------
    Mutant(
        "bn_running_var_biased",
        "the running variance is updated with the biased batch variance (torch uses the unbiased one)",
        "self.momentum * var * m / (m - 1))\n",
        "self.momentum * var)\n",
    ),
    Mutant(
        "bn_normalises_with_unbiased_var",
        "the batch is normalised with the unbiased variance (torch normalises with the biased one; the running "
        "estimate is unbiased); differs most for small batches",
        "            var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)  # one pass; biased: divided by m\n"
        "            m = x.numel() // x.shape[1]\n"
        "            with torch.no_grad():\n"
        "                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)\n"
        "                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * m / (m - 1))\n",
        "            var, mean = torch.var_mean(x, dim=(0, 2, 3))\n            m = x.numel() // x.shape[1]\n"
        "            with torch.no_grad():\n"
        "                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)\n"
        "                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)\n",
    ),
    Mutant(
        "bn_unbiased_everywhere",
        "x.var's default (unbiased) is used to normalise and the running update then corrects it a second time",
        "            var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)  # one pass; biased: divided by m\n",
        "            var, mean = torch.var_mean(x, dim=(0, 2, 3))\n",
    ),
    Mutant(
        "bn_momentum_inverted",
        "momentum weighs the old running statistics instead of the new batch (Keras' convention, not torch's)",
        "                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)\n"
        "                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * m / (m - 1))\n",
        "                self.running_mean.mul_(self.momentum).add_((1 - self.momentum) * mean)\n"
        "                self.running_var.mul_(self.momentum).add_((1 - self.momentum) * var * m / (m - 1))\n",
    ),
    Mutant(
        "bn_var_over_batch_axis_only",
        "the variance is taken over N only and then averaged over the pixels (statistics over the wrong axes)",
        "            var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)  # one pass; biased: divided by m\n",
        "            var, mean = x.var(dim=0, unbiased=False).mean(dim=(1, 2)), x.mean(dim=(0, 2, 3))\n",
    ),
    Mutant(
        "bn_stats_over_channels",
        "the statistics are taken over (C, H, W) for each image instead of over (N, H, W) for each channel",
        "            var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)  # one pass; biased: divided by m\n",
        "            var, mean = torch.var_mean(x, dim=(1, 2, 3), unbiased=False)\n",
    ),
    Mutant(
        "bn_eps_outside_sqrt",
        "eps is added to the standard deviation instead of the variance (visible when eps is not tiny)",
        "        scale = torch.rsqrt(var + self.eps)\n",
        "        scale = 1 / (torch.sqrt(var) + self.eps)\n",
    ),
    Mutant(
        "bn_affine_not_applied",
        "weight and bias are created but never applied: the output is only normalised",
        "        if self.affine:\n            scale, shift = scale * self.weight, shift * self.weight + self.bias\n",
        "",
    ),
    Mutant(
        "bn_affine_off_keeps_parameters",
        "affine=False still creates weight and bias (the state dict gets keys torch's does not have)",
        "        if affine:\n            self.weight = nn.Parameter(torch.ones(num_features))\n",
        "        if True:\n            self.weight = nn.Parameter(torch.ones(num_features))\n",
    ),
    Mutant(
        "bn_batches_not_counted",
        "num_batches_tracked is never incremented",
        "                self.num_batches_tracked.add_(1)\n",
        "",
    ),
    Mutant(
        "bn_eval_uses_batch_stats",
        "eval mode still normalises with (and updates) the batch statistics",
        "        if self.training:\n            var, mean = torch.var_mean(",
        "        if True:\n            var, mean = torch.var_mean(",
    ),
    Mutant(
        "bn_batch_stats_detached",
        "the batch mean and variance are detached, so the gradient ignores how they depend on x",
        "            var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)  # one pass; biased: divided by m\n",
        "            var, mean = (t.detach() for t in torch.var_mean(x, dim=(0, 2, 3), unbiased=False))\n",
    ),
    Mutant(
        "bn_running_var_starts_at_zero",
        "running_var starts at zeros instead of ones",
        "        self.register_buffer(\"running_var\", torch.ones(num_features))\n",
        "        self.register_buffer(\"running_var\", torch.zeros(num_features))\n",
    ),
    Mutant(
        "bn_batches_tracked_float",
        "num_batches_tracked is a float tensor instead of torch's int64",
        "torch.tensor(0, dtype=torch.long)",
        "torch.tensor(0.0)",
    ),
    Mutant(
        "bn_running_stats_as_parameters",
        "the running statistics are registered as parameters (the optimizer would train them) instead of buffers",
        "        self.register_buffer(\"running_mean\", torch.zeros(num_features))\n"
        "        self.register_buffer(\"running_var\", torch.ones(num_features))\n",
        "        self.running_mean = nn.Parameter(torch.zeros(num_features))\n"
        "        self.running_var = nn.Parameter(torch.ones(num_features))\n",
    ),
    # -- blocks ----------------------------------------------------------------------------------
    Mutant(
        "relu_before_addition",
        "BasicBlock applies ReLU to the residual branch before adding the shortcut (the branch can only add)",
        "        out = self.bn2(self.conv2(out))\n        return self.relu(out + identity)\n",
        "        out = self.relu(self.bn2(self.conv2(out)))\n        return self.relu(out + identity)\n",
    ),
    Mutant(
        "no_relu_after_addition",
        "Bottleneck returns the sum without the final ReLU",
        "        out = self.bn3(self.conv3(out))\n        return self.relu(out + identity)\n",
        "        out = self.bn3(self.conv3(out))\n        return out + identity\n",
    ),
    Mutant(
        "projection_without_bn",
        "BasicBlock's projection shortcut is the 1x1 convolution alone, without its BN",
        "                self.downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride), "
        "norm_layer(out_channels))\n",
        "                self.downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride))\n",
    ),
    Mutant(
        "projection_always",
        "Bottleneck projects the shortcut even when the shape is kept (option C-like; extra parameters)",
        "        if stride != 1 or in_channels != out_channels:\n            self.downsample = nn.Sequential",
        "        if True:\n            self.downsample = nn.Sequential",
    ),
    Mutant(
        "projection_only_for_channels",
        "BasicBlock projects only when the channels change, so a stride-2 block with kept channels adds "
        "mismatched maps",
        "        if stride != 1 or in_channels != out_channels:\n            if shortcut",
        "        if in_channels != out_channels:\n            if shortcut",
    ),
    Mutant(
        "projection_never",
        "Bottleneck never projects: the shortcut is x even when the shape changes",
        "        if stride != 1 or in_channels != out_channels:\n            self.downsample = nn.Sequential",
        "        if False:\n            self.downsample = nn.Sequential",
    ),
    Mutant(
        "bottleneck_stride_on_first_1x1",
        "Bottleneck strides its first 1x1 convolution (the paper's v1) instead of the 3x3 (torchvision's v1.5)",
        "        self.conv1 = conv1x1(in_channels, mid_channels)\n        self.bn1 = norm_layer(mid_channels)\n"
        "        self.conv2 = conv3x3(mid_channels, mid_channels, stride)\n",
        "        self.conv1 = conv1x1(in_channels, mid_channels, stride)\n        self.bn1 = norm_layer(mid_channels)\n"
        "        self.conv2 = conv3x3(mid_channels, mid_channels)\n",
    ),
    Mutant(
        "bottleneck_stride_on_last_1x1",
        "Bottleneck strides its last 1x1 convolution instead of the 3x3",
        "        self.conv2 = conv3x3(mid_channels, mid_channels, stride)\n"
        "        self.bn2 = norm_layer(mid_channels)\n"
        "        self.conv3 = conv1x1(mid_channels, out_channels)\n",
        "        self.conv2 = conv3x3(mid_channels, mid_channels)\n        self.bn2 = norm_layer(mid_channels)\n"
        "        self.conv3 = conv1x1(mid_channels, out_channels, stride)\n",
    ),
    Mutant(
        "bottleneck_expansion_two",
        "Bottleneck widens to 2 * mid_channels instead of 4 * mid_channels",
        "        self.conv3 = conv1x1(mid_channels, out_channels)\n",
        "        out_channels = 2 * mid_channels\n        self.conv3 = conv1x1(mid_channels, out_channels)\n",
    ),
    Mutant(
        "basic_block_bn_after_relu",
        "BasicBlock's first conv is followed by ReLU and then BN (the order swapped)",
        "        out = self.relu(self.bn1(self.conv1(x)))\n        out = self.bn2(self.conv2(out))\n",
        "        out = self.bn1(self.relu(self.conv1(x)))\n        out = self.bn2(self.conv2(out))\n",
    ),
    Mutant(
        "plain_block_keeps_identity",
        "PlainBlock still adds its input when the shape allows (a BasicBlock in disguise)",
        "        return self.relu(self.bn2(self.conv2(out)))\n",
        "        out = self.bn2(self.conv2(out))\n        return self.relu(out + x if out.shape == x.shape else out)\n",
    ),
    Mutant(
        "zero_pad_subsamples_odd_pixels",
        "the zero-padded shortcut keeps pixels 1, 3, 5, ... instead of 0, 2, 4, ... (wrong maps, or wrong sizes "
        "for odd H)",
        "        x = x[:, :, ::self.stride, ::self.stride]\n",
        "        x = x[:, :, self.stride - 1::self.stride, self.stride - 1::self.stride]\n",
    ),
    Mutant(
        "zero_pad_in_front",
        "the zero-padded shortcut puts the zero channels before the input's instead of after them",
        "(0, 0, 0, 0, 0, self.out_channels - self.in_channels)",
        "(0, 0, 0, 0, self.out_channels - self.in_channels, 0)",
    ),
    # -- ResNet ----------------------------------------------------------------------------------
    Mutant(
        "stem_pool_unpadded",
        "the stem's 3x3/2 max pooling is not padded: 112 -> 55 instead of 56",
        "nn.MaxPool2d(kernel_size=3, stride=2, padding=1)",
        "nn.MaxPool2d(kernel_size=3, stride=2)",
    ),
    Mutant(
        "stem_conv_padding_one",
        "the stem's 7x7/2 convolution is padded by 1 instead of 3: 224 -> 110",
        "kernel_size=7, stride=2, padding=3, bias=False)",
        "kernel_size=7, stride=2, padding=1, bias=False)",
    ),
    Mutant(
        "stem_conv_with_bias",
        "the stem convolution has a bias (64 extra parameters the BN after it makes useless)",
        "kernel_size=7, stride=2, padding=3, bias=False)",
        "kernel_size=7, stride=2, padding=3)",
    ),
    Mutant(
        "stem_ignores_in_channels",
        "the stem always reads 3 channels; only in_channels != 3 exposes it",
        "nn.Conv2d(in_channels, 64, kernel_size=7",
        "nn.Conv2d(3, 64, kernel_size=7",
    ),
    Mutant(
        "forward_skips_maxpool",
        "the stem's max pooling is built but not applied in forward",
        "        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))\n",
        "        x = self.relu(self.bn1(self.conv1(x)))\n",
    ),
    Mutant(
        "every_stage_strided",
        "layer1 is strided too (stride 2 in every stage): the maps are halved once too often",
        "stride=1 if i == 0 else 2, norm_layer=norm_layer)\n",
        "stride=2, norm_layer=norm_layer)\n",
    ),
    Mutant(
        "fc_input_ignores_expansion",
        "fc always reads 512 features: wrong for bottleneck networks (2048)",
        "            channels = width * block.expansion\n        self.avgpool = nn.AdaptiveAvgPool2d(1)\n"
        "        self.fc = nn.Linear(channels, num_classes)\n",
        "            channels = width * block.expansion\n        self.avgpool = nn.AdaptiveAvgPool2d(1)\n"
        "        self.fc = nn.Linear(512, num_classes)\n",
    ),
    Mutant(
        "fixed_average_pool",
        "the global average pooling is a fixed 7x7 window: right only for 224x224 inputs",
        "            channels = width * block.expansion\n        self.avgpool = nn.AdaptiveAvgPool2d(1)\n",
        "            channels = width * block.expansion\n        self.avgpool = nn.AvgPool2d(7)\n",
    ),
    Mutant(
        "stage_input_ignores_expansion",
        "make_stage feeds the later blocks `width` channels instead of width * expansion (bottlenecks break)",
        "    blocks += [block(width * block.expansion, width, 1, **options) for _ in range(num_blocks - 1)]\n",
        "    blocks += [block(width, width, 1, **options) for _ in range(num_blocks - 1)]\n",
    ),
    Mutant(
        "stage_blocks_one_short",
        "make_stage builds one block fewer than asked (the first block counted twice)",
        "for _ in range(num_blocks - 1)]\n",
        "for _ in range(num_blocks - 2)]\n",
    ),
    Mutant(
        "layer1_skipped_in_forward",
        "layer1 is built (its parameters are counted) but forward skips it",
        "        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))\n",
        "        x = self.layer4(self.layer3(self.layer2(x)))\n",
    ),
    Mutant(
        "norm_layer_not_passed_on",
        "ResNet uses norm_layer for its stem only; the blocks get the default nn.BatchNorm2d",
        "stride=1 if i == 0 else 2, norm_layer=norm_layer)\n",
        "stride=1 if i == 0 else 2)\n",
    ),
    Mutant(
        "resnet50_basic_blocks",
        "resnet50 is built from basic blocks (the configuration of ResNet-34)",
        "    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes=num_classes)\n",
        "    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes=num_classes)\n",
    ),
    Mutant(
        "resnet152_configuration",
        "resnet152 uses [3, 4, 36, 3] blocks (layer2 as ResNet-50's) instead of [3, 8, 36, 3]",
        "[3, 8, 36, 3], num_classes=num_classes)",
        "[3, 4, 36, 3], num_classes=num_classes)",
    ),
    Mutant(
        "resnet18_ignores_num_classes",
        "resnet18 always has 1000 outputs",
        "    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)\n",
        "    return ResNet(BasicBlock, [2, 2, 2, 2])\n",
    ),
    Mutant(
        "depth_two_per_block",
        "resnet_depth counts two layers per block for bottlenecks too (ResNet-50 would be 34)",
        "    return 1 + block.depth * sum(layers) + 1\n",
        "    return 1 + 2 * sum(layers) + 1\n",
    ),
    Mutant(
        "depth_without_fc",
        "resnet_depth leaves out the fully connected layer (ResNet-152 would be 151)",
        "    return 1 + block.depth * sum(layers) + 1\n",
        "    return 1 + block.depth * sum(layers)\n",
    ),
    # -- CifarResNet -----------------------------------------------------------------------------
    Mutant(
        "cifar_imagenet_widths",
        "the CIFAR stages use ImageNet's widths 64/128/256 instead of 16/32/64",
        "        for i, width in enumerate(CIFAR_WIDTHS):\n",
        "        for i, width in enumerate(STAGE_WIDTHS[:3]):\n",
    ),
    Mutant(
        "cifar_three_layers_per_block",
        "n is computed as (depth - 2) / 3: twice the blocks of a 6n + 2 network",
        "        n = (depth - 2) // 6\n",
        "        n = (depth - 2) // 3\n",
    ),
    Mutant(
        "cifar_residual_ignored",
        "residual=False still builds residual blocks",
        "if residual else (PlainBlock, {})",
        "if True else (PlainBlock, {})",
    ),
    Mutant(
        "cifar_shortcut_option_ignored",
        "the CIFAR blocks always get the default (projection) shortcut: ResNet-20 has 272,474 parameters, not 269,722",
        "(BasicBlock, {\"shortcut\": shortcut}) if residual",
        "(BasicBlock, {}) if residual",
    ),
    Mutant(
        "cifar_stem_max_pool",
        "the CIFAR network pools right after its first convolution, as the ImageNet stem does",
        "        x = self.relu(self.bn1(self.conv1(x)))\n        x = self.layer3",
        "        x = F.max_pool2d(self.relu(self.bn1(self.conv1(x))), 3, 2, 1)\n        x = self.layer3",
    ),
]
