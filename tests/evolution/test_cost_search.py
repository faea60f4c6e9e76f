"""The search for a deployment (issue 23): every candidate's cost measured once, before its
training and never beside it, journaled and written into its file; hard budgets reject untrained;
the top candidates re-evaluated with fresh seeds, the reported best chosen on their mean."""

from __future__ import annotations

import functools
import json
import statistics
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from evo_helpers import assert_consistent, events, run_search, synthetic, timed_evaluate

from anet.cli.main import anet
from anet.dsl import parse
from anet.evolution import EvolutionConfig
from anet.evolution.journal import JOURNAL
from anet.evolution.measuring import MeasureResult, MeasureTask, measure
from anet.evolution.store import PARETO, candidate_path

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_every_candidate_is_measured_once_and_its_file_says_so(tmp_path):
    state = run_search(tmp_path / "run", synthetic(objective="pareto", rounds=16))
    kinds = [(e["event"], e.get("id")) for e in events(tmp_path / "run")]
    for c in state.candidates.values():
        assert kinds.count(("measured", c.id)) == 1
        # measured before it was trained: the cost is known when the objective needs it
        assert kinds.index(("measured", c.id)) < kinds.index(("evaluated", c.id))
        header = parse(candidate_path(tmp_path / "run", c.id).read_text()).header
        assert header.latency == round(c.cost.latency_ms, 3) and header.params == c.cost.params
    assert_consistent(tmp_path / "run", state)


def test_twins_are_measured_once(tmp_path):
    measured: list[str] = []

    def counting(task: MeasureTask) -> MeasureResult:
        measured.append(task.candidate)
        return measure(task)

    seed = (EXAMPLES / "two_stream_late_fusion.anet").read_text()
    state = run_search(tmp_path / "run", synthetic(rounds=4), seeds=[seed, seed], measure_fn=counting)
    hashes = {c.hash for c in state.candidates.values()}
    assert len(measured) == len(hashes) < len(state.candidates)  # the search made some twins
    for c in state.candidates.values():
        if c.id not in measured:
            original = state.candidates[next(m for m in measured if state.candidates[m].hash == c.hash)]
            assert c.cost == original.cost


def test_a_measurement_never_overlaps_a_training(tmp_path):
    """Two local worker processes train; the search process measures between their batches."""
    log = tmp_path / "training.txt"
    measuring: list[tuple[float, float]] = []

    def slow_measure(task: MeasureTask) -> MeasureResult:
        start = time.time()
        time.sleep(0.02)
        result = measure(task)
        measuring.append((start, time.time()))
        return result

    config = synthetic(workers=2, rounds=6, population=4)
    run_search(
        tmp_path / "run", config, evaluate_fn=functools.partial(timed_evaluate, log=str(log)), measure_fn=slow_measure
    )
    training = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    assert len(training) >= 8 and len(measuring) >= 8
    for m_start, m_end in measuring:
        for t_start, t_end in training:
            assert m_end <= t_start or t_end <= m_start, "a measurement overlapped a training"


def test_a_hard_budget_rejects_candidates_untrained(tmp_path):
    free = run_search(tmp_path / "free", synthetic(rounds=20))
    budget = statistics.median(c.cost.latency_ms for c in free.candidates.values())
    state = run_search(tmp_path / "run", synthetic(rounds=20, max_latency=budget))
    rejected = [c for c in state.candidates.values() if c.status == "rejected"]
    assert rejected
    for c in rejected:
        assert c.cost.latency_ms > budget and c.fitness is None
        assert c.reason == f"latency {c.cost.latency_ms:.1f} ms over --max-latency {budget:g} ms"
    kinds = {(e["event"], e.get("id")) for e in events(tmp_path / "run")}
    assert not any(("evaluated", c.id) in kinds for c in rejected)
    members = {m for entry in state.history for m in entry.members}
    assert all(state.candidates[m].cost.latency_ms <= budget for m in members)
    assert state.best().cost.latency_ms <= budget
    assert_consistent(tmp_path / "run", state)


