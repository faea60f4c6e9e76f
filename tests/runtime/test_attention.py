"""AssembleNet++ attention (anet.runtime.attention, AttendedFusion) against the formulas of the
authors' TF1 code (google-research `assemblenet/assemblenet_plus.py`), written out here with loops
over clips and frames:

    p_k       = Dense_k(mean_HW(x_k))                       per peer k, units U = max peer channels
    x_j'      = sigmoid(e_j) * maxpool(x_j)                 to the smallest frame size
    peer:  a_j = sigmoid(Dense_j(sum_k softmax(w_j)_k p_k))
    self:  a_j = sigmoid(Dense_j(mean_HW(x_j')))
    out       = sum over channel counts c of lift_c(sum_{j: C_j = c} x_j' * a_j)

where lift_c is a bias-free 1x1 conv to the widest count among the inputs that are not object
stems (none for that count itself). One input: out = x * a, no weight, no pooling, no lift.
"""

from __future__ import annotations

import math

import pytest
import torch

from anet.runtime import AttendedFusion, Fusion, PeerAttention, frame_mean

SMALL, LARGE = (5, 6), (9, 11)  # frame sizes: the large ones max-pool down to the small (ceil-halving)


def dense(layer: torch.nn.Linear, v: torch.Tensor) -> torch.Tensor:
    return layer.weight @ v + layer.bias


def frame_means(x: torch.Tensor) -> list[list[torch.Tensor]]:
    """[B, C, T, H, W] -> per clip, per frame, the C spatial means."""
    return [[x[b, :, t].mean(dim=(1, 2)) for t in range(x.shape[2])] for b in range(x.shape[0])]


def reference(fusion: AttendedFusion, inputs, peers, pool) -> torch.Tensor:
    """The formulas above with `fusion`'s parameters; `pool` is the TF 'same' max-pool reference."""
    frames = inputs[0].shape[2]
    if fusion.fusion is not None:
        h = min(x.shape[-2] for x in inputs)
        w = min(x.shape[-1] for x in inputs)
        edge = torch.sigmoid(fusion.fusion.logits)
        terms = []
        for j, x in enumerate(inputs):
            kh, kw = math.ceil(x.shape[-2] / h), math.ceil(x.shape[-1] / w)
            terms.append(edge[j] * (pool(x, (kh, kw), (kh, kw)) if (kh, kw) != (1, 1) else x))
    else:
        terms = list(inputs)
    projected = None
    if peers is not None:
        projected = [
            [[dense(layer, m) for m in clip] for clip in frame_means(x)]
            for layer, x in zip(fusion.projections.dense, peers, strict=True)
        ]
    gated = []
    for gate, x in zip(fusion.gates, terms, strict=True):
        out = torch.empty_like(x)
        means = frame_means(x)
        for b in range(x.shape[0]):
            for t in range(frames):
                if isinstance(gate, PeerAttention):
                    weights = torch.softmax(gate.logits, 0)
                    context = sum(weights[k] * projected[k][b][t] for k in range(len(projected)))
                else:
                    context = means[b][t]
                out[b, :, t] = x[b, :, t] * torch.sigmoid(dense(gate.dense, context))[:, None, None]
        gated.append(out)
    if fusion.fusion is None:
        return gated[0]
    width = fusion.out_channels
    total = 0
    for c in dict.fromkeys(x.shape[1] for x in gated):
        group = sum(g for g in gated if g.shape[1] == c)
        if c != width:
            lift = fusion.fusion.lifts[str(c)].weight[:, :, 0, 0]  # [width, c]
            group = torch.einsum("oc,bcthw->bothw", lift, group)
        total = total + group
    return total


