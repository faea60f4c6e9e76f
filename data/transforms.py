"""Spatial transforms of clips: crop, flip, resize, uint8 -> float.

A clip here is a dict with "rgb" ([3, T, H, W], uint8 or float in [0, 1]), optionally "flow"
([2, T, H, W], float, pixels: channel 0 is x = rightwards, channel 1 is y = downwards) and optionally
"segmentation" (integer class ids [T, H, W]). Every frame of a clip gets the same crop and flip, and
flow follows the pixels: a resize scales each flow component by the resize factor along its axis (flow
stays in pixels of the output), and a horizontal flip negates x. Class ids are resized by nearest
neighbour: a blend of two ids is no class.

Crops happen on uint8 before the float conversion, so the float work is only for the output size.
Resizing is torch's bilinear interpolation with antialiasing (torchvision is not a dependency).
Note that a horizontal flip changes the meaning of left/right motion classes (the proxy task,
Something-Something); datasets whose labels depend on direction should be trained with `flip=0`.

Random draws use torch's global generator, which DataLoader seeds per worker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

Clip = dict[str, torch.Tensor]
Box = tuple[int, int, int, int]  # top, left, height, width


def frames_to_tensor(frames: np.ndarray) -> torch.Tensor:
    """uint8 [T, H, W, 3] frames (as decoded) -> uint8 [3, T, H, W] (a view, no copy)."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected frames shaped [T, H, W, 3], got {tuple(frames.shape)}")
    return torch.from_numpy(frames).permute(3, 0, 1, 2)


def to_float(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [0, 1]; float input is returned unchanged."""
    if rgb.dtype == torch.uint8:
        return rgb.float().div_(255.0)
    return rgb


def crop(clip: Clip, box: Box) -> Clip:
    """The same spatial window of every frame and of the flow."""
    top, left, height, width = box
    return {key: value[..., top : top + height, left : left + width] for key, value in clip.items()}


def resize(clip: Clip, size: tuple[int, int]) -> Clip:
    """Every frame to (height, width); rgb becomes float, flow is rescaled to output pixels."""
    result = dict(clip)
    result["rgb"] = _interpolate(to_float(clip["rgb"]), size)
    if "flow" in clip:
        result["flow"] = resize_flow(clip["flow"], size)
    if "segmentation" in clip:
        result["segmentation"] = resize_labels(clip["segmentation"], size)
    return result


def resize_labels(labels: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Class ids [..., h, w] at (height, width) by nearest neighbour, pixel centres aligned (torch's
    "nearest-exact"), by indexing: ids of any dtype stay exact."""
    if tuple(labels.shape[-2:]) == tuple(size):
        return labels.contiguous()
    rows, cols = (_nearest(source, target) for source, target in zip(labels.shape[-2:], size, strict=True))
    return labels[..., rows[:, None], cols[None, :]].contiguous()


def _nearest(source: int, target: int) -> torch.Tensor:
    """The source index of each of `target` pixels whose centres span the same extent."""
    index = ((torch.arange(target, dtype=torch.float64) + 0.5) * (source / target)).floor().long()
    return index.clamp_(max=source - 1)


def resize_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Flow [2, T, h, w] resized to (height, width), its values rescaled to pixels of the new size."""
    in_h, in_w = flow.shape[-2:]
    out_h, out_w = size
    flow = _interpolate(flow.float(), size)
    if (in_h, in_w) != (out_h, out_w):
        flow = flow * torch.tensor([out_w / in_w, out_h / in_h]).view(2, 1, 1, 1)
    return flow


def _interpolate(video: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(video.shape[-2:]) == tuple(size):
        return video.contiguous()
    frames = video.transpose(0, 1)  # [T, C, H, W]: interpolate treats T as the batch
    out = F.interpolate(frames, size=size, mode="bilinear", align_corners=False, antialias=True)
    return out.transpose(0, 1).contiguous()


def hflip(clip: Clip) -> Clip:
    """Mirror left-right; flow's x component changes sign because rightward motion becomes leftward."""
    result = {key: value.flip(-1) for key, value in clip.items()}
    if "flow" in result:
        result["flow"] = result["flow"] * torch.tensor([-1.0, 1.0]).view(2, 1, 1, 1)
    return result


def center_box(height: int, width: int, crop_h: int, crop_w: int) -> Box:
    """The centred window of (crop_h, crop_w), clamped to the frame."""
    crop_h, crop_w = min(crop_h, height), min(crop_w, width)
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w


def random_resized_box(
    height: int,
    width: int,
    *,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    generator: torch.Generator | None = None,
) -> Box:
    """A window covering a random fraction `scale` of the frame's area with aspect ratio in `ratio`.

    The Inception-style crop: ten tries, then the largest centred window of the extreme ratio.
    """
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        draw = torch.rand(3, generator=generator, dtype=torch.float64).tolist()
        target = area * (scale[0] + (scale[1] - scale[0]) * draw[0])
        aspect = math.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * draw[1])
        crop_w = round(math.sqrt(target * aspect))
        crop_h = round(math.sqrt(target / aspect))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            top = int(draw[2] * (height - crop_h + 1))
            left = int(float(torch.rand((), generator=generator, dtype=torch.float64)) * (width - crop_w + 1))
            return top, left, crop_h, crop_w
    aspect = min(max(width / height, ratio[0]), ratio[1])
    if width / height > aspect:
        return center_box(height, width, height, round(height * aspect))
    return center_box(height, width, round(width / aspect), width)


@dataclass(frozen=True, kw_only=True)
class TrainTransform:
    """Training augmentation: random resized crop (scale and aspect jitter), random flip, resize.

    Args:
        size: output height and width.
        scale: range of the crop's area as a fraction of the frame's area.
        ratio: range of the crop's aspect ratio (width / height).
        flip: probability of a horizontal flip; 0 for direction-dependent labels.
    """

    size: int
    scale: tuple[float, float] = (0.3, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip: float = 0.5

    def source_short_side(self) -> int:
        """Short side of the source beyond which decoding at a higher resolution adds no detail."""
        return math.ceil(self.size / math.sqrt(self.scale[0]))

    def __call__(self, clip: Clip, *, generator: torch.Generator | None = None) -> Clip:
        height, width = clip["rgb"].shape[-2:]
        box = random_resized_box(height, width, scale=self.scale, ratio=self.ratio, generator=generator)
        out = resize(crop(clip, box), (self.size, self.size))
        if self.flip > 0 and float(torch.rand((), generator=generator)) < self.flip:
            out = hflip(out)
        return out


@dataclass(frozen=True, kw_only=True)
class EvalTransform:
    """Evaluation: resize the short side to `short_side` (default `size`), then take the centre square.

    The centre window is cut from the source before resizing, which gives the same picture as resizing
    the whole frame first but only interpolates the pixels that are kept.
    """

    size: int
    short_side: int | None = None

    def source_short_side(self) -> int:
        return self.short_side or self.size

    def __call__(self, clip: Clip, *, generator: torch.Generator | None = None) -> Clip:
        height, width = clip["rgb"].shape[-2:]
        factor = self.source_short_side() / min(height, width)
        side = max(1, min(round(self.size / factor), height, width))
        return resize(crop(clip, center_box(height, width, side, side)), (self.size, self.size))
