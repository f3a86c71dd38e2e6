"""Mutants of solutions/lenet.py: plausible student bugs in notebook 04 (LeNet-5, its training loop, checkpoints)."""

from tests.mutants import Mutant

MUTANTS = [
    # -- the network --------------------------------------------------------------------------
    Mutant(
        "max_pooling",
        "S2 takes the maximum of each window instead of the average (values differ, shapes do not)",
        "        self.s2 = nn.AvgPool2d(2)\n        self.c3",
        "        self.s2 = nn.MaxPool2d(2)\n        self.c3",
    ),
    Mutant(
        "c1_same_padding",
        "C1 pads by 2 ('same' convolution), so every later map is larger and C5 sees a 2x2 map",
        "        self.c1 = nn.Conv2d(in_channels, 6, kernel_size=5)\n",
        "        self.c1 = nn.Conv2d(in_channels, 6, kernel_size=5, padding=2)\n",
    ),
    Mutant(
        "c1_ignores_in_channels",
        "C1 always reads one channel; only colour (in_channels=3) inputs expose it",
        "        self.c1 = nn.Conv2d(in_channels, 6, kernel_size=5)\n",
        "        self.c1 = nn.Conv2d(1, 6, kernel_size=5)\n",
    ),
    Mutant(
        "out_ignores_num_classes",
        "the last layer always has 10 outputs; only num_classes != 10 exposes it",
        "        self.out = nn.Linear(84, num_classes)\n",
        "        self.out = nn.Linear(84, 10)\n",
    ),
    Mutant(
        "c3_table_ignored",
        "c3_table=True still builds the full C3 (2,416 parameters instead of 1,516)",
        "        self.c3 = TableConv2d(6, C3_TABLE) if c3_table else nn.Conv2d(6, 16, kernel_size=5)\n",
        "        self.c3 = nn.Conv2d(6, 16, kernel_size=5)\n",
    ),
    Mutant(
        "pools_assigned_last",
        "the pooling layers are created after the others, so the layers are listed as c1 c3 c5 f6 out s2 s4",
        "        self.s2 = nn.AvgPool2d(2)\n        self.c3 = TableConv2d(6, C3_TABLE) if c3_table else "
        "nn.Conv2d(6, 16, kernel_size=5)\n        self.s4 = nn.AvgPool2d(2)\n        self.c5 = nn.Conv2d(16, 120, "
        "kernel_size=5)\n        self.f6 = nn.Linear(120, 84)\n        self.out = nn.Linear(84, num_classes)\n",
        "        self.c3 = TableConv2d(6, C3_TABLE) if c3_table else nn.Conv2d(6, 16, kernel_size=5)\n"
        "        self.c5 = nn.Conv2d(16, 120, kernel_size=5)\n        self.f6 = nn.Linear(120, 84)\n"
        "        self.out = nn.Linear(84, num_classes)\n        self.s2 = nn.AvgPool2d(2)\n"
        "        self.s4 = nn.AvgPool2d(2)\n",
    ),
    Mutant(
        "f6_without_bias",
        "F6 has no bias (84 parameters short)",
        "        self.f6 = nn.Linear(120, 84)\n",
        "        self.f6 = nn.Linear(120, 84, bias=False)\n",
    ),
    Mutant(
        "no_activation_after_c5",
        "C5 feeds F6 without its activation",
        "        x = act(self.c5(x)).flatten(1)\n",
        "        x = self.c5(x).flatten(1)\n",
    ),
    Mutant(
        "activation_after_pooling",
        "the activation is applied after S2 instead of before it (tanh and the average do not commute)",
        "        x = self.s2(act(self.c1(x)))\n",
        "        x = act(self.s2(self.c1(x)))\n",
    ),
    Mutant(
        "activation_on_logits",
        "the output layer is squashed by the activation too (logits confined to (-1, 1) with tanh)",
        "        return self.out(x)\n",
        "        return act(self.out(x))\n",
    ),
    Mutant(
        "tanh_hard_coded",
        "C1 always uses tanh, whatever `activation` says; only activation='relu' exposes it",
        "        x = self.s2(act(self.c1(x)))\n",
        "        x = self.s2(torch.tanh(self.c1(x)))\n",
    ),
    Mutant(
        "flatten_whole_batch",
        "C5's output is flattened over the batch too; right only for a batch of one",
        "        x = act(self.c5(x)).flatten(1)\n",
        "        x = act(self.c5(x)).flatten()\n",
    ),
    # -- the sparse C3 ---------------------------------------------------------------------------
    Mutant(
        "table_transposed",
        "the table is read as input map -> output maps: the kernels land on the wrong (output, input) pairs",
        "        pairs = [o * in_channels + i for o, inputs in enumerate(table) for i in inputs]\n",
        "        pairs = [(i * len(table) + o) % (len(table) * in_channels) for o, inputs in enumerate(table) "
        "for i in inputs]\n",
    ),
    Mutant(
        "table_without_bias",
        "the sparse C3 has no biases (1,500 parameters instead of 1,516)",
        "        self.bias = nn.Parameter(torch.empty(len(table)).uniform_(-bound, bound))\n",
        "        self.bias = None\n",
    ),
    Mutant(
        "table_first_maps_only",
        "each C3 map reads the first len(table[o]) S2 maps instead of the ones the table lists",
        "        pairs = [o * in_channels + i for o, inputs in enumerate(table) for i in inputs]\n",
        "        pairs = [o * in_channels + i for o, inputs in enumerate(table) for i in range(len(inputs))]\n",
    ),
    Mutant(
        "table_bias_unused",
        "the sparse C3 registers its biases (1,516 parameters) but its forward never adds them",
        "        return F.conv2d(x, full.view(self.out_channels, self.in_channels, k, k), self.bias)\n",
        "        return F.conv2d(x, full.view(self.out_channels, self.in_channels, k, k))\n",
    ),
    Mutant(
        "table_weight_detached",
        "the sparse C3 builds its dense kernel from a detached copy of its weights: they never get a gradient",
        "index_copy(0, self.pairs, self.weight)\n",
        "index_copy(0, self.pairs, self.weight.detach())\n",
    ),
    Mutant(
        "table_weight_frozen",
        "the sparse C3's weights are created with requires_grad=False, so training never changes them",
        "kernel_size).uniform_(-bound, bound))\n        self.bias",
        "kernel_size).uniform_(-bound, bound),\n                                   requires_grad=False)\n        self.bias",
    ),
    Mutant(
        "f6_weight_detached",
        "F6 is applied through a detached copy of its weight (functional call with .detach()): F6 never learns",
        "        x = act(self.f6(x))\n",
        "        x = act(F.linear(x, self.f6.weight.detach(), self.f6.bias))\n",
    ),
    # -- train_one_epoch -------------------------------------------------------------------------
    Mutant(
        "no_zero_grad",
        "gradients are never cleared, so every step adds up all earlier batches' gradients",
        "        optimizer.zero_grad()\n        loss = loss_fn(model(x), y)\n",
        "        loss = loss_fn(model(x), y)\n",
    ),
    Mutant(
        "no_train_mode",
        "the model is not put in training mode: batch norm uses its running statistics and does not update them",
        "    model.train()\n    total, count = 0.0, 0\n",
        "    total, count = 0.0, 0\n",
    ),
    Mutant(
        "zero_grad_before_step",
        "the gradients are cleared between backward() and step(), so the optimizer never sees them",
        "        loss.backward()\n        optimizer.step()\n",
        "        loss.backward()\n        optimizer.zero_grad()\n        optimizer.step()\n",
    ),
    Mutant(
        "step_before_backward",
        "step() runs before backward(), so each step uses the previous batch's gradients",
        "        loss.backward()\n        optimizer.step()\n",
        "        optimizer.step()\n        loss.backward()\n",
    ),
    Mutant(
        "loss_mean_of_batch_means",
        "the epoch loss averages the batch means without weighting by batch size (differs for uneven batches)",
        "        total += loss.item() * len(y)\n        count += len(y)\n",
        "        total += loss.item()\n        count += 1\n",
    ),
    Mutant(
        "loss_summed_over_examples",
        "the epoch loss divides the sum of batch means by the number of examples (a reduction mix-up)",
        "        total += loss.item() * len(y)\n        count += len(y)\n",
        "        total += loss.item()\n        count += len(y)\n",
    ),
    Mutant(
        "loss_returned_as_tensor",
        "the epoch loss is accumulated from loss.detach() instead of loss.item(): a tensor comes back, not a float",
        "        total += loss.item() * len(y)\n",
        "        total += loss.detach() * len(y)\n",
    ),
    # -- evaluate --------------------------------------------------------------------------------
    Mutant(
        "no_eval_mode",
        "evaluate leaves the model in training mode: batch norm uses batch statistics and updates its running ones",
        "    model.eval()\n    correct, count = 0, 0\n",
        "    correct, count = 0, 0\n",
    ),
    Mutant(
        "evaluate_builds_graph",
        "evaluate runs with autograd on (a graph is built for nothing; memory grows)",
        "    with torch.no_grad():\n        for x, y in loader:\n            x, y = x.to(device), y.to(device)\n"
        "            correct += (model(x).argmax(dim=1) == y).sum().item()\n            count += len(y)\n",
        "    for x, y in loader:\n        x, y = x.to(device), y.to(device)\n"
        "        correct += (model(x).argmax(dim=1) == y).sum().item()\n        count += len(y)\n",
    ),
    Mutant(
        "accuracy_mean_of_batches",
        "the accuracy averages per-batch accuracies, so small last batches weigh as much as full ones",
        "            correct += (model(x).argmax(dim=1) == y).sum().item()\n            count += len(y)\n",
        "            correct += (model(x).argmax(dim=1) == y).float().mean().item()\n            count += 1\n",
    ),
    Mutant(
        "accuracy_returned_as_tensor",
        "the correct predictions are counted without .item(): the accuracy comes back as a tensor, not a float",
        "            correct += (model(x).argmax(dim=1) == y).sum().item()\n",
        "            correct += (model(x).argmax(dim=1) == y).sum()\n",
    ),
    Mutant(
        "evaluate_back_to_train_mode",
        "evaluate computes in eval mode but switches the model back to training mode before returning",
        "            correct += (model(x).argmax(dim=1) == y).sum().item()\n            count += len(y)\n",
        "            correct += (model(x).argmax(dim=1) == y).sum().item()\n            count += len(y)\n"
        "    model.train()\n",
    ),
    Mutant(
        "evaluate_grad_mode_left_off",
        "evaluate turns autograd off with torch.set_grad_enabled(False) and never turns it back on",
        "    with torch.no_grad():\n        for x, y in loader:\n",
        "    torch.set_grad_enabled(False)\n    if True:\n        for x, y in loader:\n",
    ),
    # -- checkpoints -----------------------------------------------------------------------------
    Mutant(
        "optimizer_not_saved",
        "the optimizer state is not saved (nor restored): Adam's moments and SGD's momentum restart from zero",
        "    if optimizer is not None:\n        state[\"optimizer\"] = optimizer.state_dict()\n    torch.save",
        "    torch.save",
    ),
    Mutant(
        "epoch_not_saved",
        "the epoch is not kept: load_checkpoint always returns 0",
        "    return int(state[\"epoch\"])\n",
        "    return 0\n",
    ),
    Mutant(
        "load_without_weights_only",
        "the checkpoint is read with weights_only=False, so a booby-trapped file can run code",
        "    state = torch.load(path, map_location=\"cpu\", weights_only=True)\n",
        "    state = torch.load(path, map_location=\"cpu\", weights_only=False)\n",
    ),
    Mutant(
        "load_ignores_optimizer",
        "load_checkpoint restores the model but not the optimizer it is given",
        "        optimizer.load_state_dict(state[\"optimizer\"])\n",
        "        pass\n",
    ),
    Mutant(
        "load_not_strict",
        "the model state is loaded with strict=False: a checkpoint of another model loads silently, in part",
        "    model.load_state_dict(state[\"model\"])\n",
        "    model.load_state_dict(state[\"model\"], strict=False)\n",
    ),
    Mutant(
        "save_parameters_only",
        "only the parameters are saved (named_parameters), not the buffers: batch-norm statistics are lost",
        "    state = {\"model\": model.state_dict(), \"epoch\": int(epoch)}\n",
        "    state = {\"model\": dict(model.named_parameters()), \"epoch\": int(epoch)}\n",
    ),
    Mutant(
        "save_without_rename",
        "the checkpoint goes to a temporary file that is never moved onto `path`, which stays an empty placeholder",
        "    torch.save(state, path)\n",
        "    torch.save(state, str(path) + \".tmp\")\n    Path(path).touch()\n",
    ),
]
