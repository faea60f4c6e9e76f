"""The search engine's own cost, with a zero-cost fitness: children per second and where the time goes.

    python -m benchmarks.evolution_overhead [--population 20] [--rounds 200] [--strategy guided]
                                             [--no-compile] [--profile N]

One in-process search (workers=1) with the synthetic fitness, in a fresh temporary run directory.
Every candidate goes through everything the engine does besides training: tournament + mutation
(or a random architecture), validation and hashing, the journal (fsync'd), the candidate file
(parse + format + atomic write), the fitness stub, population update and best.anet; on top, each
candidate is compiled (PyTorch source generated from the AST and exec'd into a module, no model
instantiated) as a worker does before training. Target: >= 50 children/s on one core.

The breakdown times the engine's stages by wrapping the functions that implement them (stages
nest: `record` includes `files`; the rows are exclusive of each other as listed). `--profile N`
also prints the N most expensive functions from cProfile (cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import get_args

from anet.compiler import compile_to_module
from anet.evolution import EvolutionConfig, Search
from anet.evolution import journal as journal_module
from anet.evolution import search as search_module
from anet.evolution import store as store_module
from anet.evolution.config import Strategy
from anet.evolution.fitness import FitnessResult, FitnessTask, evaluate

try:
    from anet.evolution.store import parse_text
except ImportError:  # an engine from before the parse memo (for comparisons)
    from anet.dsl import parse as parse_text

TARGET = 50.0
TIMES: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)
_stack: list[str] = []


def timed(stage: str, fn):
    """`fn`, charging its time to `stage` and not to the stage that called it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        _stack.append(stage)
        try:
            return fn(*args, **kwargs)
        finally:
            _stack.pop()
            elapsed = time.perf_counter() - started
            TIMES[stage] += elapsed
            CALLS[stage] += 1
            if _stack:
                TIMES[_stack[-1]] -= elapsed

    return wrapper


def compile_and_evaluate(task: FitnessTask, *, compile_model: bool) -> FitnessResult:
    """The synthetic fitness, after compiling the candidate as a worker would. The text is parsed
    through the engine's memo (`parse_text`): in one process a candidate's text is parsed once,
    and that parse is counted where it first happens."""
    if compile_model:
        started = time.perf_counter()
        network = parse_text(task.text)
        module = compile_to_module(network, task.text, f"{task.candidate}.anet")
        assert hasattr(module, "build_model")
        sys.modules.pop(module.__name__, None)  # a search compiles each candidate once
        elapsed = time.perf_counter() - started
        TIMES["compile (generate + exec)"] += elapsed
        CALLS["compile (generate + exec)"] += 1
        TIMES["fitness stub"] -= elapsed
    return evaluate(task)


def instrument() -> None:
    """Wrap the stage functions where the search looks them up (module globals / methods)."""
    search = search_module.Search
    search.create = timed("create: select + mutate (incl. validate)", search.create)
    search_module.make_child = timed("make_child", search_module.make_child)
    search_module.random_architecture = timed("random_architecture", search_module.random_architecture)
    search_module.architecture_hash = timed("architecture_hash", search_module.architecture_hash)
    search_module.format_network = timed("format_network", search_module.format_network)
    for module in (search_module, store_module):  # the engine's parses, memoised or not
        for name, stage in (("parse", "parse"), ("parse_text", "parse (memoised)")):
            if hasattr(module, name):
                setattr(module, name, timed(stage, getattr(module, name)))
    search.parent_text = timed("parent text (candidate_text)", search.parent_text)
    search.record = timed("record: state + listener", search.record)
    search.insert = timed("population update", search.insert)
    search.reuse = timed("dedupe: reuse", search.reuse)
    journal_module.Journal.append = timed("journal append + fsync", journal_module.Journal.append)
    search_module.sync_file = timed("candidate file (text + atomic write)", store_module.sync_file)
    search_module.sync_best = timed("best.anet", store_module.sync_best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--strategy", default="guided", choices=get_args(Strategy))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-compile", action="store_true", help="leave out compiling each candidate")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also print cProfile's top N")
    args = parser.parse_args()

    config = EvolutionConfig(
        strategy=args.strategy, population=args.population, rounds=args.rounds, seed=args.seed, fitness="synthetic"
    )
    evaluate_fn = timed("fitness stub", functools.partial(compile_and_evaluate, compile_model=not args.no_compile))
    instrument()
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="anet-evolution-bench-") as tmp:
        run = Path(tmp) / "run"
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        state = Search(run, config, evaluate_fn=evaluate_fn).run()
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        files = len(list((run / "candidates").glob("*.anet")))
        journal_lines = (run / "journal.jsonl").read_bytes().count(b"\n")

    n = len(state.candidates)
    assert files == n, (files, n)
    rate = n / wall
    print(
        f"{args.strategy} evolution, population {args.population}, {args.rounds} rounds: {n} candidates "
        f"({sum(c.reused_from is not None for c in state.candidates.values())} reused duplicates), "
        f"{journal_lines} journal events, compile {'off' if args.no_compile else 'on'}, pid {os.getpid()}"
    )
    print(f"wall {wall:.2f} s, CPU {cpu:.2f} s: {rate:.1f} children/s (CPU: {n / cpu:.1f}/s); target >= {TARGET:.0f}/s")
    print()
    print(f"{'stage':45s} {'calls':>6s} {'total s':>8s} {'ms/child':>9s} {'share':>6s}")
    accounted = 0.0
    for stage, seconds in sorted(TIMES.items(), key=lambda kv: -kv[1]):
        accounted += seconds
        print(f"{stage:45s} {CALLS[stage]:6d} {seconds:8.3f} {1000 * seconds / n:9.2f} {100 * seconds / wall:5.1f}%")
    rest = wall - accounted
    print(f"{'(loop, state replay, other)':45s} {'':6s} {rest:8.3f} {1000 * rest / n:9.2f} {100 * rest / wall:5.1f}%")
    print()
    print("PASS" if rate >= TARGET else "BELOW TARGET", f"({rate:.1f} children/s)")
    if profiler:
        print()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
