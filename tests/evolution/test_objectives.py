"""How each objective ranks candidates, on small search states built directly: MnasNet's reward, the
hard budgets' messages, the tournament's keys, the reported best, the front and the re-evaluated."""

from __future__ import annotations

import math

import pytest
from evo_helpers import stated_cost

from anet.evolution.config import EvolutionConfig
from anet.evolution.objectives import best, front, mnas_reward, over_budget, rank_keys, reevaluation_choice, score
from anet.evolution.state import Candidate, SearchState

PAPER = EvolutionConfig()
PARETO = EvolutionConfig(objective="pareto")
MNAS = EvolutionConfig(objective="mnas", latency_target=10.0)


def candidate(
    number: int,
    fitness: float | None,
    latency_ms: float | None = None,
    *,
    round_: int = 0,
    status: str = "evaluated",
    reused_from: str | None = None,
    retrained: dict[int, float] | None = None,
) -> Candidate:
    return Candidate(
        f"c{number:05d}",
        round_,
        None,
        f"hash{number}",
        "",
        (),
        status=status,  # type: ignore[arg-type]
        fitness=fitness,
        reused_from=reused_from,
        cost=None if latency_ms is None else stated_cost(latency_ms),
        retrained=retrained or {},
    )


def state_of(*candidates: Candidate) -> SearchState:
    return SearchState(candidates={c.id: c for c in candidates})


def ids(candidates) -> list[str]:
    return [c.id for c in candidates]


# a trade-off: c1 fit and slow, c2 fast and weak, c3 between them, c4 beaten by c3 on both
TRADE_OFF = state_of(candidate(1, 0.9, 10.0), candidate(2, 0.5, 5.0), candidate(3, 0.7, 7.0), candidate(4, 0.6, 9.0))


def test_mnas_reward_is_fitness_times_relative_latency_to_the_power_w():
    assert mnas_reward(0.8, 10.0, 10.0, -0.07) == pytest.approx(0.8)
    assert mnas_reward(0.8, 20.0, 10.0, -0.07) == pytest.approx(0.8 * math.exp(-0.07 * math.log(2.0)))
    assert mnas_reward(0.8, 5.0, 10.0, -0.07) == pytest.approx(0.8 * math.exp(0.07 * math.log(2.0)))
    assert mnas_reward(0.8, 20.0, 10.0, -0.07) < 0.8 < mnas_reward(0.8, 5.0, 10.0, -0.07)
    assert mnas_reward(0.8, 40.0, 10.0, 0.0) == pytest.approx(0.8)  # w = 0: latency ignored


def test_score_is_the_reward_under_mnas_and_the_fitness_otherwise():
    slow = candidate(1, 0.8, 20.0)
    assert score(slow, MNAS) == pytest.approx(mnas_reward(0.8, 20.0, 10.0, -0.07))
    assert score(slow, PAPER) == score(slow, PARETO) == 0.8
    assert score(candidate(2, None, 5.0, status="failed"), MNAS) == -math.inf


def test_over_budget_names_the_figure_and_the_option():
    config = EvolutionConfig(max_latency=40.0, max_flops=20e9)
    assert over_budget(stated_cost(40.0, 20.0), config) is None  # at the budget is within it
    assert over_budget(stated_cost(52.1, 3.0), config) == "latency 52.1 ms over --max-latency 40 ms"
    assert over_budget(stated_cost(12.0, 41.3), config) == "41.3 GFLOPs over --max-flops 20 GFLOPs"
    both = over_budget(stated_cost(52.1, 41.3), config)
    assert both == "latency 52.1 ms over --max-latency 40 ms; 41.3 GFLOPs over --max-flops 20 GFLOPs"
    assert over_budget(stated_cost(1e6, 1e6), PAPER) is None  # no budget


def test_pareto_keys_put_the_front_first_and_its_extremes_before_its_interior():
    keys = rank_keys(TRADE_OFF, ["c00001", "c00002", "c00003", "c00004"], PARETO)
    assert keys["c00004"] < keys["c00003"]  # front 1 below front 0, though fitter than c2
    assert keys["c00003"] < keys["c00001"] and keys["c00003"] < keys["c00002"]  # interior below extremes
    assert max(["c00004", "c00002"], key=keys.__getitem__) == "c00002"


