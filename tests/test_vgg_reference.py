"""The VGG reference (solutions/vgg.py) against independent oracles: torchvision's documented parameter
counts, the paper's closed-form counts, a network assembled here from torch layers in torchvision's flat
layout, torch's own SGD, and the output-size formula. Also the probe helpers the hidden suite relies on."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader import probe
from solutions import vgg

with warnings.catch_warnings():  # the suite's points marker is registered by the grader's conftest only
    warnings.simplefilter("ignore")
    from grader.suites import test_vgg as suite

# torchvision's model documentation (docs.pytorch.org/vision/stable/models/generated/torchvision.models.vgg*.html),
# "num_params" of each builder's ImageNet weights (VGG11_Weights, VGG11_BN_Weights, ..., VGG19_BN_Weights).
TORCHVISION = {"vgg11": 132_863_336, "vgg11_bn": 132_868_840, "vgg13": 133_047_848, "vgg13_bn": 133_053_736,
               "vgg16": 138_357_544, "vgg16_bn": 138_365_992, "vgg19": 143_667_240, "vgg19_bn": 143_678_248}


def count(model):
    return sum(p.numel() for p in model.parameters())


def on_meta(build):
    with torch.device("meta"):
        return build()


def test_documented_parameter_counts():
    assert count(on_meta(vgg.vgg11)) == TORCHVISION["vgg11"]
    assert count(on_meta(lambda: vgg.vgg11(batch_norm=True))) == TORCHVISION["vgg11_bn"]
    assert count(on_meta(vgg.vgg16)) == TORCHVISION["vgg16"]
    assert count(on_meta(lambda: vgg.VGG(vgg.VGG16_ARCH, batch_norm=True))) == TORCHVISION["vgg16_bn"]
    for name, arch in (("vgg13", vgg.VGG13_ARCH), ("vgg19", vgg.VGG19_ARCH)):
        assert count(on_meta(lambda: vgg.VGG(arch))) == TORCHVISION[name]
        assert count(on_meta(lambda: vgg.VGG(arch, batch_norm=True))) == TORCHVISION[f"{name}_bn"]


def test_vgg16_fits_the_sandbox_memory():
    """A vgg16 that cannot be built on the meta device is built for real in the sandbox: 553 MB of float32
    weights, far under its 4 GiB."""
    model = on_meta(vgg.vgg16)
    assert sum(p.numel() * p.element_size() for p in model.parameters()) == 4 * TORCHVISION["vgg16"] < 600 * 2**20


def closed_form(arch, in_channels=3, image_size=224, hidden=4096, num_classes=1000, batch_norm=False):
    """Parameters per block and per Linear layer: (9 C_in + 1) C_out per 3x3 conv (+ 2 C_out with batch norm)."""
    blocks, c = [], in_channels
    for num_convs, out in arch:
        blocks.append(sum((9 * (c if i == 0 else out) + 1) * out + (2 * out if batch_norm else 0)
                          for i in range(num_convs)))
        c = out
    side = image_size // 2 ** len(arch)
    return blocks, [(c * side * side + 1) * hidden, (hidden + 1) * hidden, (hidden + 1) * num_classes]


@pytest.mark.parametrize("arch,batch_norm", [(vgg.VGG11_ARCH, False), (vgg.VGG16_ARCH, True),
                                             (((1, 3), (3, 5)), True), (((2, 4),), False)])
def test_counts_per_block_follow_the_closed_form(arch, batch_norm):
    size = 3 * 2 ** len(arch)
    model = on_meta(lambda: vgg.VGG(arch, num_classes=7, in_channels=2, image_size=size, hidden=10,
                                     batch_norm=batch_norm))
    blocks, linears = closed_form(arch, 2, size, 10, 7, batch_norm)
    assert [count(b) for b in model.features] == blocks
    assert [count(m) for m in model.classifier if count(m)] == linears


def test_vgg16_table_in_the_docstring():
    model = on_meta(vgg.vgg16)
    assert [count(b) for b in model.features] == [38_720, 221_440, 1_475_328, 5_899_776, 7_079_424]
    assert [count(m) for m in model.classifier if count(m)] == [102_764_544, 16_781_312, 4_097_000]
    for figure in ("38,720", "221,440", "1,475,328", "5,899,776", "7,079,424", "102,764,544", "16,781,312",
                   "4,097,000", "138,357,544", "138,365,992", "132,863,336", "132,868,840"):
        assert figure in vgg.__doc__


# ------------------------------------------------------------------------------------ an independent network
def flat_vgg(arch, num_classes, in_channels, image_size, hidden, dropout, batch_norm):
    """torchvision's layout: one flat nn.Sequential of conv [bn] relu ... pool, then the classifier."""
    layers, c = [], in_channels
    for num_convs, out in arch:
        for _ in range(num_convs):
            layers += [nn.Conv2d(c, out, 3, padding=1)] + ([nn.BatchNorm2d(out)] if batch_norm else []) + [nn.ReLU()]
            c = out
        layers.append(nn.MaxPool2d(2, 2))
    side = image_size // 2 ** len(arch)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * side * side, hidden), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes))


