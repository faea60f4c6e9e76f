"""Tests of anet.runtime.median: the selection network equals torch.median over the neighbourhood."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from anet.runtime.median import median_filter


def unfolded_median(planes: torch.Tensor, size: int) -> torch.Tensor:
    radius = size // 2
    flat = planes.reshape(-1, 1, *planes.shape[-2:])
    patches = F.unfold(F.pad(flat, (radius,) * 4, mode="replicate"), size)
    return patches.median(dim=1).values.view(planes.shape)


@pytest.mark.parametrize("size", [3, 5, 7])
@pytest.mark.parametrize("shape", [(1, 9, 11), (2, 3, 5, 6), (4, 30, 20)])
def test_equals_torch_median(size: int, shape: tuple[int, ...]) -> None:
    planes = torch.randn(shape, generator=torch.Generator().manual_seed(size))
    assert torch.equal(median_filter(planes, size), unfolded_median(planes, size))


def test_ties_and_size_one() -> None:
    planes = torch.randint(0, 3, (2, 12, 12), generator=torch.Generator().manual_seed(0)).float()
    assert torch.equal(median_filter(planes, 5), unfolded_median(planes, 5))
    assert median_filter(planes, 1) is planes


def test_gradient_reaches_the_selected_values() -> None:
    planes = torch.randn(1, 6, 6, generator=torch.Generator().manual_seed(2), requires_grad=True)
    median_filter(planes, 3).sum().backward()
    assert planes.grad is not None
    # Each output picks one input, so the gradient counts how often each input was picked: 36 in all.
    assert planes.grad.sum().item() == pytest.approx(36.0)
    assert (planes.grad >= 0).all()


@pytest.mark.parametrize("size", [0, 2, -3])
def test_rejects_even_or_non_positive_sizes(size: int) -> None:
    with pytest.raises(ValueError, match="odd"):
        median_filter(torch.zeros(1, 4, 4), size)
