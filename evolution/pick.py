"""Choosing the network to deploy from a finished search: the best trained candidate whose measured
cost fits a budget (`anet runs pick`, `anet.pick`).

A budget chosen after the search is a different question from the one the search ranked by, so the
choice is made over every trained candidate, not only the population or the front. It is judged by
the figure a user should trust: a re-evaluated candidate's fresh-seed mean is not inflated by its
own selection (the winner's curse) while a search fitness is, so the two are never compared with
each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import UserError
from .state import Candidate, SearchState
from .store import CANDIDATES, candidate_text

if TYPE_CHECKING:
    from ..cost.record import Cost

PickBy = Literal["auto", "fitness", "retrained"]
"""auto: the re-evaluated mean when a candidate within the budget was re-evaluated, else the search
fitness; fitness: the search fitness; retrained: the re-evaluated mean (re-evaluated candidates only)."""

Figure = Literal["fitness", "retrained"]


class PickError(UserError):
    """The run has no candidate to answer with (none within the budget, no costs to judge by)."""


@dataclass(frozen=True)
class Budget:
    """Hard limits on a deployed network's cost; None: no limit."""

    max_latency: float | None = None  # ms, the measured median at the run's deploy target
    max_flops: float | None = None  # FLOPs of one forward at the deploy target

    @property
    def limited(self) -> bool:
        return self.max_latency is not None or self.max_flops is not None

    def admits(self, cost: Cost | None) -> bool:
        if not self.limited:
            return True
        if cost is None:
            return False
        latency_ok = self.max_latency is None or cost.latency_ms <= self.max_latency
        return latency_ok and (self.max_flops is None or cost.flops <= self.max_flops)

    def describe(self) -> str:
        limits = []
        if self.max_latency is not None:
            limits.append(f"latency <= {self.max_latency:g} ms")
        if self.max_flops is not None:
            limits.append(f"FLOPs <= {self.max_flops:g} ({self.max_flops / 1e9:g} GFLOPs)")
        return " and ".join(limits)


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    by: Figure  # the figure it was chosen by

    @property
    def value(self) -> float:
        value = self.candidate.retrained_mean if self.by == "retrained" else self.candidate.fitness
        assert value is not None  # chosen among candidates that have it
        return value

    def describe(self) -> str:
        """What the choice rests on, in one line."""
        c = self.candidate
        parts = [f"search fitness {c.fitness:.4f}"]
        if c.retrained_mean is not None:
            se = f" ± {c.retrained_se:.4f}" if c.retrained_se is not None else ""
            parts.append(f"re-evaluated mean {c.retrained_mean:.4f}{se} ({len(c.retrained)} seeds)")
        if c.cost is not None:
            parts.append(f"latency {c.cost.latency_ms:.4g} ms, {c.cost.gflops:.4g} GFLOPs, {c.cost.params:,} params")
        figure = "re-evaluated mean" if self.by == "retrained" else "search fitness"
        return f"{c.id}, chosen by {figure}: {'; '.join(parts)}"


def pick(state: SearchState, budget: Budget = Budget(), by: PickBy = "auto") -> Pick:
    """The best trained candidate within `budget` by the figure `by` names; among equals the
    earliest round, then the later id, as the run's own best (`objectives.best`)."""
    trained = [c for c in state.candidates.values() if c.status == "evaluated"]
    if not trained:
        raise PickError("no candidate of the run was trained")
    if budget.limited and not any(c.cost is not None for c in trained):
        raise PickError(
            f"the run measured no candidate's cost (it was made with --no-measure or before costs were "
            f"measured), so none can be chosen by {budget.describe()}"
        )
    within = [c for c in trained if budget.admits(c.cost)]
    if not within:
        raise PickError(f"no trained candidate has {budget.describe()}: {_cheapest(trained, budget)}")
    figure: Figure = "fitness" if by == "fitness" else "retrained"
    choices = [c for c in within if c.retrained_mean is not None] if figure == "retrained" else within
    if not choices and by == "auto":
        figure, choices = "fitness", within
    if not choices:
        where = f" with {budget.describe()}" if budget.limited else ""
        raise PickError(f"no candidate{where} was re-evaluated (anet evolve --reevaluate K); use --by fitness")
    ranked = [Pick(c, figure) for c in choices]
    return max(ranked, key=lambda p: (p.value, -p.candidate.round, p.candidate.id))


def _cheapest(trained: list[Candidate], budget: Budget) -> str:
    """The measured candidate nearest to the budget, for the user to set a limit that admits it."""
    measured = [(c.cost, c.id) for c in trained if c.cost is not None]
    if budget.max_latency is not None:
        what, (cost, cid) = "the fastest", min(measured, key=lambda m: (m[0].latency_ms, m[1]))
    else:
        what, (cost, cid) = "the one of fewest FLOPs", min(measured, key=lambda m: (m[0].flops, m[1]))
    return f"{what}, {cid}, takes {cost.latency_ms:.4g} ms and {cost.gflops:.4g} GFLOPs"


def picked_text(run: Path, candidate: Candidate, folder: Path) -> str:
    """The candidate's file (learned weights, fitness and costs, as RUN/best.anet) for a file in
    `folder`: its parent named relative to that folder, so that `anet render --lineage` still
    follows it back through the run."""
    parent_dir = os.path.relpath(run / CANDIDATES, folder).replace(os.sep, "/")
    return candidate_text(candidate, parent_dir=f"{parent_dir}/")
