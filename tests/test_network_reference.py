"""The ConvNet section of solutions/pooling.py (notebook 02, section 6) against an independent oracle: torch's
autograd for the affine, ReLU and softmax cross-entropy layers and for the whole network with the same weights,
torch.optim.SGD for sgd_momentum, and a numerical gradient check of the whole network; float64 and float32.

The network calls the convolution of notebook 01 as `conv.conv2d_forward`; here it is the reference's."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from assignment.checks import numerical_gradient, rel_error
from solutions import conv as ref_conv
from solutions import pooling

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}


@pytest.fixture(autouse=True)
def reference_conv(monkeypatch):
    monkeypatch.setattr(pooling, "conv", ref_conv)


def close(a, b, dtype, scale=1.0):
    assert isinstance(a, np.ndarray) and a.dtype == dtype and a.shape == tuple(b.shape), (type(a), a.shape, b.shape)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    tol = TOL[dtype]
    np.testing.assert_allclose(a, b, rtol=tol["rtol"], atol=tol["atol"] * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_affine_against_autograd(dtype, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    D, M = int(np.prod(shape[1:])), int(rng.integers(1, 8))
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (shape, (D, M), (M,)))
    dout = rng.standard_normal((shape[0], M)).astype(dtype)
    before = [a.copy() for a in (x, w, b, dout)]
    out, cache = pooling.affine_forward(x, w, b)
    dx, dw, db = pooling.affine_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = tF.linear(xt.flatten(1), wt.T, bt)
    ot.backward(torch.from_numpy(dout))
    close(out, ot, dtype)
    for mine, theirs in ((dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        close(mine, theirs, dtype)
    assert all(np.array_equal(a, c) for a, c in zip((x, w, b, dout), before))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_against_autograd(dtype):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=(3, 4, 5)).astype(dtype)  # many exact zeros: torch passes no gradient there
    x[0] = rng.standard_normal((4, 5))
    dout = rng.standard_normal(x.shape).astype(dtype)
    out, cache = pooling.relu_forward(x)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.relu(xt)
    ot.backward(torch.from_numpy(dout))
    close(out, ot, dtype)
    close(pooling.relu_backward(dout, cache), xt.grad, dtype)
    assert (x == 0).any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("spread,offset", [(1.0, 0.0), (5.0, 0.0), (1000.0, 0.0), (300.0, 1e4)])
def test_softmax_cross_entropy_against_autograd(dtype, spread, offset):
    rng = np.random.default_rng(int(spread))
    N, C = 7, 10
    scores = (spread * rng.standard_normal((N, C)) + offset).astype(dtype)
    y = rng.integers(0, C, size=N)
    loss, dscores = pooling.softmax_cross_entropy(scores, y)
    st = torch.tensor(scores, requires_grad=True)
    lt = tF.cross_entropy(st, torch.from_numpy(y))
    lt.backward()
    assert isinstance(loss, float) and math.isfinite(loss)
    assert loss == pytest.approx(lt.item(), rel=TOL[dtype]["rtol"], abs=TOL[dtype]["atol"])
    close(dscores, st.grad, dtype)


def test_softmax_cross_entropy_at_chance_and_arguments():
    scores = np.zeros((5, 10))
    loss, dscores = pooling.softmax_cross_entropy(scores, np.arange(5))
    assert loss == pytest.approx(math.log(10), rel=1e-15)
    assert np.allclose(dscores.sum(axis=1), 0)
    for y in (np.array([0, 1, 2, 3, 10]), np.array([-1, 0, 1, 2, 3]), np.arange(4), np.arange(5.0)):
        with pytest.raises(ValueError):
            pooling.softmax_cross_entropy(scores, y)
    with pytest.raises(ValueError):
        pooling.softmax_cross_entropy(scores[0], np.array([1]))


def torch_network(params, x, y, reg):
    """The same network in torch: conv ("same"), ReLU, 2x2 max pool, linear, ReLU, linear, cross-entropy + L2."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    a = tF.max_pool2d(torch.relu(tF.conv2d(torch.from_numpy(x), p["W1"], p["b1"], padding="same")), 2)
    scores = tF.linear(torch.relu(tF.linear(a.flatten(1), p["W2"].T, p["b2"])), p["W3"].T, p["b3"])
    loss = tF.cross_entropy(scores, torch.from_numpy(y)) + 0.5 * reg * sum((p[k] ** 2).sum() for k in ("W1", "W2", "W3"))
    loss.backward()
    return scores, loss, {k: v.grad for k, v in p.items()}


