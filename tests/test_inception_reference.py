"""The Inception / GoogLeNet reference (solutions/inception.py) against independent oracles: the paper's
Table 1, cs231n's worked example, torchvision's published parameter count (rebuilt here from torch layers),
and forward passes written with torch.nn.functional from the state dicts."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader import probe
from grader.parts import PARTS
from grader.release import release_module
from solutions import inception as inc

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# Szegedy et al., "Going deeper with convolutions" (2014), Table 1: per module, the output size and depth, and
# the "params" (weights only, in units of 1024) and "ops" (multiply-adds, millions) columns.
PAPER_TABLE1 = {
    "3a": (28, 256, 159, 128), "3b": (28, 480, 380, 304), "4a": (14, 512, 364, 73), "4b": (14, 512, 437, 88),
    "4c": (14, 512, 463, 100), "4d": (14, 528, 580, 119), "4e": (14, 832, 840, 170), "5a": (7, 832, 1072, 54),
    "5b": (7, 1024, 1388, 71),
}
# torchvision's GoogLeNet (batch norm, a 3x3 convolution in the "5x5" branch), as its model card states:
# GoogLeNet_Weights.IMAGENET1K_V1.meta["num_params"], counted without the auxiliary heads.
TORCHVISION_PARAMS = 6_624_904


def conv_params(cin, cout, k):
    return cout * (cin * k * k + 1)


def module_params(cin, c1, c3r, c3, c5r, c5, pp, k5=5):
    return (conv_params(cin, c1, 1) + conv_params(cin, c3r, 1) + conv_params(c3r, c3, 3) + conv_params(cin, c5r, 1)
            + conv_params(c5r, c5, k5) + conv_params(cin, pp, 1))


def test_table1_params_and_ops_columns():
    """The ops column is the weights times the output positions (to the million, but for 5a); the params column
    counts weights only, in units of 1024, within 2% (but for 4c and 5a, whose printed figures disagree with
    their own rows: 4c's 100M ops on 14x14 imply 498K weights, not 463K; 5a is 4e's row on 832 input maps,
    so it has more than 4e's weights yet fewer operations on its 7x7 maps: 1018K and 51M, not 1072K and 54M)."""
    slips = {"4c", "5a"}
    for name, (size, depth, params_k, ops_m) in PAPER_TABLE1.items():
        module = inc.Inception(*inc.TABLE1[name])
        assert module.out_channels == depth
        weights = inc.paper_weight_count(module)
        macs = sum(inc.count_macs(module, (inc.TABLE1[name][0], size, size)).values())
        assert macs == weights * size * size
        assert (abs(macs / 1e6 - ops_m) <= 1) == (name != "5a"), name
        assert (abs(weights / 1024 - params_k) <= 0.02 * params_k) == (name not in slips), name
    assert round(PAPER_TABLE1["4c"][3] * 1e6 / 14 ** 2 / 1024) == 498
    stem = nn.Sequential(inc.GoogLeNet().conv2, inc.GoogLeNet().conv3)
    assert round(inc.paper_weight_count(stem) / 1024) == 112  # the table's "convolution 3x3/1, depth 2": 112K
    assert round(sum(inc.count_macs(stem, (64, 56, 56)).values()) / 1e6) == 360  # and 360M
    # The table prints 2.7K and 34M for conv1, which a 7x7x3x64 convolution on 224x224 does not give.
    conv1 = inc.GoogLeNet().conv1
    assert inc.paper_weight_count(conv1) == 7 * 7 * 3 * 64 == 9408
    assert sum(inc.count_macs(nn.Sequential(conv1), (3, 224, 224)).values()) == 9408 * 112 * 112


def test_parameter_totals_from_the_formula():
    rows = sum(module_params(*row) for row in inc.TABLE1.values())
    stem = conv_params(3, 64, 7) + conv_params(64, 64, 1) + conv_params(64, 192, 3)
    fc = 1024 * 1000 + 1000
    aux = [conv_params(c, 128, 1) + 2048 * 1024 + 1024 + 1024 * 1000 + 1000 for c in (512, 528)]
    assert inc.parameter_count(inc.GoogLeNet(aux_logits=False)) == stem + rows + fc == 6_998_552
    assert inc.parameter_count(inc.GoogLeNet()) == stem + rows + fc + sum(aux) == 13_378_280
    counts = {name: probe.parameter_count(m) for name, m in inc.GoogLeNet().named_children()}
    assert counts["inception3a"] == module_params(*inc.TABLE1["3a"]) and counts["aux2"] == aux[1]


def torchvision_like_googlenet():
    """torchvision's GoogLeNet layout built from torch layers: convolutions without bias followed by batch norm
    (eps 0.001), a 3x3 convolution in the third branch, no LRN, no auxiliary heads."""
    def unit(cin, cout, k):
        return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout, eps=0.001)]

    layers = unit(3, 64, 7) + unit(64, 64, 1) + unit(64, 192, 3)
    for cin, c1, c3r, c3, c5r, c5, pp in inc.TABLE1.values():
        layers += unit(cin, c1, 1) + unit(cin, c3r, 1) + unit(c3r, c3, 3) + unit(cin, c5r, 1) + unit(c5r, c5, 3)
        layers += unit(cin, pp, 1)
    return nn.Sequential(*layers, nn.Linear(1024, 1000))


