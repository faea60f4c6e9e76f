"""Shared references for the anet.runtime layer tests: written plainly, independent of the runtime."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pytest
import torch
import torch.nn.functional as F


def tf_same_max_pool_reference(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int]) -> torch.Tensor:
    """TF 'SAME' max-pool per frame: pad by -inf (extra pixel at the end), then take window maxima."""
    pads = []
    outs = []
    for size, k, s in ((x.shape[-2], kernel[0], stride[0]), (x.shape[-1], kernel[1], stride[1])):
        out = math.ceil(size / s)
        total = max((out - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
        outs.append(out)
    padded = F.pad(x.contiguous(), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]), value=float("-inf"))
    windows = padded.unfold(3, kernel[0], stride[0]).unfold(4, kernel[1], stride[1])
    return windows.amax(dim=(-1, -2))[..., : outs[0], : outs[1]]


@pytest.fixture(scope="session")
def pool_reference() -> Callable[..., torch.Tensor]:
    return tf_same_max_pool_reference


@pytest.fixture
def native_convs() -> Iterator[None]:
    """Seed, and run on PyTorch's native conv kernels instead of oneDNN (results are the same).

    oneDNN builds a kernel for every new convolution shape (a small network's first pass takes
    about 2 s with it and 0.2 s without), and the shape and parameter tests use hundreds of
    shapes. Used by the shape-heavy test files; the others, and the end-to-end tests, keep oneDNN,
    which is what runs in practice.
    """
    torch.manual_seed(0)
    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = previous
