"""anet.runtime.layers: padding rules, TF 'same' max-pool, conv units, BN settings, width scaling."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from anet.runtime import scale_channels
from anet.runtime.layers import (
    BN_EPS,
    BN_MOMENTUM,
    FOLD_MIN_ELEMENTS,
    FrameConvBN,
    SameMaxPool,
    TemporalConvBN,
    batch_norm,
    over_time,
    per_frame,
    same_max_pool,
    tf_same_padding,
)


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# --- width multiplier -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "width", "expected"),
    [
        (64, 1.0, 64),
        (64, 0.5, 32),
        (64, 0.25, 16),
        (32, 0.1, 3),
        (3, 0.1, 1),
        (1, 0.01, 1),
        (10, 1.26, 13),
    ],
)
def test_scale_channels(c, width, expected):
    assert scale_channels(c, width) == expected


@pytest.mark.parametrize(("c", "width"), [(0, 1.0), (8, 0.0), (8, -1.0)])
def test_scale_channels_rejects_bad_input(c, width):
    with pytest.raises(ValueError):
        scale_channels(c, width)


# --- TF "same" padding and max-pool -----------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [
        (112, 3, 2, (0, 1)),  # even map: TF puts the odd padding pixel at the end
        (113, 3, 2, (1, 1)),
        (56, 2, 2, (0, 0)),
        (57, 2, 2, (0, 1)),
        (14, 4, 4, (1, 1)),
        (13, 4, 4, (1, 2)),
        (7, 7, 2, (3, 3)),
    ],
)
def test_tf_same_padding(size, kernel, stride, expected):
    assert tf_same_padding(size, kernel, stride) == expected
    begin, end = expected
    assert (size + begin + end - kernel) // stride + 1 == math.ceil(size / stride)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 32, 33, 56, 57])
@pytest.mark.parametrize(("kernel", "stride"), [(3, 2), (2, 2), (4, 4), (3, 3), (8, 8), (2, 1), (3, 1)])
def test_same_max_pool_matches_reference(size, kernel, stride, pool_reference):
    x = torch.randn(2, 3, 2, size, size + 1)
    out = same_max_pool(x, (kernel, kernel), (stride, stride))
    assert out.shape[-2:] == (math.ceil(size / stride), math.ceil((size + 1) / stride))
    torch.testing.assert_close(out, pool_reference(x, (kernel, kernel), (stride, stride)), rtol=0, atol=0)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    kh=st.integers(1, 6),
    kw=st.integers(1, 6),
    sh=st.integers(1, 6),
    sw=st.integers(1, 6),
    channels_last=st.booleans(),
)
def test_same_max_pool_any_shape(h, w, kh, kw, sh, sw, channels_last, pool_reference):
    x = torch.randn(1, 2, 3, h, w)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last_3d)
    expected = pool_reference(x, (kh, kw), (sh, sw))
    torch.testing.assert_close(same_max_pool(x, (kh, kw), (sh, sw)), expected, rtol=0, atol=0)


def test_same_max_pool_uses_minus_infinity_padding():
    x = -torch.ones(1, 1, 1, 4, 4) * 5  # all negative: zero padding would leak zeros into the result
    assert torch.all(SameMaxPool(kernel=3, stride=2)(x) == -5)


def test_same_max_pool_keeps_time():
    x = torch.randn(1, 2, 5, 9, 9)
    assert SameMaxPool(kernel=3, stride=2)(x).shape == (1, 2, 5, 5, 5)
    assert n_params(SameMaxPool(kernel=3, stride=2)) == 0


# --- BN settings -------------------------------------------------------------------------------


def test_batch_norm_settings():
    bn = batch_norm(6)
    assert (bn.momentum, bn.eps) == (BN_MOMENTUM, BN_EPS) == (0.01, 1e-5)
    assert torch.all(bn.weight == 1) and torch.all(bn.bias == 0)
    assert torch.all(batch_norm(6, zero_gamma=True).weight == 0)
    assert n_params(bn) == 2 * 6


# --- conv units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "stride", "size", "out"),
    [
        (7, 2, 7, 4),  # TF fixed padding: a 7x7 map becomes 4x4 at stride 2
        (7, 2, 224, 112),
        (7, 2, 33, 17),
        (3, 2, 56, 28),
        (3, 2, 7, 4),
        (3, 1, 9, 9),
        (1, 2, 7, 4),
        (1, 1, 5, 5),
    ],
)
def test_frame_conv_shapes_and_params(kernel, stride, size, out):
    unit = FrameConvBN(in_channels=3, out_channels=5, kernel=kernel, stride=stride)
    assert n_params(unit) == kernel * kernel * 3 * 5 + 2 * 5
    assert unit.conv.bias is None
    assert unit(torch.randn(2, 3, 3, size, size)).shape == (2, 5, 3, out, out)


def test_frame_conv_is_a_per_frame_conv_with_fixed_padding():
    unit = FrameConvBN(in_channels=2, out_channels=3, kernel=3, stride=2, relu=False).eval()
    x = torch.randn(2, 2, 4, 8, 7)
    weight = unit.conv.weight.detach()
    expected = torch.stack(
        [F.conv2d(F.pad(x[:, :, t], (1, 1, 1, 1)), weight, stride=2) for t in range(x.shape[2])], dim=2
    )
    bn = unit.bn
    expected = (expected - bn.running_mean[None, :, None, None, None]) / torch.sqrt(
        bn.running_var[None, :, None, None, None] + bn.eps
    )
    torch.testing.assert_close(unit(x), expected, rtol=1e-5, atol=1e-5)


def test_relu_flag():
    x = torch.randn(2, 3, 2, 6, 6)
    assert (FrameConvBN(in_channels=3, out_channels=4, kernel=3)(x) >= 0).all()
    assert (FrameConvBN(in_channels=3, out_channels=4, kernel=3, relu=False)(x) < 0).any()


def test_conv_init_is_kaiming_fan_out():
    unit = FrameConvBN(in_channels=64, out_channels=256, kernel=3)
    expected_std = math.sqrt(2.0 / (256 * 3 * 3))
    assert unit.conv.weight.std().item() == pytest.approx(expected_std, rel=0.05)


@pytest.mark.parametrize("r", [1, 2, 4, 8])
@pytest.mark.parametrize("frames", [1, 3, 8])
def test_temporal_conv_keeps_time(r, frames):
    unit = TemporalConvBN(in_channels=3, out_channels=4, kernel=3, dilation=r)
    assert n_params(unit) == 3 * 3 * 4 + 2 * 4
    assert unit(torch.randn(2, 3, frames, 5, 6)).shape == (2, 4, frames, 5, 6)


@pytest.mark.parametrize(("r", "t0"), [(1, 5), (2, 5), (3, 5), (4, 0), (4, 9)])
def test_temporal_dilation_impulse(r, t0):
    """y[t] = w0 x[t - r] + w1 x[t] + w2 x[t + r], zero outside the clip: an impulse at t0 shows up
    at t0 + r (w0), t0 (w1) and t0 - r (w2) only, in every pixel, for every r."""
    unit = TemporalConvBN(in_channels=1, out_channels=1, kernel=3, dilation=r)
    w = torch.tensor([2.0, 3.0, 5.0])
    with torch.no_grad():
        unit.conv.weight.copy_(w.view(1, 1, 3, 1))
    x = torch.zeros(1, 1, 10, 2, 3)
    x[:, :, t0] = 1.0
    y = over_time(unit.conv, x)
    expected = torch.zeros(10)
    for offset, tap in ((r, w[0]), (0, w[1]), (-r, w[2])):
        if 0 <= t0 + offset < 10:
            expected[t0 + offset] = tap
    assert y.shape == x.shape
    torch.testing.assert_close(y[0, 0], expected.view(10, 1, 1).expand(10, 2, 3))


def test_temporal_conv_kernel_5_dilation():
    unit = TemporalConvBN(in_channels=1, out_channels=1, kernel=5, dilation=2)
    with torch.no_grad():
        unit.conv.weight.copy_(torch.arange(1.0, 6.0).view(1, 1, 5, 1))
    x = torch.zeros(1, 1, 12, 1, 1)
    x[:, :, 6] = 1.0
    y = over_time(unit.conv, x)[0, 0, :, 0, 0]
    expected = torch.zeros(12)
    expected[[10, 8, 6, 4, 2]] = torch.arange(1.0, 6.0)
    torch.testing.assert_close(y, expected)


def test_even_kernels_are_rejected():
    with pytest.raises(ValueError):
        FrameConvBN(in_channels=1, out_channels=1, kernel=2)
    with pytest.raises(ValueError):
        TemporalConvBN(in_channels=1, out_channels=1, kernel=3, dilation=0)


def test_views_give_the_same_result_for_any_memory_format():
    conv = FrameConvBN(in_channels=4, out_channels=6, kernel=3, stride=2)
    x = torch.randn(3, 4, 5, 9, 10)
    a = per_frame(conv.conv, x)
    b = per_frame(conv.conv, x.contiguous(memory_format=torch.channels_last_3d))
    torch.testing.assert_close(a, b)
    assert b.is_contiguous(memory_format=torch.channels_last_3d)
    one = x[:1, :, :1]  # a single frame: ambiguous strides, still channels-last out
    assert per_frame(conv.conv, one.contiguous(memory_format=torch.channels_last_3d)).is_contiguous(
        memory_format=torch.channels_last_3d
    )
    tconv = TemporalConvBN(in_channels=4, out_channels=6, kernel=3, dilation=2).conv
    for clip in (x, x[:1]):  # a single clip has ambiguous strides too
        cl = clip.contiguous(memory_format=torch.channels_last_3d)
        torch.testing.assert_close(over_time(tconv, clip), over_time(tconv, cl))
        assert over_time(tconv, cl).is_contiguous(memory_format=torch.channels_last_3d)


# --- BN folded into the conv in inference ---------------------------------------------------------


def _with_statistics(unit: torch.nn.Module, seed: int) -> torch.nn.Module:
    """A unit whose BN has non-trivial statistics and affine parameters (a fresh BN is the identity)."""
    g = torch.Generator().manual_seed(seed)
    bn = unit.bn
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=g) * 0.5)
        bn.running_var.copy_(torch.rand(bn.num_features, generator=g) * 2 + 0.1)
        bn.weight.copy_(torch.randn(bn.num_features, generator=g))
        bn.bias.copy_(torch.randn(bn.num_features, generator=g))
    return unit.eval()


FOLDED_UNITS = [
    pytest.param(lambda: FrameConvBN(in_channels=5, out_channels=64, kernel=3), id="3x3"),
    pytest.param(lambda: FrameConvBN(in_channels=5, out_channels=64, kernel=7, stride=2), id="7x7-stride2"),
    pytest.param(lambda: FrameConvBN(in_channels=5, out_channels=64, kernel=1, stride=2, relu=False), id="1x1-sub"),
    pytest.param(lambda: TemporalConvBN(in_channels=5, out_channels=64, kernel=3, dilation=2), id="temporal"),
]


def _count_bn_calls(unit: torch.nn.Module) -> list[int]:
    calls = [0]
    unit.bn.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.mark.parametrize("make", FOLDED_UNITS)
@pytest.mark.parametrize("seed", [0, 1])
def test_folded_inference_equals_conv_then_bn(make, seed):
    unit = _with_statistics(make(), seed)
    x = torch.randn(2, 5, 8, 64, 66).contiguous(memory_format=torch.channels_last_3d)  # >= 2**20 outputs
    calls = _count_bn_calls(unit)
    with torch.no_grad():
        folded = unit(x)
    assert calls[0] == 0  # the BN module was not run: the fold was used
    expected = unit(x)  # gradient enabled: conv, then the BN module
    assert calls[0] == 1
    torch.testing.assert_close(folded, expected.detach(), rtol=1e-5, atol=1e-5)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        folded_bf16 = unit(x)
    assert folded_bf16.dtype == torch.bfloat16
    torch.testing.assert_close(folded_bf16.float(), expected.detach(), rtol=0.05, atol=0.05)


@pytest.mark.parametrize("make", FOLDED_UNITS[:1])
def test_fold_is_not_used_when_training_or_capturing_a_graph(make):
    unit = _with_statistics(make(), 0)
    x = torch.randn(1, 5, 4, 64, 66)  # large enough to fold in inference
    calls = _count_bn_calls(unit)
    with torch.no_grad():
        unit.train()(x)  # training-mode BN normalises with the batch and updates the statistics
        assert calls[0] == 1
        traced = torch.jit.trace(unit.eval(), x, check_trace=False)
    assert calls[0] == 2
    # The trace holds the BN with its own parameters: changing them later changes the traced result.
    with torch.no_grad():
        unit.bn.bias.add_(1.0)
        torch.testing.assert_close(traced(x), unit(x))


def test_fold_follows_parameters_changed_in_place():
    """Nothing is cached: weights and statistics changed after a forward (even through ``.data``,
    which version counters do not see) are used by the next one."""
    unit = _with_statistics(FrameConvBN(in_channels=3, out_channels=64, kernel=3, relu=False), 0)
    x = torch.randn(1, 3, 4, 64, 66)
    calls = _count_bn_calls(unit)
    with torch.no_grad():
        before = unit(x)
        unit.bn.running_mean.add_(2.0)
        unit.conv.weight.data.mul_(3.0)
        after = unit(x)
    assert calls[0] == 0
    expected = unit(x).detach()  # gradient enabled: the unfolded path
    torch.testing.assert_close(after, expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(after, before, atol=0.1)


def test_small_activations_keep_bn_unfolded():
    """Below FOLD_MIN_ELEMENTS output elements the fold would cost more than the BN pass it saves."""
    unit = _with_statistics(FrameConvBN(in_channels=3, out_channels=64, kernel=3, stride=2), 0)
    calls = _count_bn_calls(unit)
    side = 2 * int(math.sqrt(FOLD_MIN_ELEMENTS // 64 // 4))  # 64 channels, 4 frames, stride 2
    with torch.no_grad():
        unit(torch.randn(1, 3, 4, side - 2, side - 2))  # just below: BN runs
        assert calls[0] == 1
        unit(torch.randn(1, 3, 4, side, side))  # at the threshold: folded
        assert calls[0] == 1