def test_torchvision_count_is_explained():
    """6,624,904 = ours less the convolutions' biases and the 5x5 kernels' extra 16 taps, plus 2 per batch-norm map."""
    theirs = torchvision_like_googlenet()
    assert inc.parameter_count(theirs) == TORCHVISION_PARAMS
    ours = inc.GoogLeNet(aux_logits=False)
    convs = [m for m in ours.modules() if isinstance(m, nn.Conv2d)]
    biases = sum(m.out_channels for m in convs)
    five_by_five = sum(m.in_channels * m.out_channels * (25 - 9) for m in convs if m.kernel_size == (5, 5))
    batch_norm = 2 * biases  # one batch norm per convolution, weight and bias per map
    assert inc.parameter_count(ours) - biases - five_by_five + batch_norm == TORCHVISION_PARAMS


def test_cs231n_worked_example():
    """854M multiply-adds and 28x28x672 for the naive module; 271M and 28x28x480 with 64-map bottlenecks. The
    lecture slide's 358M is the bottleneck total with its 3x3 term counted twice."""
    naive = inc.count_macs(inc.NaiveInception(256, 128, 192, 96), (256, 28, 28))
    assert sum(naive.values()) == 854_196_224 and naive["branch_pool"] == 0
    bottleneck = inc.count_macs(inc.Inception(256, 128, 64, 192, 64, 96, 64), (256, 28, 28))
    terms = [inc.conv_macs(256, 128, 1, 28, 28), inc.conv_macs(256, 64, 1, 28, 28), inc.conv_macs(64, 192, 3, 28, 28),
             inc.conv_macs(256, 64, 1, 28, 28), inc.conv_macs(64, 96, 5, 28, 28), inc.conv_macs(256, 64, 1, 28, 28)]
    assert sum(bottleneck.values()) == sum(terms) == 271_351_808
    assert round((sum(terms) + terms[2]) / 1e6) == 358
    x = torch.zeros(1, 256, 28, 28)
    assert inc.NaiveInception(256, 128, 192, 96)(x).shape == (1, 672, 28, 28)
    assert inc.Inception(256, 128, 64, 192, 64, 96, 64)(x).shape == (1, 480, 28, 28)


def test_conv_macs_formula_and_rectangular_kernels():
    assert inc.conv_macs(3, 8, (3, 5), 7, 9) == 3 * 8 * 15 * 63
    assert inc.conv_macs(1, 1, 1, 1, 1) == 1 and type(inc.conv_macs(2, 3, 3, 4, 5)) is int
    # a convolution's multiply-adds are its weights times its output positions, as torch's layer sees them
    layer = nn.Conv2d(6, 10, (3, 5), padding=(1, 2), bias=False)
    out = layer(torch.zeros(1, 6, 11, 13))
    assert inc.conv_macs(6, 10, (3, 5), *out.shape[2:]) == layer.weight.numel() * out.shape[2] * out.shape[3]


