"""What the dashboard's API sends about a run, computed from its SearchState: the summary, the
candidates table, the fitness curves and one candidate's page. Pure functions of the state (and the
clock, for the times), so each is tested on a real journal without a server.

Numbers that JSON cannot hold (an infinite or NaN fitness or metric) are sent as null."""

from __future__ import annotations

import difflib
import math
from typing import Any

from ..dsl import AnetError
from ..evolution.config import EvolutionConfig
from ..evolution.objectives import front, reevaluation_choice
from ..evolution.report import curve, measured
from ..evolution.state import Candidate, SearchState
from ..evolution.store import candidate_text
from ..render.lineage import mutation_text

TOP_K = 3  # the paper's Figure 4: mean fitness of the top 3 population members after each round

Json = dict[str, Any]


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def finite_values(values: dict[str, float]) -> dict[str, float | None]:
    return {key: finite(value) for key, value in values.items()}


# -- the candidates ---------------------------------------------------------------------------------


def row(c: Candidate) -> Json:
    """One line of the candidates table; cost fields are null where the run measured none."""
    cost = c.cost
    return {
        "id": c.id,
        "round": c.round,
        "parent": c.parent,
        "status": c.status,
        "fitness": finite(c.fitness),
        "params": cost.params if cost else None,
        "flops": cost.flops if cost else None,
        "latency_ms": cost.latency_ms if cost else None,
        "mutations": [mutation_text(m) for m in c.mutations],
        "reason": c.reason,
        "seconds": c.seconds,
    }


def rows(state: SearchState) -> list[Json]:
    """Every candidate, in the order the search created them."""
    return [row(c) for c in state.candidates.values()]


def file_text(c: Candidate) -> str:
    """The candidate's .anet text as its file RUN/candidates/ID.anet holds it (the file is a view of
    the journal: `store.candidate_text`), with its fitness and learned weights once trained. Made
    from the journal, so the page never reads a file a URL names, and never shows the moment
    between the journaled result and the rewritten file. A text the language rejects (a journal
    from another anet version) is shown as created."""
    try:
        return candidate_text(c)
    except AnetError:
        return c.text


def parent_diff(state: SearchState, c: Candidate) -> str | None:
    """What the mutations changed: the parent's architecture against the child's, both as created
    (without weights, which would differ on every line and hide the change)."""
    parent = state.candidates.get(c.parent) if c.parent else None
    if parent is None:
        return None
    lines = difflib.unified_diff(
        parent.text.splitlines(keepends=True),
        c.text.splitlines(keepends=True),
        fromfile=f"{parent.id}.anet",
        tofile=f"{c.id}.anet",
    )
    return "".join(lines)


def detail(state: SearchState, c: Candidate) -> Json:
    """The candidate page: its row, its text, the diff against its parent, what training learned.
    `curve` (a training curve) is null: the search journals a candidate's final metrics only."""
    return row(c) | {
        "text": file_text(c),
        "parent_diff": parent_diff(state, c),
        "weights": c.weights,
        "peer_weights": c.peer_weights,
        "metrics": finite_values(c.metrics),
        "curve": None,
        "cost": c.cost.model_dump(mode="json") if c.cost else None,
        "retrained": {str(seed): finite(value) for seed, value in c.retrained.items()},
        "reused_from": c.reused_from,
    }


# -- the curves -------------------------------------------------------------------------------------


def curves(state: SearchState) -> Json:
    """Every trained candidate as a point, the Figure 4 lines (mean of the top 3 and best so far after
    each round, `report.curve`) and, where costs were measured, the front of fitness against latency."""
    points = []
    for c in state.candidates.values():
        if c.status == "evaluated" and finite(c.fitness) is not None:
            points.append(
                {
                    "id": c.id,
                    "round": c.round,
                    "fitness": c.fitness,
                    "mutations": [mutation_text(m) for m in c.mutations],
                    "latency_ms": c.cost.latency_ms if c.cost else None,
                    "flops": c.cost.flops if c.cost else None,
                }
            )
    lines = curve(state, TOP_K)
    costs = measured(state)
    return {
        "points": points,
        "best": [[r, b] for r, _, b in lines if math.isfinite(b)],
        "topk": [[r, m] for r, m, _ in lines if math.isfinite(m)],
        "front": [c.id for c in front(state)] if costs else [],
        "cost_axis": "latency_ms" if costs else None,
    }


# -- the summary ------------------------------------------------------------------------------------


def counts(state: SearchState) -> dict[str, int]:
    by_status = {"evaluated": 0, "failed": 0, "pending": 0, "rejected": 0}
    for c in state.candidates.values():
        by_status[c.status] += 1
    return {
        "total": len(state.candidates),
        "trained": by_status["evaluated"],
        "failed": by_status["failed"],
        "pending": by_status["pending"],
        "rejected": by_status["rejected"],
    }


def finished(state: SearchState) -> bool:
    """Every round applied, nothing pending, and the re-evaluation (if asked for) done: what
    `Search.run` has done when it returns."""
    settings = state.settings
    if settings is None or state.applied < settings.rounds:
        return False
    if any(c.status == "pending" for c in state.candidates.values()):
        return False
    chosen = reevaluation_choice(state, settings, settings.reevaluate) if settings.reevaluate else []
    return all(len(c.retrained) + len(c.retrain_failures) >= settings.reevaluate_seeds for c in chosen)


def eta_s(state: SearchState, done: bool) -> float | None:
    """Seconds to go: the trainings left times the mean training time of those done (as the
    journal's `seconds` record them), shared among the workers; null before any was timed.

    Trainings left: candidates not created or pending, and re-evaluations not made."""
    settings = state.settings
    if done:
        return 0.0
    if settings is None:
        return None
    timed = [c.seconds for c in state.candidates.values() if c.status in ("evaluated", "failed") and c.seconds > 0]
    if not timed or not math.isfinite(sum(timed)):
        return None
    settled = sum(1 for c in state.candidates.values() if c.status != "pending")
    left = max(0, settings.population + settings.rounds - settled)
    if settings.reevaluate:
        made = sum(len(c.retrained) + len(c.retrain_failures) for c in state.candidates.values())
        left += max(0, settings.reevaluate * settings.reevaluate_seeds - made)
    return left * (sum(timed) / len(timed)) / settings.workers


def summary(state: SearchState) -> Json:
    """The summary's fields that depend on the journal alone (the view adds name, path, times,
    damaged lines and offset)."""
    settings = state.settings
    number = counts(state)
    best = state.best()
    done = finished(state)
    workers = settings.workers if settings else None
    return {
        "strategy": settings.strategy if settings else None,
        "objective": settings.objective if settings else None,
        "population": settings.population if settings else None,
        "rounds": {"done": max(state.applied, 0), "total": settings.rounds if settings else None},
        "candidates": number,
        "workers": workers,
        "busy": min(number["pending"], workers or 0),
        "best": {"id": best.id, "fitness": finite(best.fitness)} if best else None,
        "finished": done,
        "eta_s": eta_s(state, done),
        "settings": settings_dump(settings),
    }


def settings_dump(settings: EvolutionConfig | None) -> Json | None:
    return settings.model_dump(mode="json") if settings else None
