"""The classification head (the paper's sink node) over the outputs of the top-level nodes."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["Head"]


class Head(nn.Module):
    """Per-frame global average pool, combine top nodes, pool time, one Linear; returns logits [B, K].

    Top nodes with equal channel counts are averaged (the TF code); with different counts they
    are concatenated instead (the paper says either works; the TF code reshapes every node with the
    first node's channel count, a defect not copied here). ``pool="avg"`` averages over time and
    applies the Linear once; ``pool="max"`` is the TF code's "max-pool predictions": the Linear is
    applied to every frame and frames are combined per class by a softmax(logits / sqrt(T))
    weighted sum, a smooth temporal max (the paper used temporal max-pooling for Charades). No
    dropout and no softmax over classes.
    """

    def __init__(self, *, in_channels: Sequence[int], num_classes: int, pool: str = "avg") -> None:
        super().__init__()
        self.in_channels = tuple(in_channels)
        if not self.in_channels:
            raise ValueError("Head needs at least one input")
        if pool not in ("avg", "max"):
            raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}")
        self.pool = pool
        self.concat = len(set(self.in_channels)) > 1
        features = sum(self.in_channels) if self.concat else self.in_channels[0]
        self.fc = nn.Linear(features, num_classes)
        nn.init.normal_(self.fc.weight, std=0.01)
        nn.init.zeros_(self.fc.bias)

    def forward(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != len(self.in_channels):
            raise ValueError(f"expected {len(self.in_channels)} inputs, got {len(inputs)}")
        frames = [x.mean(dim=(3, 4)) for x in inputs]  # [B, C, T] each
        if len(frames) == 1:
            feats = frames[0]
        elif self.concat:
            feats = torch.cat(frames, dim=1)
        else:
            feats = torch.stack(frames).mean(dim=0)
        if self.pool == "avg":
            return self.fc(feats.mean(dim=2))
        logits = self.fc(feats.transpose(1, 2))  # [B, T, K]
        # 1/sqrt(T) from a tensor op, so traced and exported graphs keep the number of frames free.
        scale = torch.ones_like(logits[0, :, 0]).sum().rsqrt()
        attention = torch.softmax(logits * scale, dim=1)
        return (attention * logits).sum(dim=1)

    def extra_repr(self) -> str:
        combine = "concat" if self.concat else "mean"
        return f"in_channels={self.in_channels}, pool={self.pool!r}, combine={combine}"
