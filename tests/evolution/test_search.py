"""The search end to end with the synthetic fitness: what it writes, its lineage, duplicates,
failures and their retry."""

from __future__ import annotations

import collections
import itertools

import pytest
from evo_helpers import assert_consistent, comparable, events, run_search, synthetic

from anet.dsl import format_network, load
from anet.evolution import best_network
from anet.evolution.fitness import FitnessResult, FitnessTask, evaluate
from anet.evolution.report import curve, load_state

FIRST_MUTATION = {"guided": "guided_edges", "standard": "random_edges", "random": "init"}


class Counting:
    """An evaluate function that counts its calls per candidate (in-process workers only)."""

    def __init__(self, fail: dict[str, str] | None = None) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self.fail = fail or {}

    def __call__(self, task: FitnessTask) -> FitnessResult:
        self.calls[task.candidate] += 1
        if task.candidate in self.fail:
            return FitnessResult(task.candidate, error=self.fail[task.candidate], seconds=0.01)
        return evaluate(task)


@pytest.mark.parametrize("strategy", ["guided", "standard", "random"])
def test_a_search_writes_valid_consistent_candidates(tmp_path, strategy):
    run = tmp_path / "run"
    config = synthetic(strategy=strategy, population=6, rounds=12, seed=5)
    state = run_search(run, config)
    assert len(state.candidates) == 6 + 12
    assert all(c.status == "evaluated" for c in state.candidates.values())
    assert state.applied == 12 and len(state.population) == 6
    assert_consistent(run, state)  # anet check + compile of every file, lineage, best.anet
    for c in state.candidates.values():
        expected = "init" if c.round == 0 else FIRST_MUTATION[strategy]
        assert c.mutations[0].kind == expected
    # the least fit member leaves: the mean of the top 3 (the paper's Figure 4 curve) never drops
    means = [mean for _, mean, _ in curve(state)]
    assert all(later >= earlier for earlier, later in itertools.pairwise(means))
    assert comparable(load_state(run)) == comparable(state)
    assert format_network(best_network(state)) == (run / "best.anet").read_text()
    # a second run with the same seed is the same search; another seed is another search
    again = run_search(tmp_path / "again", config)
    assert comparable(again) == comparable(state)
    other = run_search(tmp_path / "other", config.model_copy(update={"seed": 6}))
    assert comparable(other)["candidates"] != comparable(state)["candidates"]


def test_a_finished_search_resumed_does_nothing(tmp_path):
    run = tmp_path / "run"
    config = synthetic(population=4, rounds=5)
    state = run_search(run, config)
    before = events(run)
    counting = Counting()
    assert comparable(run_search(run, config, evaluate_fn=counting)) == comparable(state)
    assert events(run) == before
    assert not counting.calls


def test_duplicates_are_trained_once(tmp_path):
    """Two identical seeds (a duplicate inside a batch) and children identical to their parents
    (threshold 0 keeps every edge, no node mutations): one training per architecture."""
    seed_text = load("examples/two_stream_fusion_lv4.anet")
    seeds = [format_network(seed_text)] * 2
    config = synthetic(population=5, rounds=6, threshold=0.0, max_node_mutations=0, classes=10)
    counting = Counting()
    run = tmp_path / "run"
    state = run_search(run, config, seeds=seeds, evaluate_fn=counting)
    hashes = collections.defaultdict(list)
    for c in state.candidates.values():
        hashes[c.hash].append(c)
    assert sum(counting.calls.values()) == len(hashes) < len(state.candidates)
    assert max(counting.calls.values()) == 1
    for group in hashes.values():
        trained = [c for c in group if c.reused_from is None]
        assert len(trained) == 1 and counting.calls[trained[0].id] == 1
        for c in group:
            assert c.status == "evaluated" and c.fitness == trained[0].fitness
            if c.reused_from is not None:
                assert c.reused_from == trained[0].id and counting.calls[c.id] == 0
                assert c.seconds == 0.0
    assert state.candidates["c00001"].reused_from == "c00000"  # the seed given twice
    assert all(state.candidates[f"c{i:05d}"].reused_from for i in range(5, 11))  # every child
    assert_consistent(run, state, compile_files=False)