def randomised(module: torch.nn.Module) -> torch.nn.Module:
    """Parameters away from their near-zero initialisation, so that every term shows."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
        for name, b in module.named_buffers():
            if name.endswith("logits"):
                b.copy_(torch.randn_like(b))
    return module


def means(peers: list[torch.Tensor] | None) -> list[torch.Tensor] | None:
    """What generated code passes for the peers: their per-frame means, taken once per peer."""
    return None if peers is None else [frame_mean(x) for x in peers]


def clip(channels: int, size: tuple[int, int], batch: int = 2, frames: int = 3) -> torch.Tensor:
    return torch.randn(batch, channels, frames, *size)


@pytest.mark.parametrize("attention", ["peer", "self"])
def test_fusion_with_attention_matches_the_formulas(attention, pool_reference):
    """Four inputs: two of 6 channels (summed before their lift), one of 10 (the width), and an
    object stem's 12 class maps, which do not set the width but are lifted down to it."""
    torch.manual_seed(0)
    peer_channels = [12, 6, 10] if attention == "peer" else []
    fusion = randomised(
        AttendedFusion(
            in_channels=[6, 10, 6, 12],
            weights=[0.3, 0.6, 0.8, 0.45],
            trainable=False,
            objects=[3],
            attention=attention,
            peer_channels=peer_channels,
        )
    )
    assert fusion.out_channels == 10
    inputs = [clip(6, LARGE), clip(10, SMALL), clip(6, SMALL), clip(12, LARGE)]
    peers = [clip(c, size) for c, size in zip(peer_channels, [LARGE, SMALL, SMALL], strict=False)] or None
    got = fusion(inputs, peers=means(peers))
    assert got.shape == (2, 10, 3, *SMALL)
    torch.testing.assert_close(got, reference(fusion, inputs, peers, pool_reference), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attention", ["peer", "self"])
def test_a_single_input_is_only_gated(attention, pool_reference):
    fusion = randomised(
        AttendedFusion(in_channels=[7], attention=attention, peer_channels=[7, 3] if attention == "peer" else [])
    )
    assert fusion.fusion is None and fusion.out_channels == 7 and fusion.edge_weights() == []
    x = clip(7, LARGE)
    peers = [clip(7, SMALL), clip(3, LARGE)] if attention == "peer" else None
    got = fusion([x], peers=means(peers))
    torch.testing.assert_close(got, reference(fusion, [x], peers, pool_reference), rtol=1e-4, atol=1e-5)
    assert not torch.allclose(got, x)


def test_parameters_are_those_of_the_tf_layers():
    """Peers: Dense(C_k -> U) with bias each; every connection: Dense(U -> C_j) and K logits. Self:
    Dense(C_j -> C_j) per connection. Plus the fusion's lifts (none for the widest count)."""
    peer = AttendedFusion(in_channels=[8, 4], attention="peer", peer_channels=[3, 5, 8])
    u = 8
    projections = (3 * u + u) + (5 * u + u) + (8 * u + u)
    gates = (u * 8 + 8 + 3) + (u * 4 + 4 + 3)
    assert sum(p.numel() for p in peer.parameters()) == projections + gates + 4 * 8 + 2  # lift 4 -> 8, edge logits
    self_ = AttendedFusion(in_channels=[8, 4], weights=[0.5, 0.5], trainable=False, attention="self")
    assert sum(p.numel() for p in self_.parameters()) == (8 * 8 + 8) + (4 * 4 + 4) + 4 * 8


def test_dense_layers_start_as_in_tf():
    """Kernels normal(0, 0.01), biases zero, peer logits truncated normal(0, 0.01): every gate
    starts at about sigmoid(0) = 1/2 and every softmax at about 1/K."""
    torch.manual_seed(0)
    fusion = AttendedFusion(in_channels=[64, 64], attention="peer", peer_channels=[64] * 40)
    kernels = torch.cat([fusion.projections.dense[k].weight.flatten() for k in range(40)])
    assert 0.009 < kernels.std().item() < 0.011 and abs(kernels.mean().item()) < 1e-3
    assert all((d.bias == 0).all() for d in fusion.projections.dense)
    logits = fusion.gates[0].logits
    assert logits.abs().max() <= 0.02 and logits.std() > 0.004
    assert fusion.peer_weights() == pytest.approx([1 / 40] * 40, rel=0.05)


def test_object_stems_do_not_set_the_fused_width():
    assert Fusion(in_channels=[8, 4, 151], objects=[2]).out_channels == 8
    assert set(Fusion(in_channels=[8, 4, 151], objects=[2]).lifts) == {"4", "151"}
    assert Fusion(in_channels=[8, 4, 151]).out_channels == 151  # as before without `objects`
    assert Fusion(in_channels=[151, 20], objects=[0, 1]).out_channels == 151  # only objects: the widest
    with pytest.raises(ValueError, match="objects"):
        Fusion(in_channels=[8, 4], objects=[2])


def test_learned_peer_weights_get_gradients_and_fixed_ones_do_not():
    torch.manual_seed(0)
    inputs, peers = [clip(4, SMALL), clip(6, SMALL)], [clip(5, SMALL), clip(6, SMALL)]
    learned = AttendedFusion(in_channels=[4, 6], attention="peer", peer_channels=[5, 6])
    fixed = AttendedFusion(
        in_channels=[4, 6],
        attention="peer",
        peer_channels=[5, 6],
        peer_weights=[0.3, 0.7],
        peer_trainable=False,
    )
    for fusion in (learned, fixed):
        fusion(inputs, peers=means(peers)).square().sum().backward()
    assert all(isinstance(g.logits, torch.nn.Parameter) and g.logits.grad.abs().min() > 0 for g in learned.gates)
    names = dict(fixed.named_parameters())
    assert not any(name.endswith("logits") for name in names if "gates" in name)
    assert all(not g.logits.requires_grad for g in fixed.gates)
    assert fixed.peer_weights() == pytest.approx([0.3, 0.7], abs=1e-6)
    assert all(d.weight.grad.abs().sum() > 0 for d in fixed.projections.dense)  # the projections still learn


def test_written_peer_weights_are_softmax_probabilities():
    fusion = AttendedFusion(in_channels=[4, 4], attention="peer", peer_channels=[2, 2, 2], peer_weights=[0.2, 0.2, 0.4])
    assert [g.peer_weights() for g in fusion.gates] == [pytest.approx([0.25, 0.25, 0.5])] * 2
    with torch.no_grad():
        fusion.gates[1].logits.copy_(torch.tensor([0.0, math.log(2), math.log(5)]))
    # one list per block: the mean over connections of each connection's softmax
    assert fusion.peer_weights() == pytest.approx([(0.25 + 1 / 8) / 2, (0.25 + 2 / 8) / 2, (0.5 + 5 / 8) / 2])
    assert sum(fusion.peer_weights()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"peer_channels": [4], "peer_trainable": False}, "fixed .* peer weights need `peer_weights`"),
        ({"peer_channels": [4, 4], "peer_weights": [0.5]}, "1 peer weights for 2 peers"),
        ({"peer_channels": [4], "peer_weights": [0.0]}, r"\(0, 1\]"),
        ({"peer_channels": []}, "at least one peer"),
    ],
)
def test_bad_peer_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AttendedFusion(in_channels=[4, 4], attention="peer", **kwargs)