def inception_functional(x, sd, prefix, bn=False):
    """One Inception module from its state dict with torch's functional ops (batch norm in eval mode)."""
    def unit(h, key, padding=0):
        w = sd[f"{prefix}{key}.weight"]
        if not bn:
            return F.relu(F.conv2d(h, w, sd[f"{prefix}{key}.bias"], padding=padding))
        layer, index = key.rsplit(".", 1)
        norm = f"{prefix}{layer}.{int(index) + 1}"
        h = F.conv2d(h, w, padding=padding)
        return F.relu(F.batch_norm(h, sd[f"{norm}.running_mean"], sd[f"{norm}.running_var"], sd[f"{norm}.weight"],
                                   sd[f"{norm}.bias"], training=False))

    step = 3 if bn else 2
    b1 = unit(x, "branch1x1.0")
    b3 = unit(unit(x, "branch3x3.0"), f"branch3x3.{step}", padding=1)
    b5 = unit(unit(x, "branch5x5.0"), f"branch5x5.{step}", padding=2)
    bp = unit(F.max_pool2d(x, 3, 1, 1), "branch_pool.1")
    return torch.cat([b1, b3, b5, bp], 1)


@pytest.mark.parametrize("bn", [False, True])
def test_inception_equals_a_functional_oracle(bn):
    torch.manual_seed(0)
    module = inc.Inception(5, 3, 4, 6, 2, 7, 3, batch_norm=bn).double()
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.running_mean)
            nn.init.uniform_(m.running_var, 0.5, 2)
            nn.init.normal_(m.weight)
    module.eval()
    x = torch.randn(3, 5, 9, 6, dtype=torch.float64)
    oracle = inception_functional(x, module.state_dict(), "", bn)
    torch.testing.assert_close(module(x), oracle, rtol=1e-12, atol=1e-12)


def test_naive_inception_equals_a_functional_oracle():
    torch.manual_seed(1)
    module = inc.NaiveInception(4, 3, 5, 2).double()
    p = module.state_dict()
    x = torch.randn(2, 4, 1, 7, dtype=torch.float64)
    oracle = torch.cat([F.relu(F.conv2d(x, p["branch1x1.0.weight"], p["branch1x1.0.bias"])),
                        F.relu(F.conv2d(x, p["branch3x3.0.weight"], p["branch3x3.0.bias"], padding=1)),
                        F.relu(F.conv2d(x, p["branch5x5.0.weight"], p["branch5x5.0.bias"], padding=2)),
                        F.max_pool2d(x, 3, 1, 1)], 1)
    torch.testing.assert_close(module(x), oracle, rtol=1e-12, atol=1e-12)
    assert module(x).shape[1] == module.out_channels == 3 + 5 + 2 + 4


def aux_functional(x, sd, prefix, training):
    h = F.relu(F.conv2d(F.avg_pool2d(x, 5, 3), sd[f"{prefix}.conv.0.weight"], sd[f"{prefix}.conv.0.bias"]))
    h = F.relu(F.linear(h.flatten(1), sd[f"{prefix}.fc1.weight"], sd[f"{prefix}.fc1.bias"]))
    return F.linear(F.dropout(h, 0.7, training), sd[f"{prefix}.fc2.weight"], sd[f"{prefix}.fc2.bias"])


def googlenet_functional(x, sd, training=False, aux=True, dropout=0.4):
    """GoogLeNet from its state dict, after the paper's Fig. 3: the stem with LRN, 3x3/2 max pools rounding up,
    the nine modules, global average pooling, dropout; the auxiliary heads on 4a and 4d in training."""
    def conv(h, key, stride=1, padding=0):
        return F.relu(F.conv2d(h, sd[f"{key}.0.weight"], sd[f"{key}.0.bias"], stride=stride, padding=padding))

    def pool(h):
        return F.max_pool2d(h, 3, 2, ceil_mode=True)

    def lrn(h):
        return F.local_response_norm(h, 5, alpha=1e-4, beta=0.75, k=1.0)

    h = lrn(pool(conv(x, "conv1", 2, 3)))
    h = pool(lrn(conv(conv(h, "conv2"), "conv3", padding=1)))
    heads = []
    for name in inc.TABLE1:
        if name in ("4a", "5a"):
            h = pool(h)
        h = inception_functional(h, sd, f"inception{name}.")
        if training and aux and name in ("4a", "4d"):
            heads.append(aux_functional(h, sd, "aux1" if name == "4a" else "aux2", training))
    h = F.dropout(h.mean(dim=(2, 3)), dropout, training)
    logits = F.linear(h, sd["fc.weight"], sd["fc.bias"])
    return (logits, *heads) if heads else logits


