"""anet.runtime.lite: AssembleNet++lite's stems, inverted bottleneck modules and blocks, head.

Expected counts and references are written out here from the authors' TF1 code
(``assemblenet_plus_lite.py``, ``conv3d_same_padding`` in ``assemblenet.py``):

    stem      3x3 conv stride 2 Cin->C, BN; temporal conv (kernel 3) C->C, BN
    module    1x1 conv Cin->e, BN; stride > 1: 3x3 conv e->m (stride), BN, temporal conv m->m, BN;
              stride 1: 3x3x3 conv e->m, BN; 1x1 conv m->o, BN (zero gamma); first module only:
              shortcut 1x1 conv Cin->o (stride), BN
    head      1x1 conv Cin->432, BN; 1x1 conv 432->2048, BN; Linear(2048, classes) with bias
    BN        2 parameters per channel; convs bias-free; padding TF "SAME"
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from anet.runtime import Head, InvertedBottleneckBlock, InvertedBottleneckModule, LiteHead, LiteStem, inference_copy
from anet.runtime.lite import SameFrameConvBN, SpaceTimeConvBN

pytestmark = pytest.mark.usefixtures("native_convs")


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def bn(c: int) -> int:
    return 2 * c


def module_params(cin: int, filters: tuple[int, int, int], stride: int, project: bool) -> int:
    e, m, o = filters
    middle = 9 * e * m + bn(m) + 3 * m * m + bn(m) if stride > 1 else 27 * e * m + bn(m)
    shortcut = cin * o + bn(o) if project else 0
    return cin * e + bn(e) + middle + m * o + bn(o) + shortcut


def block_params(cin: int, filters: tuple[int, int, int], stride: int, repeats: int) -> int:
    return module_params(cin, filters, stride, True) + (repeats - 1) * module_params(filters[2], filters, 1, False)


def tf_same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF's "SAME": ceil(size / stride) outputs, the odd pixel of the padding at the end."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def clip(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("h", "w"), [(8, 8), (9, 7), (1, 2)])
def test_strided_conv_pads_like_tf_same(h, w):
    layer = SameFrameConvBN(in_channels=3, out_channels=4, kernel=3, stride=2).eval()
    x = clip(2, 3, 5, h, w)
    (top, bottom), (left, right) = tf_same_pads(h, 3, 2), tf_same_pads(w, 3, 2)
    weight = layer.conv.weight.detach().unsqueeze(2)  # a (1, 3, 3) Conv3d kernel
    expected = layer.bn(F.conv3d(F.pad(x, (left, right, top, bottom)), weight, stride=(1, 2, 2))).relu()
    with torch.no_grad():
        out = layer(x)
    assert out.shape == (2, 4, 5, math.ceil(h / 2), math.ceil(w / 2))
    torch.testing.assert_close(out, expected)


def test_even_sizes_pad_only_at_the_end():
    """Only the kernel's top-left tap is non-zero and only pixel (0, 0) is lit: the first window
    sees it with that tap when nothing is padded in front (TF), and no window does with a
    symmetric padding (window 0 would put the tap on the padding, window 1 on pixel (1, 1))."""
    layer = SameFrameConvBN(in_channels=1, out_channels=1, kernel=3, stride=2).eval()
    with torch.no_grad():
        layer.conv.weight.zero_()
        layer.conv.weight[0, 0, 0, 0] = 1.0
        x = torch.zeros(1, 1, 1, 6, 6)
        x[..., 0, 0] = 1.0
        out = layer(x)[0, 0, 0]
    assert out[0, 0] > 0 and out.sum() == out[0, 0]


@pytest.mark.parametrize("r", [1, 2, 4])
def test_space_time_conv_is_a_dilated_3x3x3_conv(r):
    layer = SpaceTimeConvBN(in_channels=5, out_channels=6, r=r).eval()
    x = clip(2, 5, 7, 6, 5, seed=r)
    weight = layer.conv3d_weight().detach()
    assert weight.shape == (6, 5, 3, 3, 3)
    expected = layer.bn(F.conv3d(x, weight, padding=(r, 1, 1), dilation=(r, 1, 1))).relu()
    with torch.no_grad():
        out = layer(x)
    assert out.shape == (2, 6, 7, 6, 5)
    torch.testing.assert_close(out, expected)


def test_space_time_conv_starts_with_the_3d_kernels_fan_out():
    layer = SpaceTimeConvBN(in_channels=64, out_channels=64)
    std = layer.conv.weight.std().item()
    assert std == pytest.approx(math.sqrt(2 / (27 * 64)), rel=0.05)


@pytest.mark.parametrize(("cin", "channels", "r", "width"), [(3, 24, 1, 1.0), (2, 24, 4, 1.0), (3, 24, 2, 0.25)])
def test_stem_shapes_and_parameters(cin, channels, r, width):
    stem = LiteStem(in_channels=cin, channels=channels, r=r, width=width)
    c = max(1, round(channels * width))
    assert stem.out_channels == c
    assert n_params(stem) == 9 * cin * c + bn(c) + 3 * c * c + bn(c)
    assert stem.temporal.conv.dilation == (r, 1)
    out = stem(torch.rand(2, cin, 4, 15, 16))
    assert out.shape == (2, c, 4, 8, 8)  # stride 2, no max-pool


def test_module_structure_strided_and_not():
    strided = InvertedBottleneckModule(in_channels=8, filters=(6, 5, 4), r=2, stride=2, project=True)
    spatial, temporal = strided.middle
    assert isinstance(spatial, SameFrameConvBN) and spatial.conv.stride == (2, 2)
    assert temporal.conv.dilation == (2, 1) and temporal.conv.kernel_size == (3, 1)
    assert strided.shortcut is not None and strided.shortcut.subsample == 2
    plain = InvertedBottleneckModule(in_channels=4, filters=(6, 5, 4), r=4)
    assert isinstance(plain.middle, SpaceTimeConvBN) and plain.middle.r == 4
    assert plain.shortcut is None
    for module in (strided, plain):
        assert torch.count_nonzero(module.project.bn.weight) == 0  # zero-init gamma, no ReLU
        assert not module.project.relu
    with pytest.raises(ValueError, match="identity shortcut"):
        InvertedBottleneckModule(in_channels=8, filters=(6, 5, 4), r=1)
    with pytest.raises(ValueError, match="identity shortcut"):
        InvertedBottleneckModule(in_channels=4, filters=(6, 5, 4), r=1, stride=2)


def test_a_fresh_module_is_its_shortcut():
    """Zero-init gamma: at initialisation the residual branch adds nothing (up to the BN shift, 0)."""
    module = InvertedBottleneckModule(in_channels=8, filters=(6, 5, 4), r=1, stride=2, project=True)
    x = clip(2, 8, 3, 8, 8)
    torch.testing.assert_close(module(x), module.shortcut(x).relu())
    identity = InvertedBottleneckModule(in_channels=4, filters=(6, 5, 4), r=1)
    y = clip(2, 4, 3, 8, 8).relu()
    torch.testing.assert_close(identity(y), y)


@pytest.mark.parametrize(
    ("cin", "filters", "stride", "repeats"),
    [(24, (27, 27, 12), 2, 3), (12, (54, 54, 24), 2, 5), (24, (8, 6, 4), 1, 2), (5, (4, 4, 4), 1, 1)],
)
def test_block_parameters_and_shapes(cin, filters, stride, repeats):
    block = InvertedBottleneckBlock(in_channels=cin, filters=list(filters), r=2, stride=stride, repeats=repeats)
    assert n_params(block) == block_params(cin, filters, stride, repeats)
    assert len(block.residuals) == repeats and block.out_channels == filters[2]
    assert [m.shortcut is not None for m in block.residuals] == [True] + [False] * (repeats - 1)
    out = block(torch.rand(1, cin, 3, 9, 10))
    assert out.shape == (1, filters[2], 3, math.ceil(9 / stride), math.ceil(10 / stride))


def test_block_width_scales_every_filter():
    block = InvertedBottleneckBlock(in_channels=6, filters=[27, 27, 12], r=1, stride=2, repeats=2, width=0.5)
    assert block.out_channels == 6  # round(12 * 0.5)
    assert n_params(block) == block_params(6, (14, 14, 6), 2, 2)  # round(13.5) = 14 (to even)
    with pytest.raises(ValueError, match="expand, middle, out"):
        InvertedBottleneckBlock(in_channels=6, filters=[27, 12], r=1, stride=2, repeats=2)


@pytest.mark.parametrize(("width", "hidden", "features"), [(1.0, 432, 2048), (0.125, 54, 256)])
def test_head_parameters(width, hidden, features):
    head = LiteHead(in_channels=[192], num_classes=157, width=width)
    expected = 192 * hidden + bn(hidden) + hidden * features + bn(features) + features * 157 + 157
    assert n_params(head) == expected
    assert head.in_channels == (192,)
    with pytest.raises(ValueError, match="one node"):
        LiteHead(in_channels=[192, 192], num_classes=157)


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_head_is_two_convs_then_the_anet_head(pool):
    head = LiteHead(in_channels=[6], num_classes=5, pool=pool, width=0.05).eval()  # 22 and 102 filters
    x = clip(2, 6, 4, 3, 3).relu()
    plain = Head(in_channels=[102], num_classes=5, pool=pool)
    plain.load_state_dict(head.fc.state_dict(prefix="fc."))
    with torch.no_grad():
        features = head.convs[1](head.convs[0](x))
        expected = plain([features])
        out = head([x])
    assert out.shape == (2, 5)
    torch.testing.assert_close(out, expected)
    with pytest.raises(ValueError, match="expected 1 input"):
        head([x, x])


def test_inference_copy_folds_the_lite_convs():
    torch.manual_seed(1)
    block = InvertedBottleneckBlock(in_channels=4, filters=[8, 8, 4], r=2, stride=2, repeats=2)
    for module in block.modules():  # move BN away from its initialisation
        if isinstance(module, torch.nn.BatchNorm3d):
            module.weight.data.uniform_(0.5, 1.5)
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 2.0)
    block.eval()
    x = clip(2, 4, 5, 8, 8)
    with torch.no_grad():
        expected = block(x)
        folded = inference_copy(block)
        assert not any(isinstance(m, torch.nn.BatchNorm3d) for m in folded.modules())
        torch.testing.assert_close(folded(x), expected, rtol=1e-4, atol=1e-5)