def copy_by_order(src, dst):
    """Copy every parameter and buffer of `src` into `dst`, matched by their order (the layouts differ)."""
    a, b = list(src.state_dict().values()), list(dst.state_dict().values())
    assert [t.shape for t in a] == [t.shape for t in b]
    with torch.no_grad():
        for s, d in zip(a, b):
            d.copy_(s)


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g, dtype=t.dtype) + 0.5 if name.endswith("running_var")
                        else torch.randn(t.shape, generator=g, dtype=t.dtype) * 0.5)


CONFIGS = [dict(arch=((2, 4), (1, 6)), num_classes=5, in_channels=3, image_size=12, hidden=9, dropout=0.3,
                batch_norm=False),
           dict(arch=((1, 3), (2, 5), (1, 2)), num_classes=4, in_channels=1, image_size=8, hidden=7, dropout=0.6,
                batch_norm=True)]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_forward_equals_a_flat_torch_network(kwargs):
    torch.manual_seed(0)
    model = vgg.VGG(**kwargs).double()
    randomise(model, 1)
    oracle = flat_vgg(**kwargs).double()
    copy_by_order(model, oracle)
    x = torch.randn(3, kwargs["in_channels"], kwargs["image_size"], kwargs["image_size"], dtype=torch.float64)
    model.eval(), oracle.eval()
    torch.testing.assert_close(model(x), oracle(x), rtol=1e-12, atol=1e-12)
    model.train(), oracle.train()
    for seed in (3, 4):  # dropout masks and batch statistics in training mode
        torch.manual_seed(seed)
        ours = model(x)
        torch.manual_seed(seed)
        torch.testing.assert_close(ours, oracle(x), rtol=1e-12, atol=1e-12)
    for a, b in zip(model.state_dict().values(), oracle.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_forward_equals_a_functional_oracle():
    """VGG written with torch.nn.functional on the reference's own parameters (eval mode, no batch norm)."""
    kwargs = CONFIGS[0]
    torch.manual_seed(2)
    model = vgg.VGG(**kwargs).double().eval()
    x = torch.randn(2, 3, 12, 12, dtype=torch.float64)
    h = x
    for block in model.features:
        convs = [m for m in block if isinstance(m, nn.Conv2d)]
        for conv in convs:
            h = F.relu(F.conv2d(h, conv.weight, conv.bias, stride=1, padding=1))
        h = F.max_pool2d(h, 2, 2)
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    h = h.reshape(2, -1)
    for layer in linears[:-1]:
        h = F.relu(F.linear(h, layer.weight, layer.bias))
    torch.testing.assert_close(model(x), F.linear(h, linears[-1].weight, linears[-1].bias), rtol=1e-12, atol=1e-12)


def test_block_layout_and_output_size_formula():
    block = vgg.vgg_block(3, 5, 2, batch_norm=True)
    assert [type(m) for m in block] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Conv2d, nn.BatchNorm2d, nn.ReLU,
                                        nn.MaxPool2d]
    for conv in (block[0], block[3]):
        assert (conv.kernel_size, conv.stride, conv.padding, conv.bias is not None) == ((3, 3), (1, 1), (1, 1), True)
    assert (block[6].kernel_size, block[6].stride) == (2, 2)
    block.eval()
    for h in range(2, 10):
        for w in range(2, 10):
            # conv: (H + 2*1 - 3) / 1 + 1 = H; pool: floor((H - 2) / 2) + 1 = H // 2
            assert block(torch.zeros(1, 3, h, w)).shape == (1, 5, h // 2, w // 2)


def test_feature_map_side_is_image_size_over_two_to_the_blocks():
    for blocks in range(1, 6):
        arch = ((1, 2),) * blocks
        for side in (1, 2, 3):
            model = vgg.VGG(arch, num_classes=3, in_channels=1, image_size=side * 2 ** blocks, hidden=4).eval()
            x = torch.zeros(2, 1, side * 2 ** blocks, side * 2 ** blocks)
            assert model.features(x).shape == (2, 2, side, side)
            assert model.classifier[0].in_features == 2 * side * side


# ------------------------------------------------------------------------------------ 3x3 stacks
@pytest.mark.parametrize("channels,kernel,layers", [(1, 3, 3), (64, 3, 3), (64, 7, 1), (5, 5, 2), (512, 3, 2),
                                                    (3, 1, 4)])
def test_stacked_conv_params_counts_conv2d_weights(channels, kernel, layers):
    convs = nn.Sequential(*[nn.Conv2d(channels, channels, kernel, bias=False) for _ in range(layers)])
    assert vgg.stacked_conv_params(channels, kernel, layers) == count(convs)
    assert type(vgg.stacked_conv_params(channels, kernel, layers)) is int


def test_three_3x3_see_what_one_7x7_sees_with_fewer_weights():
    """The receptive field, measured: the gradient of one output unit reaches a 7x7 input patch either way."""
    x = torch.zeros(1, 1, 15, 15, requires_grad=True)
    stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)])
    for conv in stack:
        nn.init.constant_(conv.weight, 1.0)
    stack(x)[0, 0, 7, 7].backward()
    rows, cols = torch.nonzero(x.grad[0, 0], as_tuple=True)
    assert (int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1) == (7, 7)
    c = 32
    assert vgg.stacked_conv_params(c, 3, 3) == 27 * c * c < vgg.stacked_conv_params(c, 7, 1) == 49 * c * c


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs,match", [
    (dict(image_size=100), "multiple of 2\\*\\*len\\(arch\\) = 32"),
    (dict(image_size=16), "too small"),
    (dict(arch=()), "non-empty"),
    (dict(arch=((2, 64), (3,))), "arch\\[1\\] must be a pair"),
    (dict(arch=((0, 64),)), "num_convs must be a positive integer"),
    (dict(arch=((1, 64.0),)), "out_channels must be a positive integer"),
    (dict(num_classes=0), "num_classes"), (dict(hidden=-1), "hidden"), (dict(in_channels=True), "in_channels"),
    (dict(dropout=1.0), "dropout"), (dict(dropout=-0.5), "dropout"), (dict(batch_norm=1), "batch_norm"),
])
def test_bad_vgg_arguments_are_explained(kwargs, match):
    args = dict(arch=vgg.VGG11_ARCH, image_size=224) | kwargs
    with pytest.raises(ValueError, match=match):
        on_meta(lambda: vgg.VGG(**args))


