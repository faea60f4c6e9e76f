"""Real ground truth for optical flow: the Middlebury motorcycle stereo pair read as two frames.

Synthetic motion (a shifted texture) says whether a flow method is correct; it does not say how
well it does on real images, with occlusions, lighting changes and motion that varies from pixel
to pixel. A rectified stereo pair is two frames with known, dense motion: the right view is the
left view moved along x by the disparity, so the flow from left to right is u = -disparity, v = 0.
scikit-image ships the Middlebury 2014 motorcycle pair with its disparity map (a dev dependency);
the tests and benchmarks/flow_accuracy.py score every flow setting on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FlowTruth", "endpoint_errors", "motorcycle_pair"]


@dataclass(frozen=True)
class FlowTruth:
    """Two RGB frames, uint8 [H, W, 3], the true flow float32 [H, W, 2] (x, y) and where it is known."""

    first: np.ndarray
    second: np.ndarray
    flow: np.ndarray
    valid: np.ndarray  # bool [H, W]; False where the disparity is unknown (occluded)


def motorcycle_pair(scale: float = 0.25, *, crop: tuple[slice, slice] | None = None) -> FlowTruth:
    """The motorcycle pair (741 x 500 px) resized by ``scale`` and optionally cropped after that.

    Images are area-averaged; the disparity is resized with nearest neighbours (so unknown pixels
    stay unknown) and multiplied by ``scale``, since motion is measured in pixels of the result.
    """
    import cv2
    from skimage import data

    left, right, disparity = data.stereo_motorcycle()
    height, width = round(left.shape[0] * scale), round(left.shape[1] * scale)

    def resize(image: np.ndarray, interpolation: int) -> np.ndarray:
        return cv2.resize(image, (width, height), interpolation=interpolation)

    known = np.isfinite(disparity)
    motion = resize(np.where(known, -disparity, 0).astype(np.float32), cv2.INTER_NEAREST) * scale
    flow = np.stack((motion, np.zeros_like(motion)), axis=-1)
    valid = resize(known.astype(np.uint8), cv2.INTER_NEAREST) > 0
    first, second = resize(left, cv2.INTER_AREA), resize(right, cv2.INTER_AREA)
    if crop is not None:
        first, second, flow, valid = first[crop], second[crop], flow[crop], valid[crop]
    return FlowTruth(first, second, flow, valid)


def endpoint_errors(flow: np.ndarray, truth: FlowTruth) -> np.ndarray:
    """Per-pixel end-point error of ``flow`` [H, W, 2] where the truth is known (1-D array)."""
    return np.hypot(*(flow - truth.flow).transpose(2, 0, 1))[truth.valid]