def test_a_failed_measurement_fails_its_candidate_only(tmp_path):
    def fails_c00001(task: MeasureTask) -> MeasureResult:
        return (
            MeasureResult(task.candidate, error="RuntimeError: too small")
            if task.candidate == "c00001"
            else measure(task)
        )

    state = run_search(tmp_path / "run", synthetic(rounds=4), measure_fn=fails_c00001)
    failed = state.candidates["c00001"]
    assert failed.status == "failed" and failed.fitness is None
    assert failed.reason == "measuring its cost at 32x224 on cpu failed: RuntimeError: too small"
    assert sum(c.status == "evaluated" for c in state.candidates.values()) == len(state.candidates) - 1


def test_a_resume_never_measures_again(tmp_path):
    run = tmp_path / "run"
    run_search(run, synthetic(rounds=10))
    lines = (run / JOURNAL).read_bytes().splitlines(keepends=True)
    kept = lines[: len(lines) // 2]  # a crash half-way
    (run / JOURNAL).write_bytes(b"".join(kept))
    before = {json.loads(line)["id"] for line in kept if json.loads(line)["event"] == "measured"}
    again: list[str] = []

    def recording(task: MeasureTask) -> MeasureResult:
        again.append(task.candidate)
        return measure(task)

    state = run_search(run, synthetic(rounds=10), measure_fn=recording)
    assert before and again and not set(again) & before
    assert all(c.cost is not None for c in state.candidates.values())


def test_a_run_recorded_before_costs_were_measured_goes_on_without(tmp_path):
    old = EvolutionConfig.from_record(synthetic().model_dump(mode="json", exclude={"measure"}))
    assert old.measure is False
    state = run_search(tmp_path / "run", old)
    assert all(c.cost is None for c in state.candidates.values())
    assert not (tmp_path / "run" / PARETO).exists()


def test_reevaluation_retrains_the_top_with_fresh_seeds_and_chooses_on_their_mean(tmp_path):
    config = synthetic(rounds=12, reevaluate=3, reevaluate_seeds=2)
    state = run_search(tmp_path / "run", config)
    retrained = [e for e in events(tmp_path / "run") if e["event"] == "retrained"]
    assert sorted(e["seed"] for e in retrained) == [1, 1, 1, 2, 2, 2]  # train.seed 0 was the search's
    chosen = [c for c in state.candidates.values() if c.retrained]
    top = sorted(
        (c for c in state.candidates.values() if c.fitness is not None and not c.reused_from),
        key=lambda c: c.fitness,
        reverse=True,
    )[:3]
    assert {c.id for c in chosen} == {c.id for c in top}
    assert state.best() == max(chosen, key=lambda c: c.retrained_mean)
    best = parse((tmp_path / "run" / "best.anet").read_text()).header
    assert best.retrained.runs == 2 and best.retrained.mean == pytest.approx(state.best().retrained_mean, abs=1e-4)
    # done: a resume has nothing left to train again
    again = run_search(tmp_path / "run", config)
    assert [e for e in events(tmp_path / "run") if e["event"] == "retrained"] == retrained
    assert again.best() == state.best()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--objective", "mnas"], "objective mnas needs a latency target (--latency-target MS)"),
        (["--objective", "pareto", "--no-measure"], "objective pareto need the candidates' costs"),
        (["--deploy-shape", "8-112"], "deploy shape '8-112' is not FRAMESxSIZE, e.g. 32x224"),
        (["--max-latency", "0"], "--max-latency"),
    ],
)
def test_bad_cost_options_are_usage_errors(tmp_path, options, message):
    result = CliRunner().invoke(anet, ["evolve", "--fitness", "synthetic", "--out", str(tmp_path / "r"), *options])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (tmp_path / "r").exists()


def test_a_budget_no_initial_candidate_meets_says_so(tmp_path):
    result = CliRunner().invoke(
        anet, ["evolve", "--fitness", "synthetic", "--out", str(tmp_path / "r"), "--max-latency", "1", "--rounds", "3"]
    )
    assert result.exit_code == 1, result.output
    assert "no candidate of the initial population is within the budget (20 rejected; the cheapest, c" in result.stderr
    assert "ms over --max-latency 1 ms); start a run with a larger budget" in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_cuda_deployment_without_cuda_is_refused_before_the_run(tmp_path):
    result = CliRunner().invoke(
        anet, ["evolve", "--out", str(tmp_path / "r"), "--deploy-device", "cuda", "--data", "proxy"]
    )
    assert result.exit_code == 2, result.output
    assert "--deploy-device cuda: this machine has no CUDA device" in result.stderr
    assert not (tmp_path / "r").exists()
