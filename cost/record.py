"""What one measurement of a network's deployment cost records: the search journals one per
candidate (its `measured` event) and ranks by it. A module of its own, free of torch, because the
journal's readers (`anet runs show`, `anet --help`'s command list) load it without measuring."""

from __future__ import annotations

import statistics

from pydantic import BaseModel, ConfigDict, Field


class Cost(BaseModel):
    """One network's cost at one `DeployTarget`: what the journal's `measured` event holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: float = Field(ge=0)  # median of runs_ms
    runs_ms: tuple[float, ...] = Field(min_length=1)  # every timed run after the warm-up, in order
    params: int = Field(ge=0)  # of the built model, before BN is folded (as `anet info` counts them)
    flops: int = Field(ge=0)  # one forward at the deploy shape (torch's FlopCounterMode total)
    device: str  # "cpu: AMD EPYC 9R14, AVX512, 2 threads" / "cuda: NVIDIA H100 80GB HBM3"
    precision: str  # what the target's precision chose: "fp32" or "bf16 autocast" (synthetic: as asked)
    host: str  # which machine measured (Ray workers measure on their own)
    synthetic: bool = False  # True: `synthetic_cost`'s stand-in, not a measurement

    @property
    def spread_ms(self) -> float:
        """The interquartile range of the runs (0 for one run)."""
        if len(self.runs_ms) < 2:
            return 0.0
        first, _, third = statistics.quantiles(self.runs_ms, n=4, method="inclusive")
        return third - first

    @property
    def gflops(self) -> float:
        return self.flops / 1e9
