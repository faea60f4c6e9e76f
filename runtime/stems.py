"""Stems (the paper's source nodes, level 0): each turns one input modality into features at 1/4 size.

All three reduce space by 4 (TF "same" rounding: ceil) and keep time, so that their outputs can
be fused with each other and with level-1 blocks without resampling time.
"""

from __future__ import annotations

from torch import Tensor, nn

from .layers import FrameConvBN, SameMaxPool, TemporalConvBN, channels_last, scale_channels

__all__ = ["FlowStem", "ObjectStem", "RGBStem"]


class RGBStem(nn.Module):
    """RGB clip [B, 3, T, H, W] -> 7x7 conv stride 2, BN, ReLU; temporal conv (kernel 5, dilation r),
    BN, ReLU; 3x3 max-pool stride 2 (TF same). Output [B, channels, T, ceil(H/4), ceil(W/4)], with
    ``channels`` scaled by the width multiplier ``width``."""

    def __init__(self, *, channels: int, r: int, width: float = 1.0) -> None:
        super().__init__()
        channels = scale_channels(channels, width)
        self.conv = FrameConvBN(in_channels=3, out_channels=channels, kernel=7, stride=2)
        self.temporal = TemporalConvBN(in_channels=channels, out_channels=channels, kernel=5, dilation=r)
        self.pool = SameMaxPool(kernel=3, stride=2)
        self.out_channels = channels

    def forward(self, x: Tensor) -> Tensor:
        return self.pool(self.temporal(self.conv(channels_last(x))))


class FlowStem(nn.Module):
    """Optical flow [B, 2, T, H, W] -> 7x7 conv stride 2, BN, ReLU; 2x2 max-pool stride 2 (TF same).

    No temporal conv: flow already encodes motion (paper, Section 3.1), so a flow stem has no r.
    ``width`` scales ``channels`` as in :class:`RGBStem`.
    """

    def __init__(self, *, channels: int, width: float = 1.0) -> None:
        super().__init__()
        channels = scale_channels(channels, width)
        self.conv = FrameConvBN(in_channels=2, out_channels=channels, kernel=7, stride=2)
        self.pool = SameMaxPool(kernel=2, stride=2)
        self.out_channels = channels

    def forward(self, x: Tensor) -> Tensor:
        return self.pool(self.conv(channels_last(x)))


class ObjectStem(nn.Module):
    """Segmentation map, one channel per class [B, channels, T, H, W] -> 4x4 max-pool stride 4 (TF same).

    AssembleNet++'s object stream: no parameters, the class maps themselves are the features.
    ``channels`` (the number of classes) is only recorded, so that ``out_channels`` can be reported.
    """

    def __init__(self, *, channels: int) -> None:
        super().__init__()
        self.pool = SameMaxPool(kernel=4, stride=4)
        self.out_channels = channels

    def forward(self, x: Tensor) -> Tensor:
        # Channels-last pools several times faster and matches the other stems' outputs.
        return self.pool(channels_last(x))
