"""A block: the paper's graph node, a stack of alternating 2D and (2+1)D residual modules."""

from __future__ import annotations

from torch import Tensor, nn

from ..paper import DEPTH_REPEATS as REPEATS
from ..paper import LEVEL_WIDTHS
from .layers import scale_channels
from .modules import ResidualModule2D, ResidualModule2Plus1D

__all__ = ["LEVEL_WIDTHS", "REPEATS", "Block"]


class Block(nn.Module):
    """``repeats`` residual modules: 2D at positions 0, 2, 4, ..., (2+1)D at 1, 3, 5, ....

    The first module carries the spatial ``stride`` and always has a projection shortcut (as in
    the TF code, even when stride is 1 and the channel counts already match). ``level`` is the
    paper's level (1-4) and sets the 3x3 width D (``LEVEL_WIDTHS``), unless ``mid_channels`` gives
    it; ``width`` multiplies ``channels`` and D alike (``scale_channels``), so that a narrowed
    network states its nodes as the file does; ``in_channels`` is the actual input's count. ``r``
    is the temporal dilation of the (2+1)D modules. Output: [B, 4*scaled channels, T,
    ceil(H/stride), ceil(W/stride)].
    """

    def __init__(
        self,
        *,
        in_channels: int,
        channels: int,
        level: int,
        r: int,
        stride: int,
        repeats: int,
        width: float = 1.0,
        mid_channels: int | None = None,
    ) -> None:
        super().__init__()
        if level not in LEVEL_WIDTHS:
            raise ValueError(f"level must be one of {sorted(LEVEL_WIDTHS)} (paper numbering), got {level}")
        if repeats < 1 or stride < 1 or r < 1 or channels < 1:
            raise ValueError(f"need repeats, stride, r, channels >= 1, got {repeats}, {stride}, {r}, {channels}")
        channels = scale_channels(channels, width)
        width, out = mid_channels or scale_channels(LEVEL_WIDTHS[level], width), 4 * channels
        units: list[nn.Module] = [
            ResidualModule2D(
                in_channels=in_channels,
                channels=channels,
                width=width,
                stride=stride,
                project=True,
            )
        ]
        for i in range(1, repeats):
            if i % 2:
                units.append(ResidualModule2Plus1D(in_channels=out, channels=channels, width=width, r=r))
            else:
                units.append(ResidualModule2D(in_channels=out, channels=channels, width=width))
        self.residuals = nn.Sequential(*units)
        self.in_channels, self.out_channels = in_channels, out

    def forward(self, x: Tensor) -> Tensor:
        return self.residuals(x)
