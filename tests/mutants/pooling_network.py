"""Mutants of the ConvNet section of solutions/pooling.py (notebook 02, section 6): plausible bugs in the affine,
ReLU and softmax cross-entropy layers, the network's wiring, initialisation and regularisation, and the momentum
step. tests/mutants/pooling.py adds them to its MUTANTS."""

from tests.mutants import Mutant

MUTANTS = [
    # -- affine -------------------------------------------------------------------------------
    Mutant(
        "affine_dx_not_reshaped",
        "affine_backward returns dx flattened to (N, D) instead of x's shape; differs when x has more than 2 axes",
        "    dx = (dout @ w.T).reshape(x.shape)\n",
        "    dx = dout @ w.T\n",
    ),
    Mutant(
        "affine_dw_transposed",
        "affine_backward computes dw as dout.T @ x, shaped (M, D) instead of (D, M)",
        "    dw = x.reshape(x.shape[0], -1).T @ dout\n",
        "    dw = dout.T @ x.reshape(x.shape[0], -1)\n",
    ),
    Mutant(
        "affine_db_mean",
        "affine_backward averages dout over the batch for db instead of summing it",
        "    db = dout.sum(axis=0)\n",
        "    db = dout.mean(axis=0)\n",
    ),
    Mutant(
        "affine_no_bias",
        "affine_forward forgets the bias",
        "    out = x.reshape(x.shape[0], -1) @ w + b\n",
        "    out = x.reshape(x.shape[0], -1) @ w\n",
    ),
    # -- relu ---------------------------------------------------------------------------------
    Mutant(
        "relu_backward_passes_zero",
        "relu_backward lets the gradient through where x == 0 (x >= 0); differs only on exact zeros",
        "    dx = dout * (x > 0)\n",
        "    dx = dout * (x >= 0)\n",
    ),
    Mutant(
        "relu_in_place",
        "relu_forward clips x in place, changing the caller's array",
        "    out = np.maximum(x, 0)\n",
        "    out = np.maximum(x, 0, out=x)\n",
    ),
    Mutant(
        "relu_backward_float64",
        "relu_backward builds dx with numpy's default dtype: float32 gradients come back float64",
        "    dx = dout * (x > 0)\n",
        "    dx = np.where(x > 0, dout, np.zeros(1))\n",
    ),
    # -- softmax cross-entropy ----------------------------------------------------------------
    Mutant(
        "softmax_no_max_shift",
        "softmax_cross_entropy exponentiates the raw scores: exp overflows for scores in the hundreds",
        "    shifted = scores - scores.max(axis=1, keepdims=True)\n",
        "    shifted = scores\n",
    ),
    Mutant(
        "softmax_loss_summed",
        "softmax_cross_entropy sums the loss over the batch instead of averaging it",
        "    loss = -float(log_probs[np.arange(N), y].mean())\n",
        "    loss = -float(log_probs[np.arange(N), y].sum())\n",
    ),
    Mutant(
        "softmax_grad_not_averaged",
        "softmax_cross_entropy averages the loss but forgets to divide dscores by N",
        "    dscores /= N\n",
        "",
    ),
    Mutant(
        "softmax_labels_off_by_one",
        "softmax_cross_entropy reads the label's neighbour (y - 1, wrapping to the last class) as the true class",
        "    loss = -float(log_probs[np.arange(N), y].mean())\n    dscores = np.exp(log_probs)\n"
        "    dscores[np.arange(N), y] -= 1\n",
        "    loss = -float(log_probs[np.arange(N), y - 1].mean())\n    dscores = np.exp(log_probs)\n"
        "    dscores[np.arange(N), y - 1] -= 1\n",
    ),
    # -- ConvNet: initialisation --------------------------------------------------------------
    Mutant(
        "he_fan_out",
        "ConvNet's He scale uses each layer's fan-out instead of its fan-in",
        "            fan_in = int(np.prod(shape[1:])) if name == \"W1\" else shape[0]\n",
        "            fan_in = shape[0] * int(np.prod(shape[2:])) if name == \"W1\" else shape[1]\n",
    ),
    Mutant(
        "he_without_two",
        "ConvNet scales the weights by sqrt(1 / fan_in) (Xavier's, for tanh) instead of He's sqrt(2 / fan_in)",
        "np.sqrt(2.0 / fan_in)",
        "np.sqrt(1.0 / fan_in)",
    ),
    Mutant(
        "weight_scale_ignored",
        "ConvNet always uses He's scale, ignoring weight_scale",
        "            scale = weight_scale if weight_scale is not None else np.sqrt(2.0 / fan_in)\n",
        "            scale = np.sqrt(2.0 / fan_in)\n",
    ),
    Mutant(
        "bias_nonzero",
        "ConvNet initialises the biases to small random numbers instead of zeros",
        "            self.params[f\"b{i}\"] = np.zeros(shape[0] if name == \"W1\" else shape[1], dtype=self.dtype)\n",
        "            self.params[f\"b{i}\"] = (0.01 * rng.standard_normal(shape[0] if name == \"W1\" else shape[1])"
        ").astype(self.dtype)\n",
    ),
    Mutant(
        "init_float64",
        "ConvNet draws its weights in float64 and never casts them to the requested dtype",
        "            self.params[name] = (scale * rng.standard_normal(shape)).astype(self.dtype)\n",
        "            self.params[name] = scale * rng.standard_normal(shape)\n",
    ),
    Mutant(
        "seed_ignored",
        "ConvNet draws its weights from a generator that ignores the seed",
        "        rng = np.random.default_rng(seed)\n",
        "        rng = np.random.default_rng()\n",
    ),
    Mutant(
        "w2_rows_unpooled",
        "ConvNet sizes W2 for the unpooled volume (F * H * W rows) and pools nothing",
        "\"W2\": (F * (H // 2) * (W // 2), hidden)",
        "\"W2\": (F * H * W, hidden)",
    ),
    # -- ConvNet: forward and backward --------------------------------------------------------
    Mutant(
        "conv_padding_zero",
        "ConvNet's convolution uses no padding instead of 'same' padding: the activations shrink by k - 1",
        "        pad = (p[\"W1\"].shape[2] - 1) // 2\n",
        "        pad = 0\n",
    ),
    Mutant(
        "pool_stride_one",
        "ConvNet pools 2x2 windows at stride 1 instead of 2",
        "        pooled, pool_cache = max_pool_forward(r1, 2, 2)\n",
        "        pooled, pool_cache = max_pool_forward(r1, 2, 1)\n",
    ),
    Mutant(
        "second_relu_missing",
        "ConvNet leaves out the ReLU after the hidden affine layer (forward and backward)",
        "        r2, relu2_cache = relu_forward(a2)\n",
        "        r2, relu2_cache = a2, np.ones_like(a2)\n",
    ),
    Mutant(
        "reg_missing_in_gradient",
        "ConvNet adds the L2 term to the loss but not to the weights' gradients",
        "            grads[name] = grads[name] + self.reg * p[name]\n",
        "            grads[name] = grads[name]\n",
    ),
    Mutant(
        "reg_counted_twice",
        "ConvNet adds 2 * reg * W to the gradients (the derivative of reg * sum(W**2), not of 0.5 * reg * ...)",
        "            grads[name] = grads[name] + self.reg * p[name]\n",
        "            grads[name] = grads[name] + 2 * self.reg * p[name]\n",
    ),
    Mutant(
        "reg_loss_without_half",
        "ConvNet adds reg * sum(W**2) to the loss instead of 0.5 * reg * sum(W**2)",
        "        loss += 0.5 * self.reg * sum(",
        "        loss += self.reg * sum(",
    ),
    Mutant(
        "reg_on_biases",
        "ConvNet regularises the biases too",
        "        weights = (\"W1\", \"W2\", \"W3\")\n",
        "        weights = (\"W1\", \"W2\", \"W3\", \"b1\", \"b2\", \"b3\")\n",
    ),
    Mutant(
        "scores_after_relu",
        "ConvNet returns its scores through a ReLU when y is None (the loss path is right)",
        "        if y is None:\n            return scores\n",
        "        if y is None:\n            return np.maximum(scores, 0)\n",
    ),
    # -- SGD with momentum --------------------------------------------------------------------
    Mutant(
        "momentum_cs231n",
        "sgd_momentum uses cs231n's formulation (v = momentum * v - lr * dw; w = w + v): the same steps at a "
        "fixed learning rate, but another velocity, and other steps once the learning rate changes",
        "    velocity = dw.copy() if velocity is None else momentum * velocity + dw\n"
        "    w = w - learning_rate * velocity\n",
        "    velocity = -learning_rate * dw if velocity is None else momentum * velocity - learning_rate * dw\n"
        "    w = w + velocity\n",
    ),
    Mutant(
        "momentum_velocity_not_returned",
        "sgd_momentum returns the velocity it was given instead of the new one",
        "    velocity = dw.copy() if velocity is None else momentum * velocity + dw\n"
        "    w = w - learning_rate * velocity\n    return w, velocity\n",
        "    new_velocity = dw.copy() if velocity is None else momentum * velocity + dw\n"
        "    w = w - learning_rate * new_velocity\n    return w, velocity\n",
    ),
    Mutant(
        "momentum_in_place",
        "sgd_momentum updates w in place, changing the caller's array",
        "    w = w - learning_rate * velocity\n    return w, velocity\n",
        "    w -= learning_rate * velocity\n    return w, velocity\n",
    ),
    Mutant(
        "momentum_dampened",
        "sgd_momentum dampens the gradient: v = momentum * v + (1 - momentum) * dw",
        "    velocity = dw.copy() if velocity is None else momentum * velocity + dw\n",
        "    velocity = dw.copy() if velocity is None else momentum * velocity + (1 - momentum) * dw\n",
    ),
]
