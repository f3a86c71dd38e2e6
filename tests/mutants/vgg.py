"""Mutants of solutions/vgg.py: plausible student bugs in notebook 05 (VGG's blocks, the network, parameter counts)."""

from tests.mutants import Mutant

CONV = "        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel_size=3, padding=1))\n"
BN = "        if batch_norm:\n            layers.append(nn.BatchNorm2d(out_channels))\n"
RELU = "        layers.append(nn.ReLU(inplace=True))\n"
POOL = "    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))\n"
HIDDEN = ("            nn.Linear(channels * side * side, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),\n"
          "            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),\n")
LAST = "            nn.Linear(hidden, num_classes),\n"

MUTANTS = [
    # -- vgg_block ------------------------------------------------------------------------------
    Mutant(
        "pool_after_every_conv",
        "the max pooling sits inside the loop, so a block of n convolutions divides H and W by 2**n",
        RELU + POOL,
        RELU + "    " + POOL,
    ),
    Mutant(
        "conv_padding_0",
        "the 3x3 convolutions are not padded, so each one shrinks H and W by 2",
        "kernel_size=3, padding=1))",
        "kernel_size=3))",
    ),
    Mutant(
        "kernel_5",
        "5x5 convolutions with padding 2: the same shapes, 25/9 as many weights",
        "kernel_size=3, padding=1))",
        "kernel_size=5, padding=2))",
    ),
    Mutant(
        "conv_bias_dropped_with_batch_norm",
        "the convolutions lose their bias when batch norm follows (a common choice, but not torchvision's VGG)",
        "kernel_size=3, padding=1))",
        "kernel_size=3, padding=1, bias=not batch_norm))",
    ),
    Mutant(
        "every_conv_reads_in_channels",
        "every convolution of a block reads in_channels maps, not only the first; wrong when in != out",
        "nn.Conv2d(in_channels if i == 0 else out_channels, out_channels",
        "nn.Conv2d(in_channels, out_channels",
    ),
    Mutant(
        "no_relu_after_last_conv",
        "the ReLU is only put between convolutions, so the last one of each block feeds the pooling directly",
        RELU + POOL,
        "        if i < num_convs - 1:\n    " + RELU + POOL,
    ),
    Mutant(
        "relu_before_batch_norm",
        "conv -> ReLU -> BatchNorm instead of conv -> BatchNorm -> ReLU",
        BN + RELU,
        RELU + BN,
    ),
    Mutant(
        "batch_norm_before_conv",
        "batch norm normalises the convolution's input instead of its output",
        CONV + BN,
        "        if batch_norm:\n            layers.append(nn.BatchNorm2d(in_channels if i == 0 else out_channels))\n" + CONV,
    ),
    Mutant(
        "batch_norm_on_first_conv_only",
        "only the first convolution of each block gets batch norm",
        "        if batch_norm:\n",
        "        if batch_norm and i == 0:\n",
    ),
    Mutant(
        "average_pooling",
        "2x2 average pooling instead of max pooling (same shapes, other values)",
        "nn.MaxPool2d(kernel_size=2, stride=2)",
        "nn.AvgPool2d(kernel_size=2, stride=2)",
    ),
    Mutant(
        "overlapping_3x3_pooling",
        "AlexNet's overlapping 3x3 pooling with stride 2: maps come out (H - 3) // 2 + 1, not H // 2",
        "nn.MaxPool2d(kernel_size=2, stride=2)",
        "nn.MaxPool2d(kernel_size=3, stride=2)",
    ),
    Mutant(
        "strided_conv_instead_of_pool",
        "the last convolution of a block has stride 2 and there is no pooling (same shapes and counts)",
        "    for i in range(num_convs):\n" + CONV + BN + RELU + POOL,
        "    for i in range(num_convs):\n        stride = 2 if i == num_convs - 1 else 1\n"
        "        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel_size=3, "
        "padding=1, stride=stride))\n" + BN + RELU,
    ),
    Mutant(
        "one_conv_too_few",
        "range(num_convs - 1): a block has one convolution fewer (none at all for num_convs=1)",
        "    for i in range(num_convs):\n",
        "    for i in range(num_convs - 1):\n",
    ),
    Mutant(
        "one_conv_too_many",
        "range(num_convs + 1): a block has one convolution more",
        "    for i in range(num_convs):\n",
        "    for i in range(num_convs + 1):\n",
    ),
    # -- stacked_conv_params --------------------------------------------------------------------
    Mutant(
        "stacked_params_with_bias",
        "counts the biases too: num_layers * (k*k*C + 1) * C",
        "    return num_layers * kernel_size ** 2 * channels ** 2\n",
        "    return num_layers * (kernel_size ** 2 * channels + 1) * channels\n",
    ),
    Mutant(
        "stacked_params_kernel_not_squared",
        "k * C^2 per layer: the kernel's area taken as its side",
        "    return num_layers * kernel_size ** 2 * channels ** 2\n",
        "    return num_layers * kernel_size * channels ** 2\n",
    ),
    Mutant(
        "stacked_params_channels_once",
        "k^2 * C per layer: one filter counted instead of C filters of depth C",
        "    return num_layers * kernel_size ** 2 * channels ** 2\n",
        "    return num_layers * kernel_size ** 2 * channels\n",
    ),
    # -- VGG: features ----------------------------------------------------------------------------
    Mutant(
        "blocks_all_read_in_channels",
        "every block reads in_channels instead of the previous block's out_channels",
        "            blocks.append(vgg_block(channels, out_channels, num_convs, batch_norm))\n",
        "            blocks.append(vgg_block(in_channels, out_channels, num_convs, batch_norm))\n",
    ),
    Mutant(
        "in_channels_ignored",
        "the first block always reads 3 (RGB) channels; only in_channels != 3 exposes it",
        "        blocks, channels = [], in_channels\n",
        "        blocks, channels = [], 3\n",
    ),
    Mutant(
        "batch_norm_not_passed_on",
        "VGG does not pass batch_norm to its blocks",
        "vgg_block(channels, out_channels, num_convs, batch_norm)",
        "vgg_block(channels, out_channels, num_convs)",
    ),
    Mutant(
        "features_flat",
        "the blocks' layers are put in one flat nn.Sequential (torchvision's layout), so the state-dict keys differ",
        "        self.features = nn.Sequential(*blocks)\n",
        "        self.features = nn.Sequential(*[layer for block in blocks for layer in block])\n",
    ),
    # -- VGG: classifier --------------------------------------------------------------------------
    Mutant(
        "fc_input_for_224",
        "the first Linear layer always expects 7x7 maps (right only for 224x224 images and five blocks)",
        "        side = image_size // 2 ** len(arch)\n",
        "        side = 7  # 224 / 2**5\n",
    ),
    Mutant(
        "side_two_times_blocks",
        "image_size // (2 * len(arch)) instead of image_size // 2**len(arch); right for one or two blocks",
        "        side = image_size // 2 ** len(arch)\n",
        "        side = image_size // (2 * len(arch))\n",
    ),
    Mutant(
        "hidden_ignored",
        "the hidden layers always have 4096 units",
        HIDDEN + LAST,
        HIDDEN.replace("hidden", "4096") + LAST.replace("hidden", "4096"),
    ),
    Mutant(
        "num_classes_ignored",
        "the last layer always has 1000 outputs",
        LAST,
        "            nn.Linear(hidden, 1000),\n",
    ),
    Mutant(
        "no_dropout",
        "the classifier has no dropout at all (training-mode outputs and the layout differ)",
        HIDDEN,
        HIDDEN.replace(", nn.Dropout(dropout)", ""),
    ),
    Mutant(
        "dropout_fixed_at_half",
        "nn.Dropout() with its default p=0.5 whatever `dropout` says",
        HIDDEN,
        HIDDEN.replace("nn.Dropout(dropout)", "nn.Dropout()"),
    ),
    Mutant(
        "dropout_before_linears",
        "dropout on the input of every Linear layer but the last (on the flattened features too)",
        HIDDEN,
        "            nn.Dropout(dropout), nn.Linear(channels * side * side, hidden), nn.ReLU(inplace=True),\n"
        "            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),\n",
    ),
    Mutant(
        "dropout_before_relu",
        "Linear -> Dropout -> ReLU: the same numbers, but not the layout the contract fixes",
        HIDDEN,
        HIDDEN.replace("nn.ReLU(inplace=True), nn.Dropout(dropout)", "nn.Dropout(dropout), nn.ReLU(inplace=True)"),
    ),
    Mutant(
        "one_hidden_layer",
        "the classifier has one hidden layer instead of two",
        HIDDEN,
        "            nn.Linear(channels * side * side, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),\n",
    ),
    Mutant(
        "relu_on_logits",
        "a ReLU after the last Linear layer clips the logits at 0",
        LAST,
        "            nn.Linear(hidden, num_classes), nn.ReLU(inplace=True),\n",
    ),
    # -- VGG: forward -----------------------------------------------------------------------------
    Mutant(
        "flatten_whole_batch",
        "torch.flatten(x) flattens the batch too; wrong shapes for every batch",
        "self.classifier(torch.flatten(x, 1))",
        "self.classifier(torch.flatten(x))",
    ),
    Mutant(
        "flatten_channels_last",
        "flattens each map channels-last (H, W, C); the same numbers only when the maps are 1x1",
        "self.classifier(torch.flatten(x, 1))",
        "self.classifier(torch.flatten(x.permute(0, 2, 3, 1), 1))",
    ),
    # -- the named networks -----------------------------------------------------------------------
    Mutant(
        "vgg16_built_from_vgg11_arch",
        "vgg16 copied from vgg11 without changing the configuration",
        "    return VGG(VGG16_ARCH, num_classes=num_classes)\n",
        "    return VGG(VGG11_ARCH, num_classes=num_classes)\n",
    ),
    Mutant(
        "vgg11_ignores_batch_norm",
        "vgg11 never passes batch_norm on",
        "    return VGG(VGG11_ARCH, num_classes=num_classes, batch_norm=batch_norm)\n",
        "    return VGG(VGG11_ARCH, num_classes=num_classes)\n",
    ),
]
