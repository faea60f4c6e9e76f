"""AssembleNet++ attention: per-frame channel gates on a block's input connections.

AssembleNet++ (Ryoo et al., ECCV 2020) scales every connection into a block channel by channel,
frame by frame, with ``sigmoid(Dense(v))``. Self-attention takes ``v`` from the connection itself
(its spatial mean); peer-attention from other nodes, the *peers*: each peer k contributes
``p_k = Dense_k(mean_HW(x_k))`` and a connection listens to the mixture
``sum_k softmax(w)_k p_k`` with learned logits ``w``, which says which modality or level it
listens to. We follow the authors' TF1 code (google-research ``assemblenet/assemblenet_plus.py``):

- one ``Dense_k`` per peer per block, all with as many units as the widest peer (an object
  stem's class count included) and bias; one ``Dense`` and one logit vector per connection
  (TF1 makes ``w`` a trainable variable; TF2's Model Garden freezes it, which we do not copy);
- Dense kernels start from normal(0, 0.01) and biases at zero; logits from a normal(0, 0.01)
  truncated at two standard deviations, i.e. softmax weights of almost exactly 1/K.

Vectors are per frame, [B, T, channels]: TF's tensors are [B*T, H, W, C] and it pools over H, W
only. Written weights are softmax probabilities (``log w`` is the logit: softmax renormalises).

A peer's spatial means are the same for every block it gates (only the dense layers differ), so
generated code takes them once, right after the peer is computed (:func:`frame_mean`), and passes
the means: each is read once instead of once per block, and the peer's full activations can be
released as soon as no block reads them as an input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["PeerAttention", "PeerProjections", "SelfAttention", "frame_mean", "gate"]

_TF_STD = 0.01  # TF1's initialiser for the Dense kernels and the peer logits


def frame_mean(x: Tensor) -> Tensor:
    """[B, C, T, H, W] -> [B, T, C]: the spatial mean of every frame (TF's reduce_mean over H, W)."""
    return x.mean(dim=(3, 4)).transpose(1, 2)


def gate(x: Tensor, logits: Tensor) -> Tensor:
    """``x * sigmoid(logits)``, one value per channel and frame ([B, T, C]) broadcast over H, W."""
    return x * torch.sigmoid(logits).transpose(1, 2)[..., None, None]


def _dense(in_features: int, out_features: int) -> nn.Linear:
    """TF's ``tf.layers.dense`` as AssembleNet++ makes it: kernel normal(0, 0.01), bias zero."""
    dense = nn.Linear(in_features, out_features)
    nn.init.normal_(dense.weight, std=_TF_STD)
    nn.init.zeros_(dense.bias)
    return dense


class PeerProjections(nn.Module):
    """``p_k = Dense_k(mean_HW(x_k))`` for every peer of one block, stacked: [K, B, T, units].

    ``in_channels`` are the peers' channel counts; ``units`` (the vectors' length) is their
    largest, as in TF1, so a 151-class object stem among the peers makes every ``p_k`` 151 long.
    ``forward`` takes the peers' means (:func:`frame_mean`), [B, T, C_k] each.
    """

    def __init__(self, *, in_channels: Sequence[int]) -> None:
        super().__init__()
        self.in_channels = tuple(in_channels)
        if not self.in_channels:
            raise ValueError("peer attention needs at least one peer")
        self.units = max(self.in_channels)
        self.dense = nn.ModuleList(_dense(c, self.units) for c in self.in_channels)

    def forward(self, means: Sequence[Tensor]) -> Tensor:
        if len(means) != len(self.dense):
            raise ValueError(f"expected {len(self.dense)} peers, got {len(means)}")
        if any(m.ndim != 3 for m in means):
            raise ValueError("peers are passed as their per-frame means [B, T, C] (rt.frame_mean)")
        return torch.stack([dense(m) for dense, m in zip(self.dense, means, strict=True)])


class SelfAttention(nn.Module):
    """``x * sigmoid(Dense(mean_HW(x)))``: a connection gated by its own per-frame mean (SE-like)."""

    def __init__(self, *, channels: int) -> None:
        super().__init__()
        self.dense = _dense(channels, channels)

    def forward(self, x: Tensor, peers: Tensor | None = None) -> Tensor:
        return gate(x, self.dense(frame_mean(x)))


class PeerAttention(nn.Module):
    """``x * sigmoid(Dense(sum_k softmax(w)_k p_k))``: a connection gated by a learned mixture of
    its block's peer vectors (``PeerProjections``' output).

    ``weights`` are softmax probabilities, one per peer (what :meth:`peer_weights` returns and an
    .anet file writes as ``peers=[3@0.25, ...]``); they need not sum to 1. ``trainable=False``
    keeps the logits as a fixed buffer, which requires ``weights``.
    """

    def __init__(
        self,
        *,
        channels: int,
        peer_units: int,
        peers: int,
        weights: Sequence[float] | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__()
        logits = _initial_logits(peers, weights, trainable)
        if trainable:
            self.logits = nn.Parameter(logits)
        else:
            self.register_buffer("logits", logits)
        self.dense = _dense(peer_units, channels)

    def forward(self, x: Tensor, peers: Tensor | None = None) -> Tensor:
        if peers is None or peers.shape[0] != self.logits.shape[0]:
            raise ValueError(f"expected the stacked vectors of {self.logits.shape[0]} peers")
        mixed = (torch.softmax(self.logits, 0).view(-1, 1, 1, 1) * peers).sum(0)
        return gate(x, self.dense(mixed))

    def peer_weights(self) -> list[float]:
        """Current softmax(w), one probability per peer."""
        return torch.softmax(self.logits.detach(), 0).tolist()

    def extra_repr(self) -> str:
        kind = "trainable" if isinstance(self.logits, nn.Parameter) else "fixed"
        return f"peers={self.logits.shape[0]}, {kind} peer weights"


def _initial_logits(peers: int, weights: Sequence[float] | None, trainable: bool) -> Tensor:
    if peers < 1:
        raise ValueError("peer attention needs at least one peer")
    if weights is None:
        if not trainable:
            raise ValueError(
                "fixed (peer_trainable=False) peer weights need `peer_weights`: give the learned "
                "softmax weights stored with the architecture, or make them trainable"
            )
        return nn.init.trunc_normal_(torch.empty(peers), std=_TF_STD, a=-2 * _TF_STD, b=2 * _TF_STD)
    if len(weights) != peers:
        raise ValueError(f"got {len(weights)} peer weights for {peers} peers")
    if not all(0.0 < w <= 1.0 for w in weights):
        raise ValueError(f"peer weights are softmax probabilities and must lie in (0, 1], got {list(weights)}")
    return torch.tensor([math.log(w) for w in weights])