@pytest.mark.parametrize("size", [(224, 224), (61, 47)])
def test_googlenet_eval_equals_a_functional_oracle(size):
    torch.manual_seed(2)
    model = inc.GoogLeNet(num_classes=11).double().eval()
    x = 10 * torch.randn(2, 3, *size, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), googlenet_functional(x, model.state_dict()), rtol=1e-10, atol=1e-10)


def test_googlenet_training_outputs_equal_a_functional_oracle():
    """Dropout masks agree when the heads run right after 4a and 4d and the main dropout last."""
    torch.manual_seed(3)
    model = inc.GoogLeNet(num_classes=6, dropout=0.5).double().train()
    x = 10 * torch.randn(1, 3, 230, 250, dtype=torch.float64)
    with torch.no_grad():
        torch.manual_seed(7)
        got = model(x)
        torch.manual_seed(7)
        want = googlenet_functional(x, model.state_dict(), training=True, dropout=0.5)
    assert isinstance(got, tuple) and len(got) == 3
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-10)
    model.eval()
    assert isinstance(model(x), torch.Tensor)
    assert isinstance(inc.GoogLeNet(aux_logits=False).train()(x.float()), torch.Tensor)


def test_init_weights_keeps_early_layers_visible():
    """With torch's default initialisation the logits of the 22-layer network hardly depend on its stem (a
    missing LRN changes them by about 1e-6); after init_weights (which the hidden suite uses before copying
    weights in) the change is a hundred times the float64 tolerance and more."""
    def lrn_effect(model):
        x = 2 * torch.randn(1, 3, 40, 40, dtype=torch.float64)
        with torch.no_grad():
            base = model.double().eval()(x)
            model.lrn1 = nn.Identity()
            return ((model(x) - base).abs().max() / base.abs().max()).item()

    torch.manual_seed(4)
    assert lrn_effect(inc.GoogLeNet(aux_logits=False)) < 1e-5
    torch.manual_seed(4)
    assert lrn_effect(inc.init_weights(inc.GoogLeNet(aux_logits=False))) > 1e-5


def test_layer_shapes_follow_table1():
    shapes = dict(probe.layer_shapes(inc.GoogLeNet(), np.zeros((1, 3, 224, 224), np.float32)))
    for name, (size, depth, _, _) in PAPER_TABLE1.items():
        assert shapes[f"inception{name}"] == [1, depth, size, size]
    assert shapes["conv1"] == [1, 64, 112, 112] and shapes["maxpool1"] == [1, 64, 56, 56]
    assert shapes["maxpool2"] == [1, 192, 28, 28] and shapes["fc"] == [1, 1000]


def test_cifar_network_keeps_32x32_and_the_papers_aux_grid():
    model = inc.googlenet_cifar(width=0.25)
    shapes = dict(probe.layer_shapes(model, np.zeros((2, 3, 32, 32), np.float32)))
    assert shapes["inception3b"][2:] == [32, 32] and shapes["inception4a"][2:] == [16, 16]
    assert shapes["inception5b"][2:] == [8, 8] and shapes["fc"] == [2, 10]
    grid = model.aux1.pool(torch.zeros(1, model.aux1.in_channels, 16, 16))
    assert grid.shape[2:] == (4, 4)
    out = model.train()(torch.randn(2, 3, 32, 32))
    assert isinstance(out, tuple) and [o.shape for o in out] == [(2, 10)] * 3
    assert list(inc.googlenet_cifar(aux_logits=False).state_dict())[:2] == ["conv1.0.weight", "conv1.1.weight"]
    assert 0.9e9 < sum(inc.count_macs(inc.googlenet_cifar(aux_logits=False), (3, 32, 32)).values()) < 2e9


