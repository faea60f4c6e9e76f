"""Where and at what clip a network will be deployed: the shape, device and precision its cost is
measured at, and how many runs make the figure. The search measures every candidate at one target,
so that their latencies compare."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..training.config import Precision

SHAPE = re.compile(r"^\s*(\d+)x(\d+)\s*$")


class DeployTarget(BaseModel):
    """Batch 1, `frames` x `size` x `size` clips on `device` in `precision` (`auto`: what `anet
    predict` would choose there); `warmup` untimed runs, then `repeats` timed ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frames: int = Field(default=32, ge=1)
    size: int = Field(default=224, ge=8)
    device: Literal["cpu", "cuda"] = "cpu"
    precision: Precision = "auto"
    warmup: int = Field(default=1, ge=0)
    repeats: int = Field(default=5, ge=1)

    @classmethod
    def from_shape(cls, text: str, **rest: object) -> DeployTarget:
        """`32x224` (FRAMESxSIZE, as `--deploy-shape` takes it) with the other fields from `rest`."""
        match = SHAPE.match(text)
        if match is None:
            raise ValueError(f"deploy shape '{text}' is not FRAMESxSIZE, e.g. 32x224")
        return cls.model_validate({"frames": int(match[1]), "size": int(match[2]), **rest})

    @property
    def shape(self) -> str:
        return f"{self.frames}x{self.size}"
