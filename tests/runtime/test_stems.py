"""anet.runtime.stems: RGB, flow and object (segmentation) stems."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from anet.runtime import FlowStem, ObjectStem, RGBStem

pytestmark = pytest.mark.usefixtures("native_convs")


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("c", [1, 4, 32, 64])
def test_parameter_counts(c):
    # RGB: 7x7 conv 3->C + BN, 5-tap temporal conv C->C + BN. Flow: 7x7 conv 2->C + BN. Object: none.
    assert n_params(RGBStem(channels=c, r=2)) == 7 * 7 * 3 * c + 2 * c + 5 * c * c + 2 * c
    assert n_params(FlowStem(channels=c)) == 7 * 7 * 2 * c + 2 * c
    assert n_params(ObjectStem(channels=c)) == 0


@pytest.mark.parametrize(("c", "frames", "size"), list(itertools.product([2, 5], [1, 3, 8], [32, 33, 56])))
def test_shapes_are_a_quarter_with_ceil(c, frames, size):
    expected = (2, c, frames, math.ceil(size / 4), math.ceil((size + 1) / 4))
    assert RGBStem(channels=c, r=4)(torch.randn(2, 3, frames, size, size + 1)).shape == expected
    assert FlowStem(channels=c)(torch.randn(2, 2, frames, size, size + 1)).shape == expected
    assert ObjectStem(channels=c)(torch.randn(2, c, frames, size, size + 1)).shape == expected


def test_out_channels():
    assert RGBStem(channels=32, r=1).out_channels == 32
    assert FlowStem(channels=64).out_channels == 64
    assert ObjectStem(channels=80).out_channels == 80


def test_width_multiplier_scales_image_stems():
    assert RGBStem(channels=32, r=1, width=0.125).out_channels == 4
    assert FlowStem(channels=32, width=0.3).out_channels == round(32 * 0.3)
    assert n_params(RGBStem(channels=32, r=2, width=0.25)) == n_params(RGBStem(channels=8, r=2))


def test_rgb_stem_layers():
    stem = RGBStem(channels=8, r=4)
    assert stem.conv.conv.stride == (2, 2) and stem.conv.conv.kernel_size == (7, 7)
    assert stem.temporal.conv.kernel_size == (5, 1)
    assert stem.temporal.conv.dilation == (4, 1) and stem.temporal.conv.padding == (8, 0)
    assert (stem.pool.kernel, stem.pool.stride) == (3, 2)
    flow = FlowStem(channels=8)
    assert (flow.pool.kernel, flow.pool.stride) == (2, 2)


def test_object_stem_is_a_tf_same_4x4_max_pool(pool_reference):
    x = torch.randn(2, 6, 3, 30, 33)
    torch.testing.assert_close(ObjectStem(channels=6)(x), pool_reference(x, (4, 4), (4, 4)), rtol=0, atol=0)


def output_and_pooled(stem: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The stem's output and the features its pool was given (the very tensor, so that the pool
    alone is compared: convs recomputed here could round differently)."""
    pooled = []
    hook = stem.pool.register_forward_pre_hook(lambda _module, args: pooled.append(args[0]))
    out = stem(x)
    hook.remove()
    return out, pooled[0]


def test_flow_stem_pool_matches_reference(pool_reference):
    stem = FlowStem(channels=3).eval()
    x = torch.randn(1, 2, 2, 29, 30)
    out, features = output_and_pooled(stem, x)
    torch.testing.assert_close(features, stem.conv(x), rtol=1e-5, atol=1e-5)  # the pool comes after the conv
    torch.testing.assert_close(out, pool_reference(features, (2, 2), (2, 2)), rtol=0, atol=0)


def test_rgb_stem_pool_matches_reference(pool_reference):
    stem = RGBStem(channels=3, r=1).eval()
    x = torch.randn(1, 3, 2, 28, 31)
    out, features = output_and_pooled(stem, x)
    torch.testing.assert_close(features, stem.temporal(stem.conv(x)), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out, pool_reference(features, (3, 3), (2, 2)), rtol=0, atol=0)
