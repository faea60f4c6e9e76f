"""Multi-process training with torch DistributedDataParallel, started by `torchrun` (which sets
RANK, WORLD_SIZE, LOCAL_RANK and the rendezvous variables). One process without them is the
plain single-device case; the rest of the loop does not need to know the difference."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as torch_dist
from torch import nn

from .device import Placement


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    def wrap(self, model: nn.Module, place: Placement) -> nn.Module:
        if not self.active:
            return model
        ids = [place.device.index] if place.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def barrier(self) -> None:
        if self.active:
            torch_dist.barrier()


def current() -> Distributed:
    """Join the process group torchrun prepared (once), or run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    if not torch_dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch_dist.init_process_group(backend=backend)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
    return Distributed(rank=torch_dist.get_rank(), world=torch_dist.get_world_size(), local_rank=local_rank)
