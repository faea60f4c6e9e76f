"""Choosing the network to deploy from a run (anet.evolution.pick) on states replayed from events:
which figure decides, what the budget admits, and what it says when nothing fits."""

from __future__ import annotations

import pytest
from evo_helpers import stated_cost

from anet.evolution import EvolutionConfig
from anet.evolution.events import Created, Evaluated, Measured, Population, Retrained, Start
from anet.evolution.pick import Budget, PickError, pick
from anet.evolution.state import SearchState

# id: (round, search fitness, latency ms, GFLOPs, fresh-seed fitnesses)
RUN = {
    "c00001": (0, 1.40, 50.0, 5.0, (1.30, 1.32)),  # the fittest: slow, shrinks when retrained
    "c00002": (0, 1.35, 20.0, 2.0, (1.33, 1.35)),  # re-evaluated best
    "c00003": (1, 1.38, 15.0, 3.0, ()),  # fitter than c00002 in the search, never re-evaluated
    "c00004": (2, 1.10, 5.0, 0.5, ()),  # the fastest
}


def replayed(run: dict, *, measure: bool = True) -> SearchState:
    events: list = [Start(config=EvolutionConfig(fitness="synthetic", measure=measure).model_dump(mode="json"))]
    for cid, (round_, fitness, latency, gflops, fresh) in run.items():
        events.append(Created(id=cid, round=round_, parent=None, hash=cid, text="", mutations=()))
        if measure:
            events.append(Measured(id=cid, cost=stated_cost(latency, gflops)))
        events.append(Evaluated(id=cid, fitness=fitness, metrics={}, weights={}))
        events += [Retrained(id=cid, seed=seed, fitness=value) for seed, value in enumerate(fresh, start=1)]
    return SearchState.replay([*events, Population(round=2, members=list(run))])


def test_auto_compares_re_evaluated_means_and_falls_back_to_the_search_fitness():
    state = replayed(RUN)
    chosen = pick(state)
    assert (chosen.candidate.id, chosen.by, chosen.value) == ("c00002", "retrained", pytest.approx(1.34))
    assert chosen.candidate is state.best()  # the run's own answer, when there is no budget
    # within 30 ms only c00002 was re-evaluated; within 16 ms none was, so the search fitness decides
    assert pick(state, Budget(max_latency=30)).candidate.id == "c00002"
    within_16 = pick(state, Budget(max_latency=16))
    assert (within_16.candidate.id, within_16.by) == ("c00003", "fitness")


def test_by_fitness_and_by_retrained():
    state = replayed(RUN)
    assert pick(state, by="fitness").candidate.id == "c00001"
    assert pick(state, Budget(max_latency=30), by="fitness").candidate.id == "c00003"
    assert pick(state, by="retrained").candidate.id == "c00002"
    with pytest.raises(PickError, match=r"no candidate with latency <= 16 ms was re-evaluated .*--by fitness"):
        pick(state, Budget(max_latency=16), by="retrained")


def test_both_limits_apply():
    state = replayed(RUN)
    assert pick(state, Budget(max_latency=30, max_flops=2.5e9), by="fitness").candidate.id == "c00002"
    assert pick(state, Budget(max_flops=1e9)).candidate.id == "c00004"
    assert pick(state, Budget(max_latency=5)).candidate.id == "c00004"  # the limit itself is within


def test_ties_go_to_the_earlier_round_then_the_later_id_as_the_runs_best():
    tied = {cid: (round_, 1.0, 10.0, 1.0, ()) for cid, round_ in (("c00001", 1), ("c00002", 0), ("c00003", 0))}
    state = replayed(tied)
    assert pick(state).candidate.id == "c00003" == state.best().id


def test_a_fitness_of_zero_or_below_is_still_compared():
    state = replayed({"c00001": (0, -0.5, 10.0, 1.0, ()), "c00002": (0, 0.0, 10.0, 1.0, ())})
    assert pick(state).candidate.id == "c00002"


def test_nothing_within_the_budget_names_the_cheapest():
    state = replayed(RUN)
    with pytest.raises(PickError, match=r"no trained candidate has latency <= 4 ms: the fastest, c00004, takes 5 ms"):
        pick(state, Budget(max_latency=4))
    with pytest.raises(PickError, match=r"FLOPs <= 1e\+08 .*the one of fewest FLOPs, c00004, .* 0.5 GFLOPs"):
        pick(state, Budget(max_flops=1e8))


def test_a_run_without_costs_cannot_be_picked_from_by_cost():
    state = replayed(RUN, measure=False)
    assert pick(state, by="fitness").candidate.id == "c00001"
    with pytest.raises(PickError, match=r"measured no candidate's cost \(it was made with --no-measure"):
        pick(state, Budget(max_latency=100))


def test_a_run_with_nothing_trained():
    with pytest.raises(PickError, match="no candidate of the run was trained"):
        pick(SearchState.replay([Start(config=EvolutionConfig().model_dump(mode="json"))]))
