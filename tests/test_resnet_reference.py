"""The ResNet reference (solutions/resnet.py) against independent oracles: torch.nn.BatchNorm2d and
F.batch_norm, networks written here with torch.nn.functional from the papers' descriptions (weights copied
from the reference's state dict), documented parameter and multiply-add counts, and its error messages."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader import probe
from solutions import resnet

# torchvision's model documentation (torchvision.models, the IMAGENET1K_V1 weights' "num_params" and "GFLOPS";
# its GFLOPS column counts multiply-accumulates of convolutions and linear layers).
TORCHVISION_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
                      "resnet152": 60_192_808}
TORCHVISION_GMACS = {"resnet18": 1.81, "resnet34": 3.66, "resnet50": 4.09, "resnet152": 11.51}
# He et al. (2015), "Deep Residual Learning for Image Recognition", Table 6 (CIFAR-10, option A shortcuts).
PAPER_CIFAR_PARAMS_M = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def count(model):
    return sum(p.numel() for p in model.parameters())


def randomise(model, seed):
    """Batch-norm weights and statistics away from their defaults, so that eval mode is not the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, resnet.BatchNorm2d)):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.3)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(c, generator=g) * 0.3)
    return model


# ------------------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_equals_torch_in_both_modes(dtype, affine):
    torch.manual_seed(0)
    ours = resnet.BatchNorm2d(5, eps=0.2, momentum=0.3, affine=affine).to(dtype)
    theirs = randomise(nn.BatchNorm2d(5, eps=0.2, momentum=0.3, affine=affine), 1).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-12)
    for shape in [(4, 5, 3, 7), (1, 5, 2, 3), (6, 5, 1, 1), (2, 5, 9, 4)]:
        x = (torch.randn(shape, dtype=dtype) * 0.4 + 1.2).requires_grad_()
        y_ours, y_theirs = ours(x), theirs(x)
        torch.testing.assert_close(y_ours, y_theirs, **tol)
        g = torch.randn_like(y_ours)
        wrt = [x] + list(theirs.parameters())
        grads_theirs = torch.autograd.grad(y_theirs, wrt, g)
        grads_ours = torch.autograd.grad(y_ours, [x] + list(ours.parameters()), g)
        for a, b in zip(grads_ours, grads_theirs):
            torch.testing.assert_close(a, b, **tol)
    for key, value in theirs.state_dict().items():  # running statistics after four steps, and the count
        torch.testing.assert_close(ours.state_dict()[key], value, **tol)
    assert int(ours.num_batches_tracked) == 4
    ours.eval(), theirs.eval()
    x = torch.randn(1, 5, 1, 1, dtype=dtype)
    torch.testing.assert_close(ours(x), theirs(x), **tol)
    assert int(ours.num_batches_tracked) == 4


