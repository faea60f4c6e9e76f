"""AssembleNet++lite's layers: 2D + 1D stems, 3D inverted bottleneck blocks, a head with two 1x1 convs.

The lite network of the AssembleNet++ paper's supplementary material, as the authors' TF1 code
(``assemblenet_plus_lite.py``) builds it. It differs from AssembleNet in four places:

* stems: a 3x3 conv with stride 2 (not 7x7), BN, ReLU, then a temporal conv (kernel 3, dilation r),
  BN, ReLU, for RGB and flow alike, and no max-pool: stems are at 1/2 size, not 1/4;
* blocks: inverted bottleneck modules with three filter counts ``[expand, middle, out]`` (as in
  MobileNetV2 and X3D), the middle conv a 3x3x3 conv, or 3x3 + temporal when the module strides;
  a full conv, not a depthwise one as in those networks, so the published level-4 block
  ([432, 432, 192], 7 modules) holds 34 of the network's 50 million parameters;
* head: two 1x1 convs (432 and 2048 filters) before the usual pooling and classifier;
* flow: the representation-flow layer with 20 iterations instead of 40 (the compiler passes it).

Fusion and attention are AssembleNet++'s (``fusion.py``). Not copied from the TF code: its head's
dropout (anet has no dropout anywhere), and its kernel initialiser (the runtime's ResNet init is
kept, as for every other layer). Padding is TF's "SAME" everywhere, as ``conv3d_same_padding``
uses it: a strided 3x3 conv pads nothing at the start of an even-sized axis and one pixel at its
end (AssembleNet's 2D convs pad symmetrically instead, TF's "fixed padding").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .head import Head
from .layers import (
    ConvBN,
    FrameConvBN,
    TemporalConvBN,
    batch_norm,
    channels_last,
    frame_conv,
    frame_size,
    per_frame,
    scale_channels,
    tf_same_padding,
)

__all__ = [
    "HEAD_WIDTHS",
    "InvertedBottleneckBlock",
    "InvertedBottleneckModule",
    "LiteHead",
    "LiteStem",
    "SameFrameConvBN",
    "SpaceTimeConvBN",
]

HEAD_WIDTHS = (432, 2048)
"""Filters of the lite head's two 1x1 convs (``lite_one_stream_head``), before the width multiplier."""


