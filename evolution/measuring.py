"""A candidate's deployment cost, measured where the search decides (see `Workers.measure`).

Like training, a measurement is plain data in and out, so that it crosses process and machine
boundaries (a Ray worker measures on its own device and says which in `Cost.device` and
`Cost.host`); a failure comes back as `error`, never as an exception.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

from ..cost.deploy import DeployTarget
from ..cost.latency import measure_cost, synthetic_cost
from ..cost.record import Cost
from ..training.config import Precision


@dataclass(frozen=True)
class MeasureTask:
    candidate: str
    text: str
    target: dict[str, Any]  # a DeployTarget's dump
    synthetic: bool = False  # the free stand-in (`--fitness synthetic` runs): nothing is built or timed


@dataclass
class MeasureResult:
    candidate: str
    cost: Cost | None = None
    error: str | None = None
    seconds: float = 0.0


_PINNED: dict[str, Precision] = {}
"""Deploy target (as JSON) -> the precision `auto` chose for the first candidate measured here."""


def measure(task: MeasureTask) -> MeasureResult:
    """Never raises: a network that cannot run at the deploy shape (or any other failure) comes back
    as `error`, which the search records as the candidate's failure.

    With `precision auto`, the first candidate measured in this process for a target decides the
    precision of every later one (`auto` measures fp32 against bf16 on it): the candidates' latencies
    are then compared in one precision, as their fitness is trained in one (`pinned_precision`), and
    the search does not pay that comparison again for each of them (at 32 x 224 x 224 it costs about
    as much as the latency measurement itself). `anet predict` still chooses for the winner alone."""
    started = time.perf_counter()
    try:
        target = DeployTarget.model_validate(task.target)
        cost = synthetic_cost(task.text, target) if task.synthetic else _measured(task.text, target)
        return MeasureResult(task.candidate, cost, seconds=time.perf_counter() - started)
    except MemoryError:
        return MeasureResult(task.candidate, error="out of memory", seconds=time.perf_counter() - started)
    except Exception as exc:
        tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return MeasureResult(task.candidate, error=tail, seconds=time.perf_counter() - started)


def _measured(text: str, target: DeployTarget) -> Cost:
    key = target.model_dump_json()
    if target.precision != "auto" or key not in _PINNED:
        cost = measure_cost(text, target)
        if target.precision == "auto":
            _PINNED[key] = "fp32" if cost.precision == "fp32" else "bf16"
        return cost
    return measure_cost(text, target.model_copy(update={"precision": _PINNED[key]}))