def test_bad_inputs_and_block_arguments_are_explained():
    model = vgg.VGG(((1, 2), (1, 3)), num_classes=3, in_channels=2, image_size=8, hidden=4)
    with pytest.raises(ValueError, match=r"shape \(N, 2, 8, 8\), got \(1, 3, 8, 8\)"):
        model(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"\(N, 2, 8, 8\)"):
        model(torch.zeros(1, 2, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, 2, 8, 8\)"):
        model(torch.zeros(2, 8, 8))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model(np.zeros((1, 2, 8, 8), np.float32))
    for args in [(0, 4, 1), (3, 4, 0), (3, 2.0, 1), (3, 4, 1, "yes")]:
        with pytest.raises(ValueError):
            vgg.vgg_block(*args)
    for args in [(0, 3, 3), (4, 3.0, 2), (4, 3, -1), (4, 3, True)]:
        with pytest.raises(ValueError, match="positive integer"):
            vgg.stacked_conv_params(*args)


# ------------------------------------------------------------------------------------ the suite's helpers
def test_probe_train_steps_equals_torch_sgd():
    """probe.train_steps writes SGD with momentum out by hand; torch.optim.SGD is the oracle."""
    kwargs = dict(CONFIGS[1], dropout=0.4)
    model = vgg.VGG(**kwargs).double()
    randomise(model, 5)
    arrays = probe.state(model)
    rng = np.random.default_rng(0)
    stream = [(rng.standard_normal((b, 1, 8, 8)), rng.integers(0, 4, b)) for b in (4, 2, 3)]
    seeds = [11, 12, 13]
    got = probe.train_steps(vgg.VGG(**kwargs), arrays, stream, seeds, lr=0.05, momentum=0.9)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for (x, y), seed in zip(stream, seeds):
        torch.manual_seed(seed)
        opt.zero_grad()
        F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()
    want = probe.state(model)
    assert sorted(got["state"]) == sorted(want)
    for key, value in want.items():
        np.testing.assert_allclose(got["state"][key], value, rtol=1e-12, atol=1e-14)
    assert not np.allclose(got["state"]["classifier.0.weight"], arrays["classifier.0.weight"])


def test_dropout_masks_do_not_depend_on_the_thread_count():
    """The sandbox runs torch on one thread, the grader on several: the same seed must give the same masks."""
    model = vgg.VGG(((1, 2),), num_classes=3, in_channels=1, image_size=4, hidden=4096, dropout=0.5)
    x = np.random.default_rng(1).standard_normal((4, 1, 4, 4)).astype(np.float32)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = probe.forward_train(model, x, seed=7)["logits"]
        torch.set_num_threads(max(2, threads))
        many = probe.forward_train(model, x, seed=7)["logits"]
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(one, many)


class Liar(vgg.VGG):
    """Reports nothing through nn.Module's overridable methods."""

    def parameters(self, recurse=True):
        return iter(())

    def named_modules(self, *args, **kwargs):
        return iter(())

    def state_dict(self, *args, **kwargs):
        return {}


def test_probe_layout_reads_nn_modules_own_tables():
    kwargs = dict(arch=((2, 3), (1, 4)), num_classes=5, in_channels=2, image_size=8, hidden=6, batch_norm=True)
    rows = probe.layout(Liar(**kwargs))
    assert rows[1:] == probe.layout(vgg.VGG(**kwargs))[1:]
    assert probe.parameter_count(Liar(**kwargs)) == count(vgg.VGG(**kwargs))
    kinds = {path: kind for path, kind, _, _ in rows}
    assert kinds["features.0.0"] == "Conv2d" and kinds["features.0.1"] == "BatchNorm2d"

    class Conv2d(nn.Conv2d):
        pass

    assert probe.layout(Conv2d(1, 1, 3))[0][1] == "Conv2d (not torch.nn's)"
    settings = {path: s for path, _, s, _ in rows}
    assert settings["features.0.0"]["padding"] == (1, 1) and settings["features.0.0"]["bias"] is True
    assert settings["features.1.3"]["kernel_size"] == (2, 2) and settings["classifier.2"]["p"] == 0.5


def test_probe_build_layout_on_meta_equals_a_real_build():
    kwargs = dict(arch=((1, 3), (2, 4)), num_classes=5, in_channels=2, image_size=12, hidden=6)
    assert probe.build_layout(vgg.VGG, kwargs, "meta") == probe.build_layout(vgg.VGG, kwargs)


def test_suite_weights_keep_logits_of_order_one():
    """The suite's random weights give logits of order 1, so that float32 tolerances of 1e-5 mean something."""
    rng = np.random.default_rng(3)
    spreads = []
    for kwargs in suite.configs(rng):
        model, _ = suite.reference_vgg(rng, kwargs)
        spreads.append(np.abs(probe.forward(model, suite.images(rng, 8, kwargs))).mean())
    assert min(spreads) > 0.05 and max(spreads) < 100, spreads