def test_aux_loss_weights_the_heads():
    torch.manual_seed(5)
    logits, a1, a2 = (torch.randn(4, 7, requires_grad=True) for _ in range(3))
    y = torch.tensor([0, 3, 6, 2])
    ce = F.cross_entropy
    torch.testing.assert_close(inc.aux_loss((logits, a1, a2), y, ce), ce(logits, y) + 0.3 * (ce(a1, y) + ce(a2, y)))
    torch.testing.assert_close(inc.aux_loss((logits, a1, a2), y, ce, weight=1.0), ce(logits, y) + ce(a1, y) + ce(a2, y))
    torch.testing.assert_close(inc.aux_loss(logits, y, ce), ce(logits, y))
    got = probe.aux_loss_call(inc.aux_loss, [t.detach().numpy() for t in (logits, a1, a2)], y.numpy(), weight=0.5)
    (head_grad,) = torch.autograd.grad(ce(a1, y), a1)
    np.testing.assert_allclose(got["grads"][1], 0.5 * head_grad.numpy(), rtol=1e-6)


def test_training_step_reaches_every_parameter():
    torch.manual_seed(6)
    model = inc.GoogLeNet(num_classes=5)
    x, y = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32), np.array([1, 4])
    step = probe.aux_train_step(model, x, y, inc.aux_loss, seed=1)
    assert step["loss"].shape == () and all(g is not None and np.any(g) for g in step["grads"].values())
    assert {k.split(".")[0] for k in step["grads"]} >= {"aux1", "aux2", "fc", "conv1"}


def test_probe_outputs_report_the_structure():
    model = inc.Inception(3, 2, 2, 2, 2, 2, 2)
    kind, values = probe.mode_outputs(model, np.zeros((1, 3, 4, 4), np.float32))
    assert kind == "tensor" and values[0].shape == (1, 8, 4, 4)
    kind, values = probe.mode_outputs(inc.googlenet_cifar(width=0.125), np.zeros((2, 3, 32, 32)).astype(np.float32),
                                      training=True)
    assert kind == "tuple" and len(values) == 3
    names = [name for name, _, _ in probe.child_outputs(model, np.zeros((1, 3, 4, 4), np.float32))]
    assert names == [*inc.BRANCHES, "output"]


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="c3_reduce"):
        inc.Inception(8, 2, 0, 3, 2, 2, 2)
    with pytest.raises(ValueError, match="c5"):
        inc.NaiveInception(8, 2, 3, -1)
    with pytest.raises(ValueError, match="kernel_size"):
        inc.conv_macs(3, 4, (3, 0), 5, 5)
    with pytest.raises(ValueError, match="dropout"):
        inc.GoogLeNet(dropout=1.0)
    with pytest.raises(ValueError, match=r"\(N, 8, H, W\)"):
        inc.Inception(8, 2, 2, 2, 2, 2, 2)(torch.zeros(1, 7, 5, 5))
    with pytest.raises(TypeError, match="torch.Tensor"):
        inc.NaiveInception(2, 1, 1, 1)(np.zeros((1, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="googlenet_cifar"):
        inc.GoogLeNet()(torch.zeros(1, 3, 30, 30))
    with pytest.raises(ValueError, match="aux_logits=False"):
        inc.GoogLeNet().train()(torch.zeros(1, 3, 96, 96))
    with pytest.raises(ValueError, match="logits, aux1, aux2"):
        inc.aux_loss((torch.zeros(2, 3),) * 2, torch.zeros(2, dtype=torch.long), F.cross_entropy)


def test_release_stub_imports_and_says_what_to_write():
    namespace = {}
    exec(compile(release_module(PARTS["inception"]), "inception_stub.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="section 3"):
        namespace["Inception"](4, 1, 1, 1, 1, 1, 1)
    with pytest.raises(NotImplementedError, match="section 2"):
        namespace["conv_macs"](1, 1, 1, 1, 1)
    with pytest.raises(NotImplementedError, match="06_inception"):
        namespace["googlenet_cifar"]()
