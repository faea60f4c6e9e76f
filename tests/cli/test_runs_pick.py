"""`anet runs pick` (and `anet.pick`) on real synthetic searches, one re-evaluated pareto run and
one made with --no-measure: the file it writes, the module it compiles, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import anet
from anet.cli.compile import anetc
from anet.cli.main import anet as anet_command
from anet.dsl import architecture_hash, parse
from anet.evolution.report import load_state
from anet.evolution.state import Candidate, SearchState
from anet.evolution.store import BEST, candidate_path

SEARCH = ["evolve", "--fitness", "synthetic", "--population", "6", "--rounds", "10", "--random-seed", "4"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(anet_command, list(args))


def ok(result: Result) -> Result:
    assert result.exit_code == 0 and result.exception is None, (result.output, result.exception)
    return result


def user_error(result: Result, *words: str) -> str:
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    return result.stderr


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SearchState]:
    run = tmp_path_factory.mktemp("measured") / "run"
    ok(invoke(*SEARCH, "--objective", "pareto", "--reevaluate", "2", "--out", str(run)))
    return run, load_state(run)


@pytest.fixture(scope="module")
def unmeasured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("unmeasured") / "run"
    ok(invoke(*SEARCH, "--no-measure", "--out", str(run)))
    return run


def trained(state: SearchState) -> list[Candidate]:
    return [c for c in state.candidates.values() if c.status == "evaluated"]


def test_without_a_budget_it_prints_the_runs_best_as_an_anet_file(measured):
    run, _ = measured
    result = ok(invoke("runs", "pick", str(run)))
    best = parse((run / BEST).read_text())
    summary, text = result.stdout.split("\n", 1)
    assert summary.startswith(f"# {best.header.name}, chosen by re-evaluated mean: search fitness")
    picked = parse(result.stdout)  # the summary is a comment: the whole output is an .anet file
    assert picked.header.retrained == best.header.retrained and picked.header.latency == best.header.latency
    assert architecture_hash(picked) == architecture_hash(best)
    assert parse(text).nodes == best.nodes  # with the learned weights


def test_a_latency_budget_picks_within_it_and_writes_the_file_and_its_module(measured, tmp_path):
    run, state = measured
    latencies = sorted({c.cost.latency_ms for c in trained(state)})
    limit = latencies[len(latencies) // 2]
    out, module = tmp_path / "deploy" / "chosen.anet", tmp_path / "deploy" / "chosen.py"
    args = ["--max-latency", f"{limit!r}", "--by", "fitness", "--out", str(out), "--compile", str(module)]
    result = ok(invoke("runs", "pick", str(run), *args))
    within = [c for c in trained(state) if c.cost.latency_ms <= limit]
    expected = max(within, key=lambda c: (c.fitness, -c.round, c.id))
    assert f"wrote {out}: {expected.id}, chosen by search fitness" in result.stderr and result.stdout == ""
    chosen = parse(out.read_text())
    assert chosen.header.name == expected.id and chosen.header.latency <= limit
    if expected.parent:  # named relative to the file, so that it resolves from there
        assert (out.parent / chosen.header.parent).resolve() == candidate_path(run, expected.parent).resolve()
    compiled = CliRunner().invoke(anetc, ["compile", str(out)])
    assert compiled.exit_code == 0 and module.read_text() == compiled.stdout  # what anetc compile writes


def test_auto_prefers_a_re_evaluated_mean(measured):
    run, state = measured
    reevaluated = [c for c in trained(state) if c.retrained]
    assert len(reevaluated) == 2
    loosest = max(c.cost.latency_ms for c in reevaluated)
    result = ok(invoke("runs", "pick", str(run), "--max-latency", f"{loosest!r}"))
    expected = max(reevaluated, key=lambda c: c.retrained_mean)
    assert result.stdout.startswith(f"# {expected.id}, chosen by re-evaluated mean")


def test_anet_pick_is_the_commands_choice(measured):
    run, state = measured
    gflops = sorted(c.cost.gflops for c in trained(state))[1]
    network = anet.pick(run, max_flops=gflops * 1e9 * 1.0001, by="fitness")
    result = ok(invoke("runs", "pick", str(run), "--max-flops", f"{gflops * 1e9 * 1.0001!r}", "--by", "fitness"))
    assert result.stdout.startswith(f"# {network.header.name}, ")
    assert network.header.gflops <= gflops * 1.0001


def test_nothing_within_the_budget_names_the_fastest(measured):
    run, state = measured
    fastest = min(trained(state), key=lambda c: (c.cost.latency_ms, c.id))
    limit = fastest.cost.latency_ms / 2
    message = user_error(invoke("runs", "pick", str(run), "--max-latency", f"{limit!r}"), str(run))
    assert f"the fastest, {fastest.id}, takes {fastest.cost.latency_ms:.4g} ms" in message
    user_error(invoke("runs", "pick", str(run), "--max-flops", "1"), "FLOPs <= 1", "the one of fewest FLOPs")


def test_a_run_without_costs(unmeasured):
    message = user_error(invoke("runs", "pick", str(unmeasured), "--max-latency", "100"), str(unmeasured))
    assert "measured no candidate's cost (it was made with --no-measure or before costs were measured)" in message
    user_error(invoke("runs", "pick", str(unmeasured), "--by", "retrained"), "was re-evaluated", "--by fitness")
    picked = ok(invoke("runs", "pick", str(unmeasured)))  # without a budget the search fitness decides
    assert picked.stdout.startswith(f"# {parse((unmeasured / BEST).read_text()).header.name}, chosen by search fitness")


def test_not_a_run_and_bad_options(tmp_path, measured):
    user_error(invoke("runs", "pick", str(tmp_path)), f"{tmp_path} is not a search run (no journal.jsonl)")
    run, _ = measured
    for bad in (["--max-latency", "0"], ["--max-flops", "-1"], ["--by", "luck"]):
        result = invoke("runs", "pick", str(run), *bad)
        assert result.exit_code == 2 and bad[0] in result.stderr, result.output
    assert invoke("runs", "pick", str(tmp_path / "missing")).exit_code == 2
