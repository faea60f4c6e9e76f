"""A search's latency measurement: with `precision auto` its first candidate's choice is every later
candidate's, so that their latencies compare in one precision and the choice is paid for once."""

from __future__ import annotations

import pytest

from anet.cost.deploy import DeployTarget
from anet.cost.record import Cost
from anet.evolution import measuring
from anet.evolution.measuring import MeasureTask, measure


@pytest.fixture
def timed(monkeypatch):
    """The precisions `measure_cost` was asked for; `auto` chooses bf16 (a fake, no network is run)."""
    asked: list[str] = []
    monkeypatch.setattr(measuring, "_PINNED", {})

    def fake(text: str, target: DeployTarget) -> Cost:
        asked.append(target.precision)
        chosen = "fp32" if target.precision == "fp32" else "bf16 autocast"
        return Cost(latency_ms=1.0, runs_ms=(1.0,), params=1, flops=1, device="cpu", precision=chosen, host="h")

    monkeypatch.setattr(measuring, "measure_cost", fake)
    return asked


def task(candidate: str, **target: object) -> MeasureTask:
    return MeasureTask(candidate, "network text", DeployTarget(**{"frames": 4, "size": 32, **target}).model_dump())


def test_the_first_candidates_choice_is_pinned_for_its_target(timed):
    results = [measure(task(f"c{i}")) for i in range(3)]
    assert [r.cost.precision for r in results] == ["bf16 autocast"] * 3
    assert timed == ["auto", "bf16", "bf16"]  # auto measured once
    measure(task("c3", precision="fp32"))  # a precision given is kept, and pins nothing
    measure(task("c4", frames=8))  # another target chooses for itself
    assert timed[3:] == ["fp32", "auto"]
