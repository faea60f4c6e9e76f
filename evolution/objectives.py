"""How the search ranks candidates under its objective, higher being better: the tournament takes the
best of its draw, the population loses its worst, the run reports its best and re-evaluates its top,
all through the functions here, so that the four agree.

paper: the proxy fitness, as the paper ranks. mnas: MnasNet's soft-constrained reward (Tan et al.
2019, "MnasNet: Platform-Aware Neural Architecture Search for Mobile", eq. 2 with alpha = beta = w):
one number that trades fitness for latency around a target. pareto: NSGA-II's order (Deb et al.
2002) on (fitness, -latency): earlier fronts first and, within a front, the less crowded, so that
the population spreads along the trade-off instead of collapsing on the fittest network."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .pareto import Point, crowding_distances, first_front, nondominated_fronts

if TYPE_CHECKING:  # only annotations: ranking needs neither torch (cost.latency) nor the journal
    from ..cost.record import Cost
    from .config import EvolutionConfig
    from .state import Candidate, SearchState

UNRANKED = -math.inf  # the score of a candidate that cannot be ranked: not evaluated (or not measured)


def mnas_reward(fitness: float, latency_ms: float, target_ms: float, exponent: float) -> float:
    """fitness * (latency / target) ** w: at the target the fitness itself; with MnasNet's w = -0.07
    twice the target costs about 5% of it and half the target earns about 5% more."""
    return fitness * (latency_ms / target_ms) ** exponent


def over_budget(cost: Cost, config: EvolutionConfig) -> str | None:
    """Why a measured candidate is not worth training (over a hard budget), or None within them."""
    reasons = []
    if config.max_latency is not None and cost.latency_ms > config.max_latency:
        reasons.append(f"latency {cost.latency_ms:.1f} ms over --max-latency {config.max_latency:g} ms")
    if config.max_flops is not None and cost.flops > config.max_flops:
        reasons.append(f"{cost.gflops:.1f} GFLOPs over --max-flops {config.max_flops / 1e9:g} GFLOPs")
    return "; ".join(reasons) or None


def score(candidate: Candidate, config: EvolutionConfig) -> float:
    """One number per candidate: the mnas reward under mnas, else the fitness (pareto ranks by
    fronts, see `rank_keys`, and reports the fittest)."""
    if candidate.fitness is None:
        return UNRANKED
    if config.objective != "mnas":
        return candidate.fitness
    if candidate.cost is None or config.latency_target is None:  # the config requires both: defensive
        return UNRANKED
    return mnas_reward(candidate.fitness, candidate.cost.latency_ms, config.latency_target, config.mnas_exponent)


def rank_keys(state: SearchState, members: Sequence[str], config: EvolutionConfig) -> dict[str, tuple[float, ...]]:
    """A sortable key per member, higher is better: (score,), or under pareto (-front, crowding)
    with fronts and crowding computed among `members` alone (members without a point rank last)."""
    if config.objective != "pareto":
        return {m: (score(state.candidates[m], config),) for m in members}
    keys: dict[str, tuple[float, ...]] = dict.fromkeys(members, (UNRANKED, UNRANKED))
    ranked = [m for m in members if _point(state.candidates[m]) is not None]
    points = [_must_point(state.candidates[m]) for m in ranked]
    for index, indices in enumerate(nondominated_fronts(points)):
        for i, crowding in crowding_distances(points, indices).items():
            keys[ranked[i]] = (-float(index), crowding)
    return keys


def best(state: SearchState, config: EvolutionConfig) -> Candidate | None:
    """The run's answer among every evaluated candidate (not only the population): once some were
    re-evaluated, the highest mean over fresh seeds among those (the search's own fitness is the
    maximum of many noisy trainings, biased upwards); else the highest score. Among equals, the
    earliest round, then the later id (as the search always chose)."""
    evaluated = [c for c in state.candidates.values() if c.status == "evaluated"]
    retrained = [c for c in evaluated if c.retrained_mean is not None]
    if retrained:
        return max(retrained, key=_ordered_by(lambda c: _or_unranked(c.retrained_mean)))
    return max(evaluated, key=_ordered_by(lambda c: score(c, config)), default=None)


def front(state: SearchState) -> list[Candidate]:
    """The trade-off the run found: evaluated, measured architectures that no other beats on both
    fitness and latency, cheapest first. A twin evaluated by reuse (`reused_from`) stands for the
    same architecture as its original and is left out, so each point appears once."""
    measured = _unique_evaluated(state, measured=True)
    points = [_must_point(c) for c in measured]
    first = sorted(first_front(points), key=lambda i: (-points[i][1], -points[i][0], measured[i].id))
    return [measured[i] for i in first]


def reevaluation_choice(state: SearchState, config: EvolutionConfig, k: int) -> list[Candidate]:
    """The K architectures to train again with fresh seeds: the top K by score, or under pareto the
    front by fitness descending, then the following fronts, until K."""
    by_score = _ordered_by(lambda c: score(c, config))  # under pareto the score is the fitness
    if config.objective != "pareto":
        return sorted(_unique_evaluated(state, measured=False), key=by_score, reverse=True)[: max(k, 0)]
    measured = _unique_evaluated(state, measured=True)
    chosen: list[Candidate] = []
    for indices in nondominated_fronts([_must_point(c) for c in measured]):
        chosen += sorted((measured[i] for i in indices), key=by_score, reverse=True)
    return chosen[: max(k, 0)]


def _ordered_by(value: Callable[[Candidate], float]) -> Callable[[Candidate], tuple[float, int, str]]:
    return lambda c: (value(c), -c.round, c.id)


def _or_unranked(value: float | None) -> float:
    return UNRANKED if value is None else value


def _unique_evaluated(state: SearchState, *, measured: bool) -> list[Candidate]:
    return [
        c
        for c in state.candidates.values()
        if c.status == "evaluated" and c.reused_from is None and (c.cost is not None or not measured)
    ]


def _point(candidate: Candidate) -> Point | None:
    """(fitness, -latency): both maximised."""
    if candidate.fitness is None or candidate.cost is None:
        return None
    return candidate.fitness, -candidate.cost.latency_ms


def _must_point(candidate: Candidate) -> Point:
    point = _point(candidate)
    assert point is not None, f"{candidate.id} has no fitness or no cost"
    return point
