"""Helpers of the search tests. A module of its own (not a test file) so that its evaluate
functions pickle by reference into the worker processes of LocalProcesses and Ray."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from anet.compiler import compile_to_module
from anet.cost.record import Cost
from anet.dsl import Header, architecture_hash, check_file, file_weight, format_network
from anet.evolution import EvolutionConfig, Search
from anet.evolution.arch import Arch
from anet.evolution.events import event_data
from anet.evolution.fitness import FitnessResult, FitnessTask, evaluate
from anet.evolution.journal import JOURNAL, read
from anet.evolution.random_arch import random_architecture
from anet.evolution.state import SearchState
from anet.evolution.store import BEST, CANDIDATES, candidate_text

# -- set-ups ------------------------------------------------------------------------------------


def synthetic(**overrides: Any) -> EvolutionConfig:
    """A search with the free synthetic fitness."""
    return EvolutionConfig(**({"fitness": "synthetic", "population": 6, "rounds": 12} | overrides))


def weighted_arch(seed: int = 0) -> Arch:
    """A fixed random architecture whose multi-input blocks carry learned weights in (0.05, 0.95),
    as a trained parent does; single inputs have none."""
    rng = np.random.default_rng(seed)
    arch, _ = random_architecture(Header(name="fixed", classes=10), rng)
    for edge in list(arch.edges):
        arch.edges[edge] = float(rng.uniform(0.05, 0.95)) if len(arch.inputs(edge[1])) > 1 else None
    return arch


def level_sums(arch: Arch) -> tuple[int, ...]:
    return tuple(arch.level_sum(level) for level in range(5))


def stated_cost(latency_ms: float, gflops: float = 1.0) -> Cost:
    """A cost as a measurement would record it, with the figures a test states."""
    return Cost(
        latency_ms=latency_ms,
        runs_ms=(latency_ms,),
        params=1000,
        flops=round(gflops * 1e9),
        device="cpu: test",
        precision="fp32",
        host="test",
    )


# -- evaluate functions (module level: they pickle) ---------------------------------------------


def die_once(task: FitnessTask, *, markers: str, victims: frozenset[str]) -> FitnessResult:
    """The worker process dies (os._exit) the first time it gets a victim; a marker file makes the
    retry succeed."""
    if task.candidate in victims:
        marker = Path(markers) / task.candidate
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
    return evaluate(task)


def dying(task: FitnessTask, *, markers: str, once: frozenset[str], always: frozenset[str]) -> FitnessResult:
    """The worker dies every time it gets a candidate of `always`, and the first time only for one
    of `once`."""
    if task.candidate in always:
        os._exit(1)
    return die_once(task, markers=markers, victims=once)


def fails_c00002(task: FitnessTask) -> FitnessResult:
    """The synthetic fitness, except that candidate c00002 fails (a failed event in the journal)."""
    if task.candidate == "c00002":
        return FitnessResult(task.candidate, seconds=0.25, error="RuntimeError: made to fail")
    return evaluate(task)


# -- reading a run ------------------------------------------------------------------------------


def events(run: Path) -> list[dict[str, Any]]:
    """The journal's events as the JSON objects of its lines (read through the typed events)."""
    return [event_data(e) for e in read(run / JOURNAL)]


def comparable(state: SearchState) -> dict[str, Any]:
    """Everything the journal says about a search except timings."""
    return {
        "config": state.config,
        "candidates": {
            cid: (
                c.round,
                c.parent,
                c.hash,
                c.text,
                c.mutations,
                c.status,
                c.fitness,
                c.metrics,
                c.weights,
                c.reason,
                c.reused_from,
                c.cost,
                c.retrained,
                c.retrain_failures,
            )
            for cid, c in sorted(state.candidates.items())
        },
        "population": state.population,
        "applied": state.applied,
        "history": state.history,
        "best": state.best().id if state.best() else None,
    }


def files(run: Path) -> dict[str, bytes | None]:
    """Every file of the run directory (relative path -> bytes), hidden ones included; the journal
    and the plot by name only (the journal records timings, and is compared event by event)."""
    return {
        str(p.relative_to(run)): None if p.name in (JOURNAL, "fitness.png") else p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file()
    }


