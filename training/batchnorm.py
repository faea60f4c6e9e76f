"""Re-estimating BN statistics before validation ("precise BN").

The runtime's BN layers follow TF's decay of 0.99 (PyTorch momentum 0.01), so after a proxy
training of 200 steps 0.99^200 = 13 % of the running statistics still come from the untrained
network, and the rest lag behind weights that changed fast. Validation in eval mode then under-reads
the network, by more than the differences the search has to rank (top-1 0.258 -> 0.299 and 0.191 ->
0.289 on two proxy candidates). Recomputing the statistics as plain averages over a fixed set of
training batches, with the weights frozen, removes the distortion; it changes nothing that training
itself uses (training-mode BN normalises with the batch's own statistics).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import update_bn
from torch.utils.data import Dataset

from .loader import tolerant_loader
from .sampling import ResumableSampler, _mix
from .unreadable import SUBSTITUTES, UNREADABLE

_STREAM = 0xB4  # keeps these batches' draws apart from the training order's


def fixed_batches(
    dataset: Dataset[dict[str, Any]], *, batches: int, batch_size: int, seed: int, workers: int = 0
) -> Iterator[dict[str, Any]]:
    """The same `batches` training batches every time it is called for the same seed (order and
    augmentation fixed), whatever the step, process or resume: re-estimation is deterministic.
    Unreadable videos are replaced as in training (training's own count warns about them)."""
    items = list(itertools.islice(ResumableSampler(len(dataset), seed=_mix(seed, _STREAM)), batches * batch_size))  # type: ignore[arg-type]
    loader = tolerant_loader(dataset, substitutes=SUBSTITUTES, batch_size=batch_size, sampler=items, workers=workers)
    return (batch for batch in loader if set(batch) != {UNREADABLE})


class _BatchForward(nn.Module):
    """Lets `update_bn`, which calls `module(batch)`, feed a generated network its keyword inputs."""

    def __init__(self, model: nn.Module, forward: Callable[[nn.Module, Any], Any]) -> None:
        super().__init__()
        self.model = model
        self._forward = forward
        self.training = model.training  # what update_bn restores afterwards

    def forward(self, batch: Any) -> Any:
        return self._forward(self.model, batch)


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches: Iterable[Any], forward: Callable[[nn.Module, Any], Any]) -> None:
    """Reset every BN layer's running mean and variance and set them to the cumulative average of
    the batch statistics over `batches` (torch's `update_bn`), in training mode without gradients;
    the model's mode and the BN momenta are restored afterwards. `forward(model, batch)` runs one
    batch. The same batches give the same statistics, so a run's fitness is reproducible."""
    update_bn(batches, _BatchForward(model, forward))


@contextmanager
def recalibrated(model: nn.Module, batches: Iterable[Any], forward: Callable[[nn.Module, Any], Any]) -> Iterator[None]:
    """Recalibrated statistics inside the block, the running averages restored after it: for
    validations in the middle of a run, which must leave training exactly as it would have been."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [{k: v.clone() for k, v in m.state_dict().items()} for m in norms]
    recalibrate_batchnorm(model, batches, forward)
    try:
        yield
    finally:
        for m, state in zip(norms, saved, strict=True):
            m.load_state_dict(state)