def test_batchnorm_formulas_by_hand():
    """Biased variance to normalise, unbiased for the running estimate, momentum as torch defines it."""
    x = torch.tensor([[[[1.0, 2.0]]], [[[3.0, 6.0]]]], dtype=torch.float64)  # one channel, 4 values
    bn = resnet.BatchNorm2d(1, eps=0.0 + 1e-12, momentum=0.25).double()
    y = bn(x)
    values = torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=torch.float64)
    mean, biased, unbiased = 3.0, ((values - 3) ** 2).mean(), ((values - 3) ** 2).sum() / 3
    torch.testing.assert_close(y.flatten(), (values - mean) / biased.sqrt(), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(bn.running_mean, torch.tensor([0.75 * 0 + 0.25 * mean], dtype=torch.float64))
    torch.testing.assert_close(bn.running_var, (0.75 * 1 + 0.25 * unbiased).reshape(1))


def test_batchnorm_state_starts_as_torchs():
    for affine in (True, False):
        ours, theirs = resnet.BatchNorm2d(3, affine=affine).state_dict(), nn.BatchNorm2d(3, affine=affine).state_dict()
        assert list(ours) == list(theirs)
        for key in theirs:
            assert ours[key].dtype == theirs[key].dtype and torch.equal(ours[key], theirs[key])
    assert [n for n, _ in resnet.BatchNorm2d(3).named_parameters()] == ["weight", "bias"]


def test_suite_sees_torchs_batch_norm_kernels():
    """The suite's observation: torch's BN shows aten::native_batch_norm and its backward node; ours neither.
    A kernel run on another thread escapes the profiler but not the autograd graph."""
    x = [np.random.default_rng(0).standard_normal((2, 3, 4, 4))]
    theirs = probe.norm_steps(nn.BatchNorm2d(3).double(), x)
    assert "aten::native_batch_norm" in theirs["ops"] and "NativeBatchNormBackward0" in theirs["graph"]
    ours = probe.norm_steps(resnet.BatchNorm2d(3).double(), x)
    assert not [n for n in ours["ops"] + ours["graph"] if "norm" in n.lower() and "batch" in n.lower()]
    from concurrent.futures import ThreadPoolExecutor

    class Threaded(nn.BatchNorm2d):
        def forward(self, x):
            with ThreadPoolExecutor(1) as pool:
                return pool.submit(super().forward, x).result()

    hidden = probe.norm_steps(Threaded(3).double(), x)
    assert "aten::native_batch_norm" not in hidden["ops"] and "NativeBatchNormBackward0" in hidden["graph"]


# ------------------------------------------------------------------------- functional oracles
def bn_f(x, sd, name, training):
    return F.batch_norm(x, sd[f"{name}.running_mean"].clone(), sd[f"{name}.running_var"].clone(),
                        sd[f"{name}.weight"], sd[f"{name}.bias"], training=training)


def block_f(x, sd, p, kind, cin, width, stride, training, shortcut="projection"):
    """One block from the paper's description (bottleneck: stride on the 3x3, torchvision's v1.5)."""
    cout = width * (4 if kind == "bottleneck" else 1)
    if kind == "bottleneck":
        out = F.relu(bn_f(F.conv2d(x, sd[f"{p}conv1.weight"]), sd, f"{p}bn1", training))
        out = F.relu(bn_f(F.conv2d(out, sd[f"{p}conv2.weight"], stride=stride, padding=1), sd, f"{p}bn2", training))
        out = bn_f(F.conv2d(out, sd[f"{p}conv3.weight"]), sd, f"{p}bn3", training)
    else:
        out = F.relu(bn_f(F.conv2d(x, sd[f"{p}conv1.weight"], stride=stride, padding=1), sd, f"{p}bn1", training))
        out = bn_f(F.conv2d(out, sd[f"{p}conv2.weight"], padding=1), sd, f"{p}bn2", training)
    if kind == "plain":
        assert f"{p}downsample.0.weight" not in sd
        return F.relu(out)
    if stride == 1 and cin == cout:
        assert f"{p}downsample.0.weight" not in sd
        return F.relu(out + x)
    if shortcut == "zero_pad":  # option A: subsample, append zero channels
        assert f"{p}downsample.0.weight" not in sd
        return F.relu(out + F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, 0, cout - cin)))
    sc = bn_f(F.conv2d(x, sd[f"{p}downsample.0.weight"], stride=stride), sd, f"{p}downsample.1", training)
    return F.relu(out + sc)


def resnet_f(x, sd, kind, layers, training):
    """He et al. Table 1: 7x7/2 conv, 3x3/2 max pool padded by 1, four stages (64..512), global average, fc."""
    x = F.relu(bn_f(F.conv2d(x, sd["conv1.weight"], stride=2, padding=3), sd, "bn1", training))
    x = F.max_pool2d(x, 3, stride=2, padding=1)
    cin, grow = 64, 4 if kind == "bottleneck" else 1
    for i, (width, n) in enumerate(zip((64, 128, 256, 512), layers)):
        for j in range(n):
            stride = 2 if i > 0 and j == 0 else 1
            x = block_f(x, sd, f"layer{i + 1}.{j}.", kind, cin, width, stride, training)
            cin = width * grow
    return F.linear(x.mean(dim=(2, 3)), sd["fc.weight"], sd["fc.bias"])


def cifar_f(x, sd, depth, residual, training, shortcut="zero_pad"):
    """He et al. section 4.2: 3x3 conv (16), three stages of n blocks (16, 32, 64), global average, fc."""
    n = (depth - 2) // 6
    x = F.relu(bn_f(F.conv2d(x, sd["conv1.weight"], padding=1), sd, "bn1", training))
    cin = 16
    for i, width in enumerate((16, 32, 64)):
        for j in range(n):
            stride = 2 if i > 0 and j == 0 else 1
            x = block_f(x, sd, f"layer{i + 1}.{j}.", "basic" if residual else "plain", cin, width, stride, training,
                        shortcut)
            cin = width
    return F.linear(x.mean(dim=(2, 3)), sd["fc.weight"], sd["fc.bias"])