def test_failed_candidates_are_recorded_and_the_search_goes_on_then_retried(tmp_path):
    run = tmp_path / "run"
    config = synthetic(population=6, rounds=10, seed=3)
    victims = {"c00002": "RuntimeError: CUDA out of memory", "c00009": "ValueError: fitness is NaN"}
    failing = Counting(fail=victims)
    state = run_search(run, config, evaluate_fn=failing)
    assert state.applied == 10
    for cid, reason in victims.items():
        c = state.candidates[cid]
        assert c.status == "failed" and c.reason == reason and c.fitness is None
        assert all(cid not in entry.members for entry in state.history)
        assert load(run / "candidates" / f"{cid}.anet").header.fitness is None
    assert [e["reason"] for e in events(run) if e["event"] == "failed"] == list(victims.values())
    assert sum(c.status == "evaluated" for c in state.candidates.values()) == 16 - 2
    assert len(state.history[0].members) == 5  # round 0 lost one
    assert_consistent(run, state, compile_files=False)

    # resumed without retry_failed: nothing changes
    assert comparable(run_search(run, config, evaluate_fn=Counting())) == comparable(state)
    # with retry_failed: the failed ones (and only they) are trained again and enter the population
    retrying = Counting()
    retried = run_search(run, config, evaluate_fn=retrying, retry_failed=True)
    assert set(retrying.calls) == set(victims)
    assert all(retried.candidates[cid].status == "evaluated" for cid in victims)
    assert all(c.reason is None for c in retried.candidates.values())
    assert retried.history[-1].round == 10  # an extra population update at the current round
    expected = sorted(
        (c.id for c in retried.candidates.values() if c.id in state.population or c.id in victims),
        key=lambda cid: (retried.fitness(cid), -int(cid[1:])),
        reverse=True,
    )[: config.population]
    assert sorted(retried.population) == sorted(expected)
    assert_consistent(run, retried, compile_files=False)


def test_a_failure_of_a_duplicate_fails_its_twins(tmp_path):
    seed_text = format_network(load("examples/two_stream_fusion_lv4.anet"))
    config = synthetic(population=3, rounds=1, classes=10)
    failing = Counting(fail={"c00000": "RuntimeError: boom"})
    state = run_search(tmp_path / "run", config, seeds=[seed_text, seed_text], evaluate_fn=failing)
    assert failing.calls["c00001"] == 0
    twin = state.candidates["c00001"]
    assert twin.status == "failed" and "same architecture as c00000" in twin.reason and "boom" in twin.reason


def test_saturated_learned_weights_are_written_inside_the_unit_interval(tmp_path):
    """A sigmoid saturates to exactly 0.0 or 1.0 in float32; the language allows (0, 1) only."""

    def saturated(task: FitnessTask) -> FitnessResult:
        result = evaluate(task)
        result.weights = {block: [1.0, 0.0, *ws[2:]] for block, ws in result.weights.items()}
        return result

    run = tmp_path / "run"
    state = run_search(run, synthetic(population=4, rounds=4), evaluate_fn=saturated)
    assert_consistent(run, state, compile_files=False)


def test_a_search_whose_every_candidate_fails_stops_with_the_reason_and_resumes(tmp_path):
    run = tmp_path / "run"
    config = synthetic(population=3, rounds=3)
    broken = Counting(fail={f"c{i:05d}": "ImportError: no torch" for i in range(3)})
    with pytest.raises(RuntimeError, match=r"no trained candidate .*3 failed; c00000: ImportError: no torch"):
        run_search(run, config, evaluate_fn=broken)
    state = run_search(run, config, retry_failed=True)
    assert state.applied == 3 and all(c.status == "evaluated" for c in state.candidates.values())
    assert_consistent(run, state, compile_files=False)
