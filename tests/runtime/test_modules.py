"""anet.runtime.modules: the 2D and (2+1)D bottleneck residual modules."""

from __future__ import annotations

import pytest
import torch

from anet.runtime import ResidualModule2D, ResidualModule2Plus1D
from anet.runtime.layers import TemporalConvBN

pytestmark = pytest.mark.usefixtures("native_convs")


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def bn(c: int) -> int:
    return 2 * c  # gamma and beta; running statistics are buffers


def module_2d_params(cin: int, c: int, d: int, project: bool) -> int:
    # 1x1 Cin->C, 3x3 C->D, 1x1 D->4C, each bias-free and followed by BN; optional projection shortcut.
    total = cin * c + bn(c) + 3 * 3 * c * d + bn(d) + d * 4 * c + bn(4 * c)
    return total + (cin * 4 * c + bn(4 * c) if project else 0)


def module_2plus1d_params(cin: int, c: int, d: int, project: bool) -> int:
    # The first 1x1 becomes a 3-tap temporal conv Cin->C.
    return module_2d_params(cin, c, d, project) - cin * c + 3 * cin * c


@pytest.mark.parametrize(("cin", "c", "d"), [(8, 4, 64), (16, 4, 128), (32, 8, 256), (6, 3, 512)])
@pytest.mark.parametrize("project", [True, False])
def test_parameter_counts(cin, c, d, project):
    cin = cin if project else 4 * c
    assert n_params(ResidualModule2D(in_channels=cin, channels=c, width=d, project=project)) == (
        module_2d_params(cin, c, d, project)
    )
    assert n_params(ResidualModule2Plus1D(in_channels=cin, channels=c, width=d, r=2, project=project)) == (
        module_2plus1d_params(cin, c, d, project)
    )


def test_3x3_width_is_d_not_c():
    m = ResidualModule2D(in_channels=16, channels=4, width=64, project=True)
    assert tuple(m.spatial.conv.weight.shape) == (64, 4, 3, 3)
    assert tuple(m.expand.conv.weight.shape) == (16, 64, 1, 1)
    assert isinstance(ResidualModule2Plus1D(in_channels=16, channels=4, width=64, r=1).first, TemporalConvBN)


@pytest.mark.parametrize("cls", [ResidualModule2D, ResidualModule2Plus1D])
def test_last_bn_gamma_is_zero_and_others_one(cls):
    kwargs = {"r": 2} if cls is ResidualModule2Plus1D else {}
    m = cls(in_channels=8, channels=4, width=64, stride=2, project=True, **kwargs)
    assert torch.all(m.expand.bn.weight == 0)
    for unit in (m.first, m.spatial, m.shortcut):
        assert torch.all(unit.bn.weight == 1) and torch.all(unit.bn.bias == 0)


@pytest.mark.parametrize("cls", [ResidualModule2D, ResidualModule2Plus1D])
def test_fresh_module_is_relu_of_its_shortcut(cls):
    """With gamma = 0 and beta = 0 the residual branch outputs exactly 0 at initialisation."""
    kwargs = {"r": 1} if cls is ResidualModule2Plus1D else {}
    x = torch.randn(2, 16, 3, 6, 6)
    identity = cls(in_channels=16, channels=4, width=64, **kwargs)
    torch.testing.assert_close(identity(x), torch.relu(x))
    projected = cls(in_channels=16, channels=4, width=64, stride=2, project=True, **kwargs)
    torch.testing.assert_close(projected(x), torch.relu(projected.shortcut(x)))


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("size", [7, 8, 33])
def test_shapes(stride, size):
    x = torch.randn(2, 8, 3, size, size)
    out = -(-size // stride)
    m2 = ResidualModule2D(in_channels=8, channels=4, width=64, stride=stride, project=True)
    m3 = ResidualModule2Plus1D(in_channels=8, channels=4, width=64, r=2, stride=stride, project=True)
    assert m2(x).shape == m3(x).shape == (2, 16, 3, out, out)
    assert m2.out_channels == m3.out_channels == 16


def test_shortcut_projection_has_the_stride_and_no_relu():
    m = ResidualModule2D(in_channels=8, channels=4, width=64, stride=2, project=True)
    # the 1x1 projection subsamples, then convolves at stride 1 (same pixels as a strided 1x1 conv)
    assert m.shortcut.subsample == 2 and m.shortcut.conv.stride == (1, 1) and m.spatial.conv.stride == (2, 2)
    assert m.first.conv.stride == (1, 1) and not m.shortcut.relu and not m.expand.relu


def test_strided_projection_equals_a_strided_1x1_conv_and_survives_one_thread_backward():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        m = ResidualModule2D(in_channels=4, channels=2, width=8, stride=2, project=True).shortcut.eval()
        reference = torch.nn.Conv2d(4, 8, 1, stride=2, bias=False)
        reference.weight.data.copy_(m.conv.weight.data)
        for size in (7, 16):
            x = torch.randn(2, 4, 3, size, size).contiguous(memory_format=torch.channels_last_3d)
            expected = m.bn(torch.stack([reference(x[:, :, t]) for t in range(3)], dim=2))
            torch.testing.assert_close(m(x), expected)
        m.train()
        x = torch.randn(16, 4, 1, 16, 16).contiguous(memory_format=torch.channels_last_3d).requires_grad_()
        m(x).sum().backward()  # crashed in torch 2.13 with a strided channels-last 1x1 conv
        assert torch.isfinite(x.grad).all()
    finally:
        torch.set_num_threads(threads)


def test_identity_shortcut_needs_matching_shapes():
    with pytest.raises(ValueError):
        ResidualModule2D(in_channels=8, channels=4, width=64)  # 8 != 4 * 4
    with pytest.raises(ValueError):
        ResidualModule2D(in_channels=16, channels=4, width=64, stride=2)


def test_backward_reaches_every_parameter():
    m = ResidualModule2Plus1D(in_channels=8, channels=4, width=64, r=2, stride=2, project=True)
    x = torch.randn(2, 8, 3, 9, 9, requires_grad=True)
    m(x).square().sum().backward()
    assert x.grad is not None
    assert all(p.grad is not None for p in m.parameters())
