"""benchmarks/guidance_anatomy.py: a child's rewiring and fitness change against its parent, read from
a hand-made state, and the table over real (synthetic-fitness) searches grouped by strategy."""

from __future__ import annotations

import sys

import pytest
from tiny_training import TINY

from anet.dsl import Mutation
from anet.evolution import EvolutionConfig, Search
from anet.evolution.state import Candidate, SearchState


def candidate(cid: str, parent: str | None, text: str, fitness: float, *mutations: str) -> Candidate:
    c = Candidate(cid, 0 if parent is None else 1, parent, "0" * 16, text, tuple(Mutation(kind=m) for m in mutations))
    c.status, c.fitness = "evaluated", fitness
    return c


def test_a_child_counts_the_edges_it_gained_and_lost_and_its_fitness_change(benchmark_module):
    anatomy = benchmark_module("guidance_anatomy")
    # block d reads [c, a] in the parent, [c, b] in the child: one edge removed, one added
    child_text = TINY.replace("block d level=4 in=[c, a]", "block d level=4 in=[c, b]")
    assert child_text != TINY
    state = SearchState()
    for c in (
        candidate("c0", None, TINY, 0.50),
        candidate("c1", "c0", child_text, 0.75, "guided_edges", "dilation"),
        candidate("c2", "c0", TINY, 0.40, "split"),
    ):
        state.candidates[c.id] = c
    state.candidates["c2"].status = "failed"  # untrained children are left out
    (child,) = anatomy.children_of(state)
    assert (child.added, child.removed, child.rewired, child.node_mutations) == (1, 1, 2, 1)
    assert child.change == pytest.approx(0.25)


def test_the_table_groups_searches_by_strategy(benchmark_module, tmp_path, monkeypatch, capsys):
    anatomy = benchmark_module("guidance_anatomy")
    for strategy in ("guided", "standard"):
        config = EvolutionConfig(fitness="synthetic", population=4, rounds=3, strategy=strategy, workers=1)
        Search(tmp_path / f"{strategy}-seed0", config).run()
    found = anatomy.read(tmp_path)
    assert list(found) == ["guided", "standard"] and all(a.runs == 1 and a.children for a in found.values())
    monkeypatch.setattr(sys, "argv", ["guidance_anatomy", "--runs", str(tmp_path)])
    anatomy.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| strategy | runs | children | edges added | edges removed | edges changed |")
    assert lines[2].startswith("| guided | 1 | ") and lines[3].startswith("| standard | 1 | ")