def without_timings(event: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in event.items() if k != "seconds"}, sort_keys=True)


# -- checking a run -----------------------------------------------------------------------------


def check_and_compile(path: Path) -> None:
    """What `anet check` does (no errors, hash matches), canonical form, and the compiled module."""
    checked = check_file(path)
    assert checked.ok, f"{path}: {[str(d) for d in checked.diagnostics]}"
    assert not checked.diagnostics, f"{path}: {[str(d) for d in checked.diagnostics]}"
    text = path.read_text(encoding="utf-8")
    assert format_network(checked.network) == text, f"{path} is not in canonical form"
    module = compile_to_module(checked.network, text, str(path))
    assert callable(module.build_model)
    sys.modules.pop(module.__name__, None)


def assert_consistent(run: Path, state: SearchState, *, compile_files: bool = True) -> None:
    """The run directory agrees with the journal, and the lineage with the search's rules."""
    config = EvolutionConfig.model_validate(state.config)
    names = sorted(p.name for p in (run / CANDIDATES).iterdir())
    assert names == sorted(f"{cid}.anet" for cid in state.candidates), "extra or missing candidate files"
    assert not [p for p in run.rglob(".*") if p.is_file()], "temporary files left behind"
    populations = {entry.round: entry.members for entry in state.history}
    assert sorted(populations) == list(range(config.rounds + 1))
    for cid, c in state.candidates.items():
        path = run / CANDIDATES / f"{cid}.anet"
        if compile_files:
            check_and_compile(path)
        checked = check_file(path)
        assert checked.ok
        network = checked.network
        header = network.header
        # the file is what the journal says, in every detail
        assert path.read_text(encoding="utf-8") == candidate_text(c)
        assert header.name == cid
        assert header.round == c.round
        assert header.hash == c.hash == architecture_hash(network)
        assert header.mutations == c.mutations
        if c.status == "evaluated":
            assert header.fitness == c.fitness
            assert math.isfinite(c.fitness)
            for block in network.blocks:
                if block.id in c.weights:
                    assert [e.weight for e in block.inputs] == [file_weight(w) for w in c.weights[block.id]]
                else:
                    assert all(e.weight is None for e in block.inputs)
        else:
            assert header.fitness is None
        assert header.edges == "learned"
        # lineage
        if c.round == 0 or config.strategy == "random":
            assert c.parent is None and header.parent is None
            continue
        assert c.parent is not None
        assert header.parent == f"{c.parent}.anet"
        parent = state.candidates[c.parent]
        assert (run / CANDIDATES / f"{c.parent}.anet").is_file()
        assert c.round > parent.round
        assert parent.status == "evaluated"
        # made from the population before its batch of rounds (1..W, W+1..2W, ...)
        batch_start = (c.round - 1) // config.workers * config.workers + 1
        assert c.parent in populations[batch_start - 1], (cid, c.parent, batch_start)
    # the population: evaluated members only, the configured size once full, no duplicates
    for members in populations.values():
        assert len(set(members)) == len(members) <= config.population
        assert all(state.candidates[m].status == "evaluated" for m in members)
    # best.anet: the fittest candidate
    best = state.best()
    assert best is not None
    fittest = max(c.fitness for c in state.candidates.values() if c.status == "evaluated")
    assert best.fitness == fittest
    if compile_files:
        check_and_compile(run / BEST)
    best_file = check_file(run / BEST)
    assert best_file.ok
    assert best_file.network.header.fitness == fittest
    assert best_file.network.header.hash == best.hash
    assert best_file.network.header.name == best.id


def run_search(run: Path, config: EvolutionConfig, **kwargs: Any) -> SearchState:
    return Search(run, config, **kwargs).run()


def timed_evaluate(task: FitnessTask, *, log: str) -> FitnessResult:
    """The synthetic fitness, after 50 ms of 'training' whose interval is appended to `log`."""
    import time

    start = time.time()
    time.sleep(0.05)
    with Path(log).open("a") as handle:
        handle.write(f"{start} {time.time()}\n")
    return evaluate(task)
