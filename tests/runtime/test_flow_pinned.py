"""The single-scale layer (`flow computed`) pinned bit for bit.

The published AssembleNet models were trained with this layer, so its float32 output must not change
when code around it does (the coarse-to-fine layer shares the runtime). The digests were taken from
the layer before the coarse-to-fine layer was added. The clip is grey (three equal channels) and
the layer is elementwise apart from exact min/max reductions, so the bytes do not depend on the
number of threads or on how a mean over channels is ordered.
"""

from __future__ import annotations

import hashlib

import torch

from anet.runtime.flow import RepresentationFlow

# sha256 of the float32 flow bytes: the in-place (no-grad) path and the functional (autograd) path,
# which round differently (they agree to 5e-7 px).
INPLACE_DIGEST = "59ad38cd498139c6c5614ee1fe4e653895198e9dbfa7dc396f2f6e666e00bea6"
FUNCTIONAL_DIGEST = "1c720e66fe9b7bb6b5fb9d5660429530548bdd993d4ab857b9ebb3d333d2911b"


def pinned_clip() -> torch.Tensor:
    """A 3-frame 12x16 grey clip of a moving pattern, [1, 3, 3, 12, 16] in [0, 1], built without RNG."""
    y = torch.arange(12.0).view(12, 1)
    x = torch.arange(16.0).view(1, 16)
    frames = [
        torch.sin(0.7 * (x - 0.8 * t)) * torch.cos(0.45 * (y - 0.5 * t)) + 0.05 * ((x * 7 + y * 3) % 5)
        for t in range(3)
    ]
    gray = torch.stack(frames)[None, None] * 0.4 + 0.5
    return gray.expand(1, 3, 3, 12, 16).contiguous()


def digest(flow: torch.Tensor) -> str:
    return hashlib.sha256(flow.detach().numpy().tobytes()).hexdigest()


def test_inplace_path_is_unchanged() -> None:
    flow = RepresentationFlow()(pinned_clip())
    assert flow.dtype == torch.float32
    assert digest(flow) == INPLACE_DIGEST


def test_functional_path_is_unchanged() -> None:
    flow = RepresentationFlow()(pinned_clip().requires_grad_(True))
    assert digest(flow) == FUNCTIONAL_DIGEST