class SameFrameConvBN(ConvBN):
    """Per-frame k x k conv (bias-free) with TF "SAME" padding, BN, ReLU.

    The padding is worked out from each input's frame size (:func:`~.layers.tf_same_padding`):
    with stride 2 an even-sized axis is padded at its end only, so the windows are centred on
    pixels 1, 3, 5, ... as in TF, not on 0, 2, 4, ... as a symmetric padding would give.
    """

    def __init__(self, *, in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = frame_conv(
            in_channels=in_channels, out_channels=out_channels, kernel=(kernel, kernel), stride=stride
        )
        self.bn = batch_norm(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        h, w = frame_size(x)
        (top, bottom), (left, right) = (tf_same_padding(n, self.kernel, self.stride) for n in (h, w))

        def padded(conv: Callable[[Tensor], Tensor], clip: Tensor) -> Tensor:
            return per_frame(lambda f: conv(F.pad(f, (left, right, top, bottom))), clip)

        return self.conv_bn(padded, x).relu_()


class SpaceTimeConvBN(ConvBN):
    """3x3x3 conv (bias-free, temporal dilation r, stride 1, "SAME" zero padding), BN, ReLU.

    It runs as one 3x3 Conv2d over every frame stacked with its neighbours t - r and t + r along
    the channels, which is the same sum over the same weights: PyTorch's Conv3d takes a slow path
    that also drops the channels-last order for a single clip (see ``layers.py``), and as a 2D conv
    the layer shares ``ConvBN``'s BN folding. The conv's input channels are ordered tap by tap
    (frame t - r first); :meth:`conv3d_weight` gives the weight in ``nn.Conv3d``'s layout.
    """

    def __init__(self, *, in_channels: int, out_channels: int, r: int = 1) -> None:
        super().__init__()
        if r < 1:
            raise ValueError(f"need a temporal dilation r >= 1, got {r}")
        self.r = r
        self.conv = frame_conv(in_channels=3 * in_channels, out_channels=out_channels, kernel=(3, 3), padding=(1, 1))
        # Kaiming fan-out of the 3D kernel (27 taps per output channel), not of the stacked 2D one.
        nn.init.normal_(self.conv.weight, std=math.sqrt(2.0 / (27 * out_channels)))
        self.bn = batch_norm(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_bn(per_frame, self._stacked(x)).relu_()

    def _stacked(self, x: Tensor) -> Tensor:
        """[B, 3C, T, H, W]: frames t - r, t, t + r (zeros outside the clip) side by side."""
        r, frames = self.r, x.shape[2]
        padded = F.pad(x, (0, 0, 0, 0, r, r))
        return torch.cat([padded[:, :, k * r : k * r + frames] for k in range(3)], dim=1)

    def conv3d_weight(self) -> Tensor:
        """The weight as ``nn.Conv3d`` holds it, [out, in, 3, 3, 3] (time, height, width)."""
        weight = self.conv.weight
        return weight.reshape(weight.shape[0], 3, -1, 3, 3).transpose(1, 2)


class LiteStem(nn.Module):
    """RGB or flow clip [B, in_channels, T, H, W] -> 3x3 conv stride 2 ("SAME"), BN, ReLU; temporal
    conv (kernel 3, dilation r), BN, ReLU (``lite_conv_stem``). Output [B, channels, T, ceil(H/2),
    ceil(W/2)], ``channels`` scaled by the width multiplier ``width``."""

    def __init__(self, *, in_channels: int, channels: int, r: int, width: float = 1.0) -> None:
        super().__init__()
        channels = scale_channels(channels, width)
        self.conv = SameFrameConvBN(in_channels=in_channels, out_channels=channels, kernel=3, stride=2)
        self.temporal = TemporalConvBN(in_channels=channels, out_channels=channels, kernel=3, dilation=r)
        self.out_channels = channels

    def forward(self, x: Tensor) -> Tensor:
        return self.temporal(self.conv(channels_last(x)))


class InvertedBottleneckModule(nn.Module):
    """``inverted_bottleneck_3dblock``: 1x1 conv to ``expand``, BN, ReLU; the middle conv to
    ``middle``, BN, ReLU; 1x1 conv to ``out``, BN with zero-init gamma; ReLU(x + shortcut).

    The middle conv is a 3x3x3 conv (temporal dilation r) unless the module strides; then it is a
    3x3 conv with the stride followed by a temporal conv (kernel 3, dilation r), each with BN and
    ReLU. ``project`` gives the shortcut a 1x1 conv to ``out`` with the stride and BN (no ReLU).
    """

    def __init__(
        self, *, in_channels: int, filters: tuple[int, int, int], r: int, stride: int = 1, project: bool = False
    ) -> None:
        super().__init__()
        expand, middle, out = filters
        if not project and (stride != 1 or in_channels != out):
            raise ValueError(
                f"an identity shortcut needs stride 1 and in_channels == filters[-1], got stride {stride}, "
                f"in_channels {in_channels}, filters {list(filters)}"
            )
        self.expand = FrameConvBN(in_channels=in_channels, out_channels=expand, kernel=1)
        self.middle: nn.Module = (
            nn.Sequential(
                SameFrameConvBN(in_channels=expand, out_channels=middle, kernel=3, stride=stride),
                TemporalConvBN(in_channels=middle, out_channels=middle, kernel=3, dilation=r),
            )
            if stride > 1
            else SpaceTimeConvBN(in_channels=expand, out_channels=middle, r=r)
        )
        self.project = FrameConvBN(in_channels=middle, out_channels=out, kernel=1, relu=False, zero_gamma=True)
        self.shortcut = (
            FrameConvBN(in_channels=in_channels, out_channels=out, kernel=1, stride=stride, relu=False)
            if project
            else None
        )
        self.out_channels = out

    def forward(self, x: Tensor) -> Tensor:
        y = self.project(self.middle(self.expand(x)))
        # In place: BN does not keep its output for backward.
        return y.add_(x if self.shortcut is None else self.shortcut(x)).relu_()


class InvertedBottleneckBlock(nn.Module):
    """A lite node (``block_group``): ``repeats`` inverted bottleneck modules with the same filters.

    The first module carries the spatial ``stride`` and a projection shortcut; the others keep
    the size and add their input. ``filters`` are ``[expand, middle, out]`` as the .anet file's C
    gives them, each scaled by the width multiplier ``width``; ``in_channels`` is the actual
    input's count and ``r`` the temporal dilation. Output: [B, scaled out, T, ceil(H/stride),
    ceil(W/stride)].
    """

    def __init__(
        self,
        *,
        in_channels: int,
        filters: Sequence[int],
        r: int,
        stride: int,
        repeats: int,
        width: float = 1.0,
    ) -> None:
        super().__init__()
        if len(filters) != 3:
            raise ValueError(f"filters must be [expand, middle, out], got {list(filters)}")
        if repeats < 1 or stride < 1 or r < 1:
            raise ValueError(f"need repeats, stride, r >= 1, got {repeats}, {stride}, {r}")
        expand, middle, out = (scale_channels(c, width) for c in filters)
        scaled = (expand, middle, out)
        units = [InvertedBottleneckModule(in_channels=in_channels, filters=scaled, r=r, stride=stride, project=True)]
        units += [InvertedBottleneckModule(in_channels=out, filters=scaled, r=r) for _ in range(1, repeats)]
        self.residuals = nn.Sequential(*units)
        self.in_channels, self.out_channels = in_channels, out

    def forward(self, x: Tensor) -> Tensor:
        return self.residuals(x)


class LiteHead(Head):
    """``lite_one_stream_head``: 1x1 conv to 432, BN, ReLU; 1x1 conv to 2048, BN, ReLU; then
    :class:`Head` (average pool and one Linear; ``pool="max"`` is the same "max-pool predictions"
    as there). Reads one node, ``in_channels`` its one channel count: the TF code reads the first
    level-4 node only. ``width`` scales the two convs' filters."""

    def __init__(self, *, in_channels: Sequence[int], num_classes: int, pool: str = "avg", width: float = 1.0) -> None:
        if len(in_channels) != 1:
            raise ValueError(f"the lite head reads one node, got {len(in_channels)} inputs")
        hidden, features = (scale_channels(c, width) for c in HEAD_WIDTHS)
        super().__init__(in_channels=[features], num_classes=num_classes, pool=pool)
        self.in_channels = tuple(in_channels)
        self.convs = nn.Sequential(
            FrameConvBN(in_channels=self.in_channels[0], out_channels=hidden, kernel=1),
            FrameConvBN(in_channels=hidden, out_channels=features, kernel=1),
        )

    def forward(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != 1:
            raise ValueError(f"expected 1 input, got {len(inputs)}")
        return super().forward([self.convs(inputs[0])])

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, pool={self.pool!r}"