def test_peers_must_be_given_to_peer_attention_and_only_to_it():
    peer = AttendedFusion(in_channels=[4], attention="peer", peer_channels=[4])
    with pytest.raises(ValueError, match="peer-attention takes peers"):
        peer([clip(4, SMALL)])
    with pytest.raises(ValueError, match="expected 1 peers, got 2"):
        peer([clip(4, SMALL)], peers=means([clip(4, SMALL)] * 2))
    with pytest.raises(ValueError, match=r"per-frame means \[B, T, C\] \(rt.frame_mean\)"):
        peer([clip(4, SMALL)], peers=[clip(4, SMALL)])
    with pytest.raises(ValueError, match="self-attention takes no peers"):
        AttendedFusion(in_channels=[4], attention="self")([clip(4, SMALL)], peers=means([clip(4, SMALL)]))
    with pytest.raises(ValueError, match="'self' or 'peer'"):
        AttendedFusion(in_channels=[4], attention="none")  # type: ignore[arg-type]


def test_inputs_sharing_a_smaller_channel_count_are_all_kept():
    """TF2's port lifts and keeps only the first of several inputs with one channel count below the
    widest (with its gate); TF1, which anet follows, sums them all before their one lift."""
    torch.manual_seed(0)
    fusion = randomised(AttendedFusion(in_channels=[8, 4, 4], weights=[0.5] * 3, trainable=False, attention="self"))
    assert set(fusion.fusion.lifts) == {"4"} and len(fusion.gates) == 3
    inputs = [clip(8, SMALL), clip(4, SMALL), clip(4, SMALL)]
    without_last = fusion([*inputs[:2], torch.zeros_like(inputs[2])])
    assert (fusion(inputs) - without_last).abs().max() > 0.01
