"""Weighted fusion of several node outputs into one block input (the paper's graph edges).

The paper sums the inputs weighted by sigmoid(w_i) instead of concatenating them, so a block's
input size does not depend on how many edges it has, and the learned w_i tell the evolution which
edges matter (Section 3.1). The TF code, which we follow, also matches sizes: every input is
max-pooled down to the smallest spatial size, inputs with equal channel counts are summed, and
each smaller channel group is lifted by one 1x1 conv to the largest count before the final sum.
A node with a single input is never wrapped in a Fusion (no weight, no pooling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .layers import frame_conv, frame_size, per_frame, same_max_pool

__all__ = ["Fusion", "pool_factor"]

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
    are a fixed buffer, which requires ``weights``. Output channels: ``max(in_channels)``.
    """

    def __init__(
        self,
        *,
        in_channels: Sequence[int],
        weights: Sequence[float] | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels = tuple(in_channels)
        if len(self.in_channels) < 2:
            raise ValueError("Fusion needs at least 2 inputs; a single input is passed through unwrapped")
        self.out_channels = max(self.in_channels)
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
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}, {kind} weights"
