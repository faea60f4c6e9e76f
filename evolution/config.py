"""Settings of a search; every constant of the paper is here with the paper's value as default."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, model_validator

from ..cost.deploy import DeployTarget
from ..dsl.values import AttentionMode
from ..training.config import PROXY_EDGE_LR, TrainConfig

Strategy = Literal["guided", "standard", "random"]
"""guided: connection-learning-guided mutation (eq. 2); standard: a random third of the edges
changed; random: fresh random architectures, the baseline search."""


Objective = Literal["paper", "pareto", "mnas"]
"""paper: the proxy fitness alone (top-1 + top-5); pareto: fitness and measured latency, the
population ranked by non-domination and crowding (NSGA-II); mnas: MnasNet's soft-constrained reward
fitness * (latency / target) ** w."""

Fitness = Literal["proxy", "synthetic"]
"""proxy: a short training on the data spec; synthetic: a free deterministic stand-in that
exercises the engine, not a measure."""


def proxy_training() -> TrainConfig:
    """The default proxy training of a candidate: 1/8 of the published widths, 8 frames of 48 px,
    a few hundred iterations (about a minute per candidate on 2 CPU cores), connection logits at
    `PROXY_EDGE_LR` times the shared rate, BN statistics re-estimated before validation."""
    return TrainConfig(
        iterations=200, batch_size=8, width=0.125, frames=8, size=48, edge_lr=PROXY_EDGE_LR, progress=False
    )


# Training settings added after the first runs were recorded, with the values those runs used: a
# run resumed from an older journal goes on training its candidates exactly as it began. Those runs
# also validated on the proxy task's former default of 128 clips (512 since).
_RECORDED_BEFORE = {"bn_batches": 0, "edge_lr": 1.0}
# Runs recorded before candidates' costs were measured go on without measuring them.
_UNMEASURED = {"measure": False}
_FORMER_PROXY_VAL = "val=128"


class EvolutionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Strategy = "guided"
    population: int = Field(default=20, ge=2)  # a tournament needs two members to choose from
    tournament: PositiveInt = 5
    rounds: int = Field(default=40, ge=0, description="children after the initial population")
    threshold: float | None = Field(default=None, ge=0, le=1, description="B in eq. 2; None: B ~ U(0, 1)")
    max_node_mutations: int = Field(default=4, ge=0)
    edge_probability: float = Field(default=0.5, gt=0, le=1)
    standard_fraction: float = Field(default=1 / 3, gt=0, le=1)
    attention: AttentionMode = Field(
        default="none", description="what switching a block's attention on gives; none: attention is not searched"
    )
    seed: int = 0
    workers: PositiveInt = 1
    backend: Literal["local", "ray"] = "local"
    address: str | None = None
    fitness: Fitness = "proxy"
    data: str = "proxy"
    classes: PositiveInt | None = None
    train: TrainConfig = Field(default_factory=proxy_training)
    max_retries: int = Field(default=2, ge=0, description="retries of a candidate whose worker died")
    objective: Objective = "paper"
    measure: bool = Field(default=True, description="measure each candidate's cost at the deploy target")
    deploy: DeployTarget = Field(default_factory=DeployTarget)
    latency_target: PositiveFloat | None = Field(default=None, description="ms: T of the mnas reward")
    mnas_exponent: float = Field(default=-0.07, le=0, description="w of the mnas reward (MnasNet: -0.07)")
    max_latency: PositiveFloat | None = Field(default=None, description="ms: a candidate over it is not trained")
    max_flops: PositiveFloat | None = Field(default=None, description="FLOPs: a candidate over it is not trained")
    reevaluate: int = Field(default=0, ge=0, description="retrain the top K at the end with fresh seeds")
    reevaluate_seeds: int = Field(default=3, ge=2, description="fresh seeds per re-evaluated candidate")

    @model_validator(mode="after")
    def _costs_are_measured(self) -> EvolutionConfig:
        """What needs a candidate's cost cannot run without measuring it."""
        if self.objective == "mnas" and self.latency_target is None:
            raise ValueError("objective mnas needs a latency target (--latency-target MS)")
        needs = [
            name
            for name, given in (
                (f"objective {self.objective}", self.objective != "paper"),
                ("max_latency", self.max_latency is not None),
                ("max_flops", self.max_flops is not None),
            )
            if given
        ]
        if needs and not self.measure:
            raise ValueError(f"{' and '.join(needs)} need the candidates' costs: do not turn measuring off")
        return self

    @classmethod
    def from_record(cls, recorded: dict[str, Any], **overrides: Any) -> EvolutionConfig:
        """The configuration a journal's start event recorded (older journals lack later settings)."""
        train = recorded.get("train", {})
        if "bn_batches" not in train:  # recorded before the settings above existed
            data = recorded.get("data", "proxy")
            if data.split(":")[0] == "proxy" and "val=" not in data:
                data = f"{data}{',' if ':' in data else ':'}{_FORMER_PROXY_VAL}"
            recorded = recorded | {"data": data}
            train = _RECORDED_BEFORE | train
        if "measure" not in recorded:
            recorded = _UNMEASURED | recorded
        return cls.model_validate(recorded | {"train": train} | overrides)
