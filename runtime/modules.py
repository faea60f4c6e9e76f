"""The two bottleneck residual modules that AssembleNet blocks alternate: 2D and (2+1)D.

Both are ResNet bottlenecks whose middle 3x3 conv has a width D fixed per block level (64, 128,
256, 512 for paper levels 1-4) rather than the block's C. That is what makes the paper's node
split/merge keep the parameter count: halving C halves the first conv, the 3x3 conv (C -> D) and
the last conv (D -> 4C) alike (paper, Appendix A.2). The (2+1)D module differs only in its first
conv, which looks along time (kernel 3, dilation r) instead of being a 1x1.
"""

from __future__ import annotations

from torch import Tensor, nn

from .layers import FrameConvBN, TemporalConvBN

__all__ = ["ResidualModule2D", "ResidualModule2Plus1D"]


class _Bottleneck(nn.Module):
    """first conv (given) -> 3x3 conv C->D (stride) -> 1x1 conv D->4C (zero-gamma BN); + shortcut; ReLU."""

    def __init__(
        self,
        *,
        first: nn.Module,
        in_channels: int,
        channels: int,
        width: int,
        stride: int,
        project: bool,
    ) -> None:
        super().__init__()
        if not project and (stride != 1 or in_channels != 4 * channels):
            raise ValueError(
                f"an identity shortcut needs stride 1 and in_channels == 4*channels, got stride {stride}, "
                f"in_channels {in_channels}, channels {channels}"
            )
        self.first = first
        self.spatial = FrameConvBN(in_channels=channels, out_channels=width, kernel=3, stride=stride)
        self.expand = FrameConvBN(in_channels=width, out_channels=4 * channels, kernel=1, relu=False, zero_gamma=True)
        self.shortcut = (
            FrameConvBN(
                in_channels=in_channels,
                out_channels=4 * channels,
                kernel=1,
                stride=stride,
                relu=False,
            )
            if project
            else None
        )
        self.out_channels = 4 * channels

    def forward(self, x: Tensor) -> Tensor:
        y = self.expand(self.spatial(self.first(x)))
        # In place: BN does not keep its output for backward, so this saves one full-size buffer.
        return y.add_(x if self.shortcut is None else self.shortcut(x)).relu_()


class ResidualModule2D(_Bottleneck):
    """2D module: 1x1 conv Cin->C, BN, ReLU; 3x3 conv C->D; 1x1 conv D->4C; ReLU(x + shortcut).

    ``project`` gives the shortcut a 1x1 conv Cin->4C (with the stride) and BN, as on the first
    module of every block in the TF code; otherwise the shortcut is the identity.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        channels: int,
        width: int,
        stride: int = 1,
        project: bool = False,
    ) -> None:
        first = FrameConvBN(in_channels=in_channels, out_channels=channels, kernel=1)
        super().__init__(
            first=first, in_channels=in_channels, channels=channels, width=width, stride=stride, project=project
        )


class ResidualModule2Plus1D(_Bottleneck):
    """(2+1)D module: temporal conv (kernel 3, dilation r) Cin->C, BN, ReLU, then the 2D module's tail."""

    def __init__(
        self,
        *,
        in_channels: int,
        channels: int,
        width: int,
        r: int,
        stride: int = 1,
        project: bool = False,
    ) -> None:
        first = TemporalConvBN(in_channels=in_channels, out_channels=channels, kernel=3, dilation=r)
        super().__init__(
            first=first, in_channels=in_channels, channels=channels, width=width, stride=stride, project=project
        )
