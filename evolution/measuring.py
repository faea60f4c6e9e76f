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


def measure(task: MeasureTask) -> MeasureResult:
    """Never raises: a network that cannot run at the deploy shape (or any other failure) comes back
    as `error`, which the search records as the candidate's failure."""
    started = time.perf_counter()
    try:
        target = DeployTarget.model_validate(task.target)
        cost = synthetic_cost(task.text, target) if task.synthetic else measure_cost(task.text, target)
        return MeasureResult(task.candidate, cost, seconds=time.perf_counter() - started)
    except MemoryError:
        return MeasureResult(task.candidate, error="out of memory", seconds=time.perf_counter() - started)
    except Exception as exc:
        tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return MeasureResult(task.candidate, error=tail, seconds=time.perf_counter() - started)
