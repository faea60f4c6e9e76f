"""Reproducible, resumable sample order.

A training run that is stopped and resumed must see exactly the batches the uninterrupted run would
have seen, augmentations included. So the order of epoch e is a permutation drawn from (seed, e),
and every sample's random draws (crop, flip, clip start) come from a seed derived from
(seed, e, position), set right before the dataset is read — independent of worker processes and
of how many batches ran before. Resuming at step k skips straight to its position.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import Dataset, Sampler


def _mix(*values: int) -> int:
    """A 63-bit seed from integers (SplitMix64 finaliser), so neighbouring inputs give unrelated seeds."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x ^= (v + 0x9E3779B97F4A7C15 + (x << 6) + (x >> 2)) & 0xFFFFFFFFFFFFFFFF
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x & 0x7FFFFFFFFFFFFFFF


class SeededSamples(Dataset[dict[str, Any]]):
    """Reads `(index, sample_seed)` pairs: seeds torch's generator, then reads the dataset."""

    def __init__(self, dataset: Dataset[dict[str, Any]]) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, item: tuple[int, int]) -> dict[str, Any]:
        index, seed = item
        torch.manual_seed(seed)
        return self.dataset[index]


class ResumableSampler(Sampler[tuple[int, int]]):
    """Endless (index, seed) stream. Positions count samples over the whole run and all processes;
    process `rank` of `world` takes every world-th position, starting at global position `start`."""

    def __init__(self, length: int, *, seed: int, start: int = 0, rank: int = 0, world: int = 1) -> None:
        if length < 1:
            raise ValueError("cannot sample from an empty dataset")
        self.length = length
        self.seed = seed
        self.start = start
        self.rank = rank
        self.world = world

    def order(self, epoch: int) -> list[int]:
        generator = torch.Generator().manual_seed(_mix(self.seed, epoch))
        return torch.randperm(self.length, generator=generator).tolist()

    def __iter__(self) -> Iterator[tuple[int, int]]:
        position = self.start + self.rank
        epoch, order = -1, []
        while True:
            current, offset = divmod(position, self.length)
            if current != epoch:
                epoch, order = current, self.order(current)
            yield order[offset], _mix(self.seed, epoch, offset, 1)
            position += self.world
