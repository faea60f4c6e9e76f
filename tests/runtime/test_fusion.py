"""anet.runtime.fusion: sigmoid-weighted, size- and channel-matched sum of several node outputs."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from anet.runtime import Fusion
from anet.runtime.fusion import pool_factor


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def reference_fusion(fusion, inputs, pool_reference):
    """Written out: pool to the smallest size, weight, sum per channel count, lift, sum."""
    h = min(x.shape[-2] for x in inputs)
    w = min(x.shape[-1] for x in inputs)
    sig = [1 / (1 + math.exp(-v)) for v in fusion.logits.tolist()]
    groups = {}
    for x, s in zip(inputs, sig, strict=True):
        kh, kw = pool_factor(x.shape[-2], h), pool_factor(x.shape[-1], w)
        pooled = x if x.shape[-2:] == (h, w) else pool_reference(x, (kh, kw), (kh, kw))
        c = x.shape[1]
        groups[c] = groups.get(c, 0) + s * pooled
    top = max(groups)
    total = 0
    for c, g in groups.items():
        if c != top:
            weight = fusion.lifts[str(c)].weight.detach()[:, :, 0, 0]  # [out, in]
            g = torch.einsum("oc,bcthw->bothw", weight, g)
        total = total + g
    return total


def test_pool_factor_matches_tf_on_224_sizes():
    for size, smallest in [(56, 28), (56, 14), (56, 7), (28, 14), (28, 7), (14, 7)]:
        assert pool_factor(size, smallest) == (size + 1) // smallest == size // smallest


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 600), halvings=st.integers(0, 6))
def test_pool_factor_always_reaches_the_smallest_size(size, halvings):
    smallest = size
    for _ in range(halvings):
        smallest = -(-smallest // 2)
    assert math.ceil(size / pool_factor(size, smallest)) == smallest


def test_pool_factor_fixes_tf_formula_where_it_fails():
    assert math.ceil(14 / ((14 + 1) // 4)) == 5  # TF's kernel 3 would give 5, not 4 (56x56 clips)
    assert pool_factor(14, 4) == 4


def test_matches_reference_with_groups_and_pooling(pool_reference):
    fusion = Fusion(in_channels=[8, 4, 8, 2, 4], weights=[0.9, 0.2, 0.5, 0.7, 0.35])
    sizes = [(14, 14), (7, 7), (7, 7), (14, 13), (4, 4)]
    inputs = [torch.randn(2, c, 3, h, w) for c, (h, w) in zip(fusion.in_channels, sizes, strict=True)]
    out = fusion(inputs)
    assert out.shape == (2, 8, 3, 4, 4)
    torch.testing.assert_close(out, reference_fusion(fusion, inputs, pool_reference), rtol=1e-5, atol=1e-5)


def test_sigmoid_weighting_of_equal_inputs():
    fusion = Fusion(in_channels=[3, 3], weights=[0.25, 0.6], trainable=False)
    a, b = torch.randn(1, 3, 2, 5, 5), torch.randn(1, 3, 2, 5, 5)
    torch.testing.assert_close(fusion([a, b]), 0.25 * a + 0.6 * b)
    assert fusion.edge_weights() == pytest.approx([0.25, 0.6], abs=1e-6)


def test_lifts_one_conv_per_smaller_channel_group():
    fusion = Fusion(in_channels=[4, 16, 4, 8, 8, 16])
    assert sorted(fusion.lifts) == ["4", "8"]
    for c, lift in fusion.lifts.items():
        assert tuple(lift.weight.shape) == (16, int(c), 1, 1) and lift.bias is None
    # six logits + one bias-free 1x1 conv per smaller group (4 -> 16 and 8 -> 16); no BN, no ReLU
    assert n_params(fusion) == 6 + 4 * 16 + 8 * 16
    assert fusion.out_channels == 16
    assert not any(isinstance(m, torch.nn.BatchNorm3d | torch.nn.ReLU) for m in fusion.modules())


def test_equal_channels_have_no_lift():
    fusion = Fusion(in_channels=[8, 8, 8])
    assert len(fusion.lifts) == 0 and n_params(fusion) == 3


def test_output_size_is_the_smallest():
    fusion = Fusion(in_channels=[4, 4, 4])
    inputs = [torch.randn(1, 4, 3, 56, 56), torch.randn(1, 4, 3, 14, 14), torch.randn(1, 4, 3, 4, 4)]
    assert fusion(inputs).shape == (1, 4, 3, 4, 4)
    odd = [torch.randn(1, 4, 1, 33, 33), torch.randn(1, 4, 1, 9, 9), torch.randn(1, 4, 1, 3, 3)]
    assert fusion(odd).shape == (1, 4, 1, 3, 3)


@pytest.mark.parametrize("frames", [1, 3, 8])
@pytest.mark.parametrize("size", [32, 33, 56])
@pytest.mark.parametrize("widths", [(2, 2, 2), (2, 4, 8), (8, 2, 4)])
def test_output_shapes(frames, size, widths):
    """Stem, level-2 and level-3 sized inputs (ceil-halved from one clip) fuse at the smallest size."""
    heights = [math.ceil(size / f) for f in (4, 8, 16)]
    widths_px = [math.ceil((size + 1) / f) for f in (4, 8, 16)]
    inputs = [torch.randn(1, c, frames, h, w) for c, h, w in zip(widths, heights, widths_px, strict=True)]
    out = Fusion(in_channels=widths)(inputs)
    assert out.shape == (1, max(widths), frames, heights[-1], widths_px[-1])


def test_sizes_that_cannot_be_pooled_together_are_reported():
    with pytest.raises(ValueError, match="cannot max-pool"):
        Fusion(in_channels=[2, 2])([torch.randn(1, 2, 1, 8, 8), torch.randn(1, 2, 1, 5, 5)])


def test_trainable_weights_are_parameters_with_gradients():
    fusion = Fusion(in_channels=[4, 2])
    assert isinstance(fusion.logits, torch.nn.Parameter)
    assert any(p is fusion.logits for p in fusion.parameters())
    assert fusion.logits.abs().max() < 0.1  # normal(0, 0.01): sigmoid about 0.5
    fusion([torch.randn(1, 4, 2, 6, 6), torch.randn(1, 2, 2, 6, 6)]).sum().backward()
    assert fusion.logits.grad is not None and torch.all(fusion.logits.grad != 0)
    assert fusion.lifts["2"].weight.grad is not None


def test_trainable_weights_start_from_given_values():
    fusion = Fusion(in_channels=[4, 2], weights=[0.8, 0.1])
    assert isinstance(fusion.logits, torch.nn.Parameter)
    assert fusion.edge_weights() == pytest.approx([0.8, 0.1], abs=1e-6)


def test_fixed_weights_are_buffers_in_the_state_dict():
    fusion = Fusion(in_channels=[4, 2], weights=[0.8, 0.1], trainable=False)
    assert not any(p is fusion.logits for p in fusion.parameters())
    assert n_params(fusion) == 2 * 4  # only the lift
    state = fusion.state_dict()
    assert "logits" in state
    torch.testing.assert_close(torch.sigmoid(state["logits"]), torch.tensor([0.8, 0.1]))
    copy = Fusion(in_channels=[4, 2], weights=[0.5, 0.5], trainable=False)
    copy.load_state_dict(state)
    assert copy.edge_weights() == pytest.approx([0.8, 0.1], abs=1e-6)


def test_extreme_weights_stay_finite():
    fusion = Fusion(in_channels=[2, 2], weights=[0.0, 1.0], trainable=False)
    assert torch.isfinite(fusion.logits).all()
    assert fusion.edge_weights() == pytest.approx([0.0, 1.0], abs=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"in_channels": [4]}, "at least 2"),
        ({"in_channels": [4, 4], "trainable": False}, "need `weights`"),
        ({"in_channels": [4, 4], "weights": [0.5]}, "2 inputs"),
        ({"in_channels": [4, 4], "weights": [0.5, 1.5]}, r"\[0, 1\]"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Fusion(**kwargs)


def test_rejects_wrong_number_of_inputs():
    with pytest.raises(ValueError):
        Fusion(in_channels=[4, 4])([torch.randn(1, 4, 1, 2, 2)])
