"""anet.runtime.head: spatial pool per frame, combine top nodes, temporal pool, Linear."""

from __future__ import annotations

import math

import pytest
import torch

from anet.runtime import Head


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def frame_features(x):
    """[B, C, T, H, W] -> [B, T, C] by a written-out spatial mean."""
    b, c, t, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(b, t, c, h * w).sum(-1) / (h * w)


def reference(head, inputs):
    feats = [frame_features(x) for x in inputs]  # [B, T, C] each
    differ = len({f.shape[-1] for f in feats}) > 1
    f = torch.cat(feats, dim=-1) if differ else sum(feats) / len(feats)
    weight, bias = head.fc.weight.detach(), head.fc.bias.detach()
    if head.pool == "avg":
        return f.mean(dim=1) @ weight.T + bias
    b, t, _ = f.shape
    out = torch.zeros(b, weight.shape[0])
    for i in range(b):
        per_frame = [f[i, j] @ weight.T + bias for j in range(t)]  # the Linear on every frame
        for k in range(weight.shape[0]):
            logits = torch.stack([p[k] for p in per_frame])
            scores = torch.exp(logits / math.sqrt(t))
            out[i, k] = (scores / scores.sum() * logits).sum()
    return out


@pytest.mark.parametrize("pool", ["avg", "max"])
@pytest.mark.parametrize("channels", [[16], [16, 16, 16], [16, 8], [4, 8, 4]])
@pytest.mark.parametrize("frames", [1, 3, 8])
def test_matches_reference(pool, channels, frames):
    head = Head(in_channels=channels, num_classes=5, pool=pool)
    with torch.no_grad():
        head.fc.bias.normal_()
        head.fc.weight.normal_()  # std 0.01 would make every softmax nearly uniform
    inputs = [torch.randn(2, c, frames, 3, 4) for c in channels]
    out = head(inputs)
    assert out.shape == (2, 5)
    torch.testing.assert_close(out, reference(head, inputs), rtol=1e-4, atol=1e-4)


def test_averages_equal_top_nodes_and_concatenates_different_ones():
    same = Head(in_channels=[8, 8, 8], num_classes=3)
    assert not same.concat and same.fc.in_features == 8
    one = Head(in_channels=[8], num_classes=3)
    one.load_state_dict(same.state_dict())
    a, b, c = (torch.randn(1, 8, 2, 3, 3) for _ in range(3))
    torch.testing.assert_close(same([a, b, c]), one([(a + b + c) / 3]), rtol=1e-5, atol=1e-5)
    mixed = Head(in_channels=[8, 4], num_classes=3)
    assert mixed.concat and mixed.fc.in_features == 12
    d = torch.randn(1, 4, 2, 3, 3)
    as_one = Head(in_channels=[12], num_classes=3)
    as_one.load_state_dict(mixed.state_dict())
    torch.testing.assert_close(mixed([a, d]), as_one([torch.cat([a, d], dim=1)]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("channels", [[16], [8, 8], [8, 4, 2]])
def test_parameter_count_and_init(channels):
    head = Head(in_channels=channels, num_classes=7)
    features = sum(channels) if len(set(channels)) > 1 else channels[0]
    assert n_params(head) == features * 7 + 7
    assert torch.all(head.fc.bias == 0)
    big = Head(in_channels=[512], num_classes=400)
    assert big.fc.weight.std().item() == pytest.approx(0.01, rel=0.05)


def test_max_pool_mode_tends_to_the_max_for_peaked_frames():
    head = Head(in_channels=[1], num_classes=1, pool="max")
    with torch.no_grad():
        head.fc.weight.fill_(1.0)
    x = torch.zeros(1, 1, 4, 2, 2)
    x[:, :, 2] = 50.0
    assert head([x]).item() == pytest.approx(50.0, rel=1e-3)
    avg = Head(in_channels=[1], num_classes=1, pool="avg")
    avg.load_state_dict(head.state_dict())
    assert avg([x]).item() == pytest.approx(12.5)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        Head(in_channels=[4], num_classes=2, pool="median")
    with pytest.raises(ValueError):
        Head(in_channels=[], num_classes=2)
    with pytest.raises(ValueError):
        Head(in_channels=[4, 4], num_classes=2)([torch.randn(1, 4, 1, 1, 1)])
