"""benchmarks/dashboard_speed.py: the synthetic run it serves is a run the search's own state reads
back (every candidate, its events and file), and a small one goes through a real `anet runs serve`."""

from __future__ import annotations

from anet.evolution.journal import JOURNAL
from anet.evolution.state import SearchState


def test_the_synthetic_run_reads_back_as_a_search(benchmark_module, tmp_path):
    benchmark = benchmark_module("dashboard_speed")
    run = tmp_path / "run"
    search = benchmark.write_run(run, 64)
    state = SearchState.load(run / JOURNAL)
    assert len(state.candidates) == 64 and state.applied == 64 - benchmark.POPULATION
    statuses = [c.status for c in state.candidates.values()]
    assert statuses.count("failed") == 64 // benchmark.FAILED_EVERY and statuses.count("pending") == 0
    assert all(c.cost is not None for c in state.candidates.values())
    assert len(list((run / "candidates").glob("*.anet"))) == 64
    before = (run / JOURNAL).read_bytes().count(b"\n")
    assert benchmark.append_events(run, search, 45) == 10
    assert (run / JOURNAL).read_bytes().count(b"\n") == before + 10


def test_a_small_run_through_the_server(benchmark_module, tmp_path):
    benchmark = benchmark_module("dashboard_speed")
    rows = benchmark.measure(tmp_path / "run", 40, rounds=1, idle=0.5)
    cells = {r.step: r for r in rows}
    assert cells["update: the answer"].verdict == "ok"
    assert len([r for r in rows if r.step.startswith("first page") and r.ratio is not None]) == 2
    assert all(isinstance(cell, str) for r in rows for cell in r.cells())
    assert benchmark.table(rows).markdown().count("\n") == len(rows) + 1  # header, rule, a line per row
