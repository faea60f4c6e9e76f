"""Weighted fusion of several node outputs into one block input (the paper's graph edges).

The paper sums the inputs weighted by sigmoid(w_i) instead of concatenating them, so a block's
input size does not depend on how many edges it has, and the learned w_i tell the evolution which
edges matter (Section 3.1). The TF code, which we follow, also matches sizes: every input is
max-pooled down to the smallest spatial size, inputs with equal channel counts are summed, and
each smaller channel group is lifted by one 1x1 conv to the largest count before the final sum.
A node with a single input is never wrapped in a Fusion (no weight, no pooling).

AssembleNet++ gates each weighted connection by attention before the sum (``AttendedFusion``,
the TF1 code's ``fusion_with_peer_attention``), and there a block with a single input is wrapped
too: its one connection is gated. An object stem's class maps never set the width of a fusion
(TF1 leaves ``num_object_classes`` out of the largest channel count): they are lifted, or rather
projected, to the other inputs' width, so that 151 classes do not widen every block they reach.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from .attention import PeerAttention, PeerProjections, SelfAttention
from .layers import frame_conv, frame_size, per_frame, same_max_pool

__all__ = ["AttendedFusion", "Fusion", "pool_factor"]

_EPS = 1e-6  # given weights are clipped to [eps, 1 - eps] so that their logits stay finite


def pool_factor(size: int, smallest: int) -> int:
    """Kernel (= stride) of the max-pool that brings ``size`` down to ``smallest`` on one axis.

    The TF code uses (size + 1) // smallest. That yields ``smallest`` for every size a 224x224 clip
    produces, but not always for other inputs (e.g. 14 -> 4 for 56x56 clips gives 3, hence 5
    pixels); then ceil(size / smallest) is used, which always yields ``smallest`` for sizes made
    by repeated ceil-halving of one input.
    """
    k = (size + 1) // smallest
    return k if -(-size // k) == smallest else -(-size // smallest)


class Fusion(nn.Module):
    """sum_i sigmoid(logit_i) * pool(x_i), grouped by channel count, smaller groups lifted by a 1x1 conv.

    ``weights`` are sigmoid values (what :meth:`edge_weights` returns and the architecture file
    stores). ``trainable=True`` makes the logits a Parameter (initialised from ``weights`` or,
    without them, from normal(0, 0.01), i.e. sigmoid about 0.5, as when searching); otherwise they
    are a fixed buffer, which requires ``weights``. Output channels: ``max(in_channels)``, leaving
    out the inputs numbered in ``objects`` (object stems' class maps) unless all of them are.
    """

    def __init__(
        self,
        *,
        in_channels: Sequence[int],
        weights: Sequence[float] | None = None,
        trainable: bool = True,
        objects: Sequence[int] = (),
    ) -> None:
        super().__init__()
        self.in_channels = tuple(in_channels)
        if len(self.in_channels) < 2:
            raise ValueError("Fusion needs at least 2 inputs; a single input is passed through unwrapped")
        self.objects = tuple(sorted(set(objects)))
        if not all(0 <= i < len(self.in_channels) for i in self.objects):
            raise ValueError(f"objects {list(objects)} must number inputs 0-{len(self.in_channels) - 1}")
        features = [c for i, c in enumerate(self.in_channels) if i not in self.objects]
        self.out_channels = max(features or self.in_channels)
        logits = self._initial_logits(weights, trainable)
        if trainable:
            self.logits = nn.Parameter(logits)
        else:
            self.register_buffer("logits", logits)
        # The widest group goes first: the lifted groups are then added into a fresh tensor in
        # place, never the other way round (an in-place add into a conv output view makes autograd
        # copy it in backward).
        groups: dict[int, list[int]] = {self.out_channels: []}
        for i, c in enumerate(self.in_channels):
            groups.setdefault(c, []).append(i)
        self.groups = tuple((c, tuple(idx)) for c, idx in groups.items())
        self.lifts = nn.ModuleDict(
            {
                str(c): frame_conv(in_channels=c, out_channels=self.out_channels, kernel=(1, 1))
                for c in groups
                if c != self.out_channels
            }
        )

    def _initial_logits(self, weights: Sequence[float] | None, trainable: bool) -> Tensor:
        n = len(self.in_channels)
        if weights is None:
            if not trainable:
                raise ValueError(
                    "fixed (trainable=False) edge weights need `weights`: give the learned sigmoid values "
                    "stored with the architecture, or use trainable=True"
                )
            return torch.randn(n) * 0.01
        if len(weights) != n:
            raise ValueError(f"got {len(weights)} edge weights for {n} inputs")
        if not all(0.0 <= w <= 1.0 for w in weights):
            raise ValueError(f"edge weights are sigmoid values and must lie in [0, 1], got {list(weights)}")
        return torch.tensor([math.log(p / (1 - p)) for p in (min(max(w, _EPS), 1 - _EPS) for w in weights)])

    def edge_weights(self) -> list[float]:
        """Current sigmoid(logit_i), one per input, for writing back into the architecture file."""
        return torch.sigmoid(self.logits.detach()).tolist()

    def forward(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != len(self.in_channels):
            raise ValueError(f"expected {len(self.in_channels)} inputs, got {len(inputs)}")
        sizes = [frame_size(x) for x in inputs]  # Python ints: pooling parameters are constants
        h, w = min(s[0] for s in sizes), min(s[1] for s in sizes)
        weights = torch.sigmoid(self.logits)
        out: Tensor | None = None
        for c, idx in self.groups:
            group = self._pool(inputs[idx[0]], sizes[idx[0]], h, w) * weights[idx[0]]
            for i in idx[1:]:
                group = torch.addcmul(group, self._pool(inputs[i], sizes[i], h, w), weights[i])
            if c != self.out_channels:
                group = per_frame(self.lifts[str(c)], group)
            out = group if out is None else out.add_(group)
        assert out is not None
        return out

    def weighted(self, inputs: Sequence[Tensor]) -> list[Tensor]:
        """sigmoid(logit_i) * pool(x_i) for every input: the terms :meth:`combine` sums."""
        if len(inputs) != len(self.in_channels):
            raise ValueError(f"expected {len(self.in_channels)} inputs, got {len(inputs)}")
        sizes = [frame_size(x) for x in inputs]
        h, w = min(s[0] for s in sizes), min(s[1] for s in sizes)
        weights = torch.sigmoid(self.logits)
        return [self._pool(x, size, h, w) * weights[i] for i, (x, size) in enumerate(zip(inputs, sizes, strict=True))]

    def combine(self, terms: Sequence[Tensor]) -> Tensor:
        """The sum of already weighted (and gated) terms, grouped by channel count and lifted."""
        out: Tensor | None = None
        for c, idx in self.groups:
            group = terms[idx[0]]
            for i in idx[1:]:
                group = group + terms[i]
            if c != self.out_channels:
                group = per_frame(self.lifts[str(c)], group)
            out = group if out is None else out + group
        assert out is not None
        return out

    @staticmethod
    def _pool(x: Tensor, size: tuple[int, int], h: int, w: int) -> Tensor:
        xh, xw = size
        if xh == h and xw == w:
            return x
        kh, kw = pool_factor(xh, h), pool_factor(xw, w)
        if -(-xh // kh) != h or -(-xw // kw) != w:
            raise ValueError(
                f"cannot max-pool a {xh}x{xw} input to the smallest input size {h}x{w}: fused inputs "
                "must come from the same clip size (each a repeated ceil-halving of it)"
            )
        return same_max_pool(x, (kh, kw), (kh, kw))

    def extra_repr(self) -> str:
        kind = "trainable" if isinstance(self.logits, nn.Parameter) else "fixed"
        objects = f", objects={list(self.objects)}" if self.objects else ""
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}{objects}, {kind} weights"


class AttendedFusion(nn.Module):
    """A :class:`Fusion` whose weighted connections are gated by AssembleNet++ attention first:
    ``sum_j lift(gate_j(sigmoid(e_j) * pool(x_j)))``; a single input is only gated (no weight, no
    pooling, no lift), as TF1 does when attention is on.

    ``attention="self"`` gates each connection by its own (weighted) spatial mean,
    ``attention="peer"`` by a learned softmax mixture of the peers' projected means; the peers'
    per-frame means (``rt.frame_mean`` of their outputs) are passed to ``forward`` as
    ``peers=[...]`` in ``peer_channels``' order. Each
    connection has its own gate and its own peer logits (as in TF1); ``peer_weights`` initialise
    every connection's softmax (probabilities, one per peer), fixed when ``peer_trainable`` is
    False. ``weights``, ``trainable`` and ``objects`` are the :class:`Fusion`'s.
    """

    def __init__(
        self,
        *,
        in_channels: Sequence[int],
        weights: Sequence[float] | None = None,
        trainable: bool = True,
        objects: Sequence[int] = (),
        attention: Literal["self", "peer"],
        peer_channels: Sequence[int] = (),
        peer_weights: Sequence[float] | None = None,
        peer_trainable: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels = tuple(in_channels)
        if not self.in_channels:
            raise ValueError("AttendedFusion needs at least 1 input")
        self.fusion = (
            Fusion(in_channels=self.in_channels, weights=weights, trainable=trainable, objects=objects)
            if len(self.in_channels) > 1
            else None
        )
        self.out_channels = self.fusion.out_channels if self.fusion else self.in_channels[0]
        self.attention = attention
        self.projections: PeerProjections | None = None
        gates: list[nn.Module]
        if attention == "peer":
            self.projections = PeerProjections(in_channels=peer_channels)
            gates = [
                PeerAttention(
                    channels=c,
                    peer_units=self.projections.units,
                    peers=len(peer_channels),
                    weights=peer_weights,
                    trainable=peer_trainable,
                )
                for c in self.in_channels
            ]
        elif attention == "self":
            if peer_channels:
                raise ValueError("self-attention takes no peers")
            gates = [SelfAttention(channels=c) for c in self.in_channels]
        else:
            raise ValueError(f"attention must be 'self' or 'peer', got {attention!r}")
        self.gates = nn.ModuleList(gates)

    def forward(self, inputs: list[Tensor], peers: list[Tensor] | None = None) -> Tensor:
        if len(inputs) != len(self.in_channels):
            raise ValueError(f"expected {len(self.in_channels)} inputs, got {len(inputs)}")
        if (peers is not None) != (self.projections is not None):
            raise ValueError(f"{self.attention}-attention takes {'peers=[...]' if self.projections else 'no peers'}")
        context = None if self.projections is None or peers is None else self.projections(peers)
        if self.fusion is None:
            return self.gates[0](inputs[0], context)
        terms = self.fusion.weighted(inputs)
        return self.fusion.combine([g(x, context) for g, x in zip(self.gates, terms, strict=True)])

    def edge_weights(self) -> list[float]:
        """The fused inputs' sigmoid weights (none for a single input)."""
        return self.fusion.edge_weights() if self.fusion else []

    def peer_weights(self) -> list[float]:
        """The block's peer weights as an .anet file holds them (one list per block): the mean over
        connections of each connection's softmax, itself a probability distribution. Read back,
        every connection starts from it."""
        if self.projections is None:
            return []
        rows = [g.peer_weights() for g in self.gates if isinstance(g, PeerAttention)]
        return [sum(column) / len(rows) for column in zip(*rows, strict=True)]

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}, attention={self.attention}"