def test_pareto_keys_rank_among_the_members_given():
    keys = rank_keys(TRADE_OFF, ["c00004", "c00002"], PARETO)
    assert keys["c00004"] == keys["c00002"] == (0.0, math.inf)  # without c3, nothing beats c4
    unmeasured = state_of(candidate(1, 0.9), candidate(2, 0.1, 50.0))
    keys = rank_keys(unmeasured, ["c00001", "c00002"], PARETO)
    assert keys["c00001"] < keys["c00002"]  # no cost: no point to rank, so last


def test_paper_and_mnas_keys_are_the_score():
    members = ["c00001", "c00002", "c00003", "c00004"]
    assert rank_keys(TRADE_OFF, members, PAPER) == {
        "c00001": (0.9,),
        "c00002": (0.5,),
        "c00003": (0.7,),
        "c00004": (0.6,),
    }
    keys = rank_keys(TRADE_OFF, members, MNAS)
    assert keys["c00001"] == (pytest.approx(0.9),)
    assert keys["c00002"] == (pytest.approx(mnas_reward(0.5, 5.0, 10.0, -0.07)),)


def test_best_is_the_fittest_or_under_mnas_the_highest_reward():
    state = state_of(candidate(1, 0.80, 100.0), candidate(2, 0.78, 1.0), candidate(3, 0.95, status="failed"))
    assert best(state, PAPER).id == best(state, PARETO).id == "c00001"
    assert best(state, MNAS).id == "c00002"  # a little less fitness at a hundredth of the latency
    assert best(state_of(candidate(1, None, status="pending")), PAPER) is None
    assert best(state_of(), PAPER) is None


def test_best_prefers_the_mean_of_fresh_seeds_over_the_search_fitness():
    state = state_of(
        candidate(1, 0.90, retrained={1: 0.60, 2: 0.62}),  # lucky in the search
        candidate(2, 0.80, retrained={1: 0.70, 2: 0.72}),
        candidate(3, 0.99),  # never re-evaluated: not comparable with a mean
    )
    assert best(state, PAPER).id == "c00002"
    assert best(state, MNAS).id == "c00002"


def test_best_among_equals_is_from_the_earliest_round_then_the_later_id():
    state = state_of(candidate(1, 0.5), candidate(2, 0.7, round_=3), candidate(3, 0.7, round_=1))
    assert best(state, PAPER).id == "c00003"
    state = state_of(candidate(1, 0.7, round_=1), candidate(2, 0.7, round_=1), candidate(3, 0.7, round_=2))
    assert best(state, PAPER).id == "c00002"  # as SearchState.best chose before objectives existed


def test_front_is_the_non_dominated_measured_candidates_cheapest_first():
    state = state_of(
        *TRADE_OFF.candidates.values(),
        candidate(5, 0.9, 10.0, reused_from="c00001"),  # c1's twin: the same point once
        candidate(6, 0.99),  # fittest, never measured
        candidate(7, 0.95, 1.0, status="failed"),
    )
    assert ids(front(state)) == ["c00002", "c00003", "c00001"]
    assert front(state_of(candidate(1, 0.5))) == []


def test_reevaluation_takes_the_top_by_score_or_the_fronts_in_order():
    state = state_of(*TRADE_OFF.candidates.values(), candidate(5, 0.9, 10.0, reused_from="c00001"))
    assert ids(reevaluation_choice(state, PAPER, 2)) == ["c00001", "c00003"]
    assert ids(reevaluation_choice(state, PARETO, 3)) == ["c00001", "c00003", "c00002"]
    assert ids(reevaluation_choice(state, PARETO, 4)) == ["c00001", "c00003", "c00002", "c00004"]
    assert ids(reevaluation_choice(state, PARETO, 10)) == ["c00001", "c00003", "c00002", "c00004"]
    # rewards: c1 0.9, c3 0.72, c4 0.60, c2 0.52 (half the target's latency lifts it only 5 %)
    assert ids(reevaluation_choice(state, MNAS, 4)) == ["c00001", "c00003", "c00004", "c00002"]
    assert reevaluation_choice(state, PAPER, 0) == reevaluation_choice(state, PARETO, 0) == []