def check_against(model, oracle, x):
    """Eval and training-mode outputs, and the gradients of every parameter, equal the oracle's."""
    sd = {k: v.clone().requires_grad_(v.is_floating_point() and "running" not in k)
          for k, v in model.state_dict().items()}
    for training in (False, True):
        model.train(training)
        ours, theirs = model(x), oracle(x, sd, training)
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-10)
        grads_ours = torch.autograd.grad(ours.sum(), list(model.parameters()))
        names = [n for n, _ in model.named_parameters()]
        grads_theirs = torch.autograd.grad(theirs.sum(), [sd[n] for n in names])
        for a, b in zip(grads_ours, grads_theirs):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kind,block,layers", [("basic", resnet.BasicBlock, [1, 2, 1, 1]),
                                               ("bottleneck", resnet.Bottleneck, [2, 1, 1, 1]),
                                               ("plain", resnet.PlainBlock, [1, 1, 2, 1])])
def test_resnet_equals_functional_oracle(kind, block, layers):
    torch.manual_seed(1)
    model = randomise(resnet.ResNet(block, layers, num_classes=7, in_channels=2).double(), 2)
    x = torch.randn(2, 2, 37, 50, dtype=torch.float64)
    check_against(model, lambda x, sd, training: resnet_f(x, sd, kind, layers, training), x)


@pytest.mark.parametrize("residual,shortcut", [(True, "zero_pad"), (True, "projection"), (False, "zero_pad")])
def test_cifar_resnet_equals_functional_oracle(residual, shortcut):
    torch.manual_seed(3)
    model = randomise(resnet.CifarResNet(14, residual=residual, shortcut=shortcut, num_classes=5).double(), 4)
    x = torch.randn(3, 3, 13, 18, dtype=torch.float64)
    check_against(model, lambda x, sd, training: cifar_f(x, sd, 14, residual, training, shortcut), x)


def test_student_batchnorm_is_interchangeable_with_torchs():
    """The same CIFAR net with the course's BatchNorm2d as norm_layer: same state dict keys, same outputs."""
    torch.manual_seed(5)
    theirs = randomise(resnet.CifarResNet(8, shortcut="projection").double(), 6)
    ours = resnet.CifarResNet(8, shortcut="projection", norm_layer=resnet.BatchNorm2d).double()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(4, 3, 16, 16, dtype=torch.float64)
    for training in (True, False):
        ours.train(training), theirs.train(training)
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-9, atol=1e-10)
    for key, value in theirs.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[key], value, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------- documented figures
@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMS))
def test_parameter_counts_match_torchvision(name):
    model = getattr(resnet, name)()
    assert count(model) == TORCHVISION_PARAMS[name]
    assert round(resnet.multiply_adds(model, (3, 224, 224)) / 1e9, 2) == TORCHVISION_GMACS[name]


def test_state_dict_keys_are_torchvisions():
    keys = list(resnet.resnet50().state_dict())
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                        "bn1.num_batches_tracked"]
    assert "layer1.0.downsample.0.weight" in keys and "layer1.0.downsample.1.running_var" in keys
    assert "layer1.1.downsample.0.weight" not in keys and "layer4.2.conv3.weight" in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    assert [n for n, _ in resnet.resnet18().named_children()] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]