CONFIGS = [  # input_shape, num_filters, kernel_size, hidden, num_classes, reg
    ((1, 32, 32), 8, 5, 64, 10, 0.0),   # the notebook's network
    ((3, 9, 7), 4, 3, 10, 5, 0.1),      # odd sizes: the pooled map floors to 4x3
    ((2, 6, 11), 3, 1, 7, 3, 1.5),
    ((1, 5, 5), 2, 5, 4, 2, 0.0),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c[0]}-k{c[2]}-reg{c[5]}")
def test_convnet_against_autograd(config, dtype):
    shape, F, k, hidden, classes, reg = config
    rng = np.random.default_rng(k)
    net = pooling.ConvNet(input_shape=shape, num_filters=F, kernel_size=k, hidden=hidden, num_classes=classes,
                          reg=reg, seed=k, dtype=dtype)
    for name in ("b1", "b2", "b3"):  # nonzero biases, so that their gradients and uses are seen
        net.params[name] = (0.1 * rng.standard_normal(net.params[name].shape)).astype(dtype)
    x = rng.standard_normal((4, *shape)).astype(dtype)
    y = rng.integers(0, classes, size=4)
    before = {key: v.copy() for key, v in net.params.items()}
    scores_t, loss_t, grads_t = torch_network(net.params, x, y, reg)
    close(net.loss(x), scores_t, dtype, scale=10)
    loss, grads = net.loss(x, y)
    assert isinstance(loss, float) and loss == pytest.approx(loss_t.item(), rel=10 * TOL[dtype]["rtol"])
    assert set(grads) == set(net.params)
    for key, grad in grads.items():
        close(grad, grads_t[key], dtype, scale=10)
    assert all(np.array_equal(before[key], net.params[key]) for key in before)


def test_convnet_shapes_and_initialisation():
    net = pooling.ConvNet(input_shape=(3, 17, 12), num_filters=32, kernel_size=5, hidden=100, num_classes=10)
    shapes = {key: v.shape for key, v in net.params.items()}
    assert shapes == {"W1": (32, 3, 5, 5), "b1": (32,), "W2": (32 * 8 * 6, 100), "b2": (100,), "W3": (100, 10),
                      "b3": (10,)}
    for key, fan_in in (("W1", 75), ("W2", 32 * 8 * 6), ("W3", 100)):
        assert net.params[key].std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.1)
    assert all(not net.params[b].any() for b in ("b1", "b2", "b3"))
    small = pooling.ConvNet(weight_scale=1e-3, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in small.params.values())
    assert small.params["W2"].std() == pytest.approx(1e-3, rel=0.05)
    x = np.random.default_rng(0).standard_normal((20, 1, 32, 32)).astype(np.float32)
    assert small.loss(x, np.arange(20) % 10)[0] == pytest.approx(math.log(10), abs=1e-3)
    with pytest.raises(ValueError):
        pooling.ConvNet(kernel_size=4)


def test_convnet_numerical_gradient():
    """The whole network's analytic gradients against central differences (float64, small input)."""
    rng = np.random.default_rng(1)
    net = pooling.ConvNet(input_shape=(2, 7, 6), num_filters=3, kernel_size=3, hidden=6, num_classes=4, reg=0.3)
    for name in ("b1", "b2", "b3"):
        net.params[name] = 0.1 * rng.standard_normal(net.params[name].shape)
    x, y = rng.standard_normal((3, 2, 7, 6)), rng.integers(0, 4, size=3)
    _, grads = net.loss(x, y)
    for key, value in net.params.items():
        numeric = numerical_gradient(lambda _: np.array(net.loss(x, y)[0]), value, np.array(1.0))
        assert rel_error(grads[key], numeric) < 1e-6, key


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_momentum_against_torch(dtype):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3, 2)).astype(dtype)
    wt = torch.nn.Parameter(torch.tensor(w))
    opt = torch.optim.SGD([wt], lr=0.1, momentum=0.8)
    mine, velocity = w, None
    for lr in (0.1, 0.1, 0.05, 0.3, 0.01, 0.01):  # the learning rate changes: cs231n's form would differ here
        dw = rng.standard_normal(w.shape).astype(dtype)
        for group in opt.param_groups:
            group["lr"] = lr
        wt.grad = torch.tensor(dw)
        opt.step()
        before = (mine.copy(), dw.copy(), None if velocity is None else velocity.copy())
        new, new_velocity = pooling.sgd_momentum(mine, dw, velocity, lr, momentum=0.8)
        assert np.array_equal(before[0], mine) and np.array_equal(before[1], dw)
        assert velocity is None or np.array_equal(before[2], velocity)
        mine, velocity = new, new_velocity
        close(mine, wt.detach(), dtype)
        close(velocity, opt.state[wt]["momentum_buffer"], dtype)
    assert pooling.sgd_momentum(w, w, None, 0.1)[1] is not w  # a new array, even on the first step