@pytest.mark.parametrize("depth", sorted(PAPER_CIFAR_PARAMS_M))
def test_cifar_counts_match_the_paper_with_option_a(depth):
    model = resnet.CifarResNet(depth)
    assert round(count(model) / 1e6, 2 if depth < 110 else 1) == PAPER_CIFAR_PARAMS_M[depth]
    assert count(resnet.CifarResNet(depth, residual=False)) == count(model)  # option A adds no parameters
    assert count(resnet.CifarResNet(depth, shortcut="projection")) == count(model) + 2752
    assert resnet.resnet_depth(resnet.BasicBlock, [(depth - 2) // 6] * 3) == depth
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == depth and {c.out_channels for c in convs} == {16, 32, 64}


def test_option_b_would_miss_the_papers_resnet56():
    """The paper's 0.85M for ResNet-56 is option A's 853,018; projections give 855,770 (0.86M)."""
    assert count(resnet.CifarResNet(56)) == 853_018
    assert round(count(resnet.CifarResNet(56, shortcut="projection")) / 1e6, 2) == 0.86


def test_depth_from_configurations():
    cases = {(resnet.BasicBlock, (2, 2, 2, 2)): 18, (resnet.BasicBlock, (3, 4, 6, 3)): 34,
             (resnet.Bottleneck, (3, 4, 6, 3)): 50, (resnet.Bottleneck, (3, 4, 23, 3)): 101,
             (resnet.Bottleneck, (3, 8, 36, 3)): 152}
    for (block, layers), depth in cases.items():
        assert resnet.resnet_depth(block, list(layers)) == depth
    # the same count, made from the modules: weighted layers on the main path (shortcut projections excluded)
    model = resnet.ResNet(resnet.Bottleneck, [3, 4, 6, 3])
    weighted = [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and "downsample" not in n]
    assert len(weighted) == 50


def test_stem_224_112_56():
    shapes = dict(probe.layer_shapes(resnet.resnet18(), np.zeros((1, 3, 224, 224), np.float32)))
    assert shapes["conv1"] == [1, 64, 112, 112] and shapes["maxpool"] == [1, 64, 56, 56]
    assert [shapes[f"layer{i}"][2] for i in range(1, 5)] == [56, 28, 14, 7] and shapes["fc"] == [1, 1000]
    shapes = dict(probe.layer_shapes(resnet.ResNet(resnet.Bottleneck, [1, 1, 1, 1]), np.zeros((1, 3, 225, 225),
                                                                                               np.float32)))
    assert shapes["maxpool"] == [1, 64, 57, 57] and shapes["layer4"] == [1, 2048, 8, 8]


def test_block_multiply_adds_basic_against_bottleneck():
    """He et al.: a bottleneck on 256 channels costs about what a basic block on 64 does."""
    basic = resnet.multiply_adds(resnet.BasicBlock(64, 64), (64, 56, 56))
    bottleneck = resnet.multiply_adds(resnet.Bottleneck(256, 64), (256, 56, 56))
    assert basic == 2 * 56 * 56 * 64 * 64 * 9
    assert bottleneck == 56 * 56 * (256 * 64 + 64 * 64 * 9 + 64 * 256)
    assert 0.9 < bottleneck / basic < 1.0


def test_zero_pad_shortcut_and_plain_block():
    x = torch.randn(2, 3, 7, 6)
    out = resnet.ZeroPadShortcut(3, 5, 2)(x)
    assert out.shape == (2, 5, 4, 3)
    assert torch.equal(out[:, :3], x[:, :, ::2, ::2]) and not out[:, 3:].any()
    block = resnet.PlainBlock(3, 3)
    with torch.no_grad():
        block.bn2.weight.zero_(), block.bn2.bias.zero_()
    assert not block.eval()(x).any()  # no identity path
    assert not hasattr(block, "downsample")


def test_gradient_norms_cover_the_main_path():
    torch.manual_seed(0)
    x, y = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 3])
    for residual in (True, False):
        model = resnet.CifarResNet(14, residual=residual)
        norms = resnet.gradient_norms(model, x, y)
        assert [n for n, _ in norms][0] == "conv1.weight" and len(norms) == 13
        assert all(v > 0 for _, v in norms)
        assert all(p.grad is None for p in model.parameters())


def test_init_is_torchvisions():
    torch.manual_seed(0)
    model = resnet.resnet50()
    w = model.layer3[0].conv2.weight  # 3x3, 256 -> 256: fan_out 256 * 9
    assert abs(w.std().item() - (2 / (256 * 9)) ** 0.5) < 0.02 * (2 / (256 * 9)) ** 0.5
    assert all(torch.equal(m.weight, torch.ones_like(m.weight)) for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="6n \\+ 2"):
        resnet.CifarResNet(21)
    with pytest.raises(ValueError, match="4 stages"):
        resnet.ResNet(resnet.BasicBlock, [2, 2, 2])
    with pytest.raises(ValueError, match="block must be"):
        resnet.ResNet(nn.Conv2d, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="momentum"):
        resnet.BatchNorm2d(3, momentum=None)
    with pytest.raises(ValueError, match="more than one value per channel"):
        resnet.BatchNorm2d(3)(torch.zeros(1, 3, 1, 1))
    with pytest.raises(ValueError, match="expects 3 channels"):
        resnet.resnet18()(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="x\\[None\\]"):
        resnet.BasicBlock(3, 3)(torch.zeros(3, 8, 8))
    with pytest.raises(TypeError, match="torch.Tensor"):
        resnet.CifarResNet(8)(np.zeros((1, 3, 8, 8), np.float32))
    with pytest.raises(ValueError, match="narrow"):
        resnet.BasicBlock(8, 4, shortcut="zero_pad")
    with pytest.raises(ValueError, match="shortcut must be"):
        resnet.CifarResNet(8, shortcut="identity")
