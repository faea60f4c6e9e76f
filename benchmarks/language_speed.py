"""How fast the language front end is: parse + validate + print, in files per second.

    python -m benchmarks.language_speed [--write-docs]

Measures (single process, single thread) the AssembleNet-50 example and a generated 200-node file.
Targets from the language issue: AssembleNet-50 at >= 1,000 files/s on one core; the 200-node file
in under 100 ms. CPU time (time.process_time) is reported beside wall time because the CI machine
is shared.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from anet.dsl import Block, Budget, Edge, Header, Network, Stem, format_network, parse

from .common import Table, add_docs_option, publish

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATE = 1000  # files/s, AssembleNet-50
TARGET_S = 0.1  # per file, 200 nodes


def generated_network(nodes: int = 200, seed: int = 0) -> Network:
    """A valid network of `nodes` nodes: 4 stems, the rest spread over levels 1-4, every block
    reading 1-5 random lower-level nodes, learned weights on multi-input blocks."""
    rng = random.Random(seed)
    stems = [
        Stem(id=f"s{i}", modality="rgb" if i % 2 == 0 else "flow", channels=32, r=rng.choice([1, 2, 4, 8]))
        for i in range(4)
    ]
    per_level = (nodes - 4) // 4
    levels: list[list[Stem | Block]] = [list(stems)]
    for level in (1, 2, 3, 4):
        count = per_level + (nodes - 4 - 4 * per_level if level == 4 else 0)
        this: list[Stem | Block] = []
        for i in range(count):
            lower = [n for lvl in levels for n in lvl]
            sources = rng.sample(lower, k=min(len(lower), rng.randint(1, 5)))
            weighted = len(sources) > 1
            inputs = tuple(Edge(source=s.id, weight=rng.uniform(0.01, 0.99) if weighted else None) for s in sources)
            this.append(
                Block(
                    id=f"b{level}_{i}",
                    level=level,
                    inputs=inputs,
                    channels=8,
                    r=rng.choice([1, 2, 4, 8]),
                    stride=2 if level > 1 else 1,
                )
            )
        levels.append(this)
    used = {e.source for lvl in levels[1:] for b in lvl for e in b.inputs}
    top = levels[4]
    for lvl in levels[:4]:
        for node in lvl:
            if node.id not in used:  # every node must feed the head: let a level-4 block read it
                index = rng.randrange(len(top))
                block = top[index]
                top[index] = block.model_copy(update={"inputs": (*block.inputs, Edge(source=node.id))})
    top = [
        b.model_copy(update={"inputs": tuple(e.model_copy(update={"weight": None}) for e in b.inputs)})
        if any(e.weight is None for e in b.inputs)
        else b
        for b in top
    ]
    levels[4] = top
    budget = Budget(stems=128, l1=8 * per_level, l2=8 * per_level, l3=8 * per_level, l4=8 * len(top))
    header = Header(name="generated", classes=400, budget=budget)
    return Network(header=header, nodes=tuple(n for lvl in levels for n in lvl))


def measure(text: str, *, min_seconds: float = 2.0) -> tuple[float, float, int]:
    """(wall seconds per file, CPU seconds per file, files) for parse + validate + print."""
    assert format_network(parse(text)) == text
    runs: list[tuple[float, float]] = []
    files = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds or len(runs) < 5:
        wall, cpu = time.perf_counter(), time.process_time()
        format_network(parse(text))
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        files += 1
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), files


def verdict(ok: bool, shortfall: float) -> str:
    return "ok" if ok else f"**missed** ({shortfall:.1f}x short)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_docs_option(parser, "language_speed")
    args = parser.parse_args()
    a50 = (ROOT / "examples" / "assemblenet50.anet").read_text()
    big = format_network(generated_network())
    rows = []
    for name, text in (("`examples/assemblenet50.anet`", a50), ("generated, 200 nodes", big)):
        wall, cpu, _ = measure(text)
        print(f"{name}: median wall {wall * 1e3:.2f} ms, median CPU {cpu * 1e3:.2f} ms")
        if text is a50:
            target, ok, short = ">= 1,000 files/s", 1 / cpu >= TARGET_RATE, TARGET_RATE * cpu
        else:
            target, ok, short = "< 100 ms", cpu < TARGET_S, cpu / TARGET_S
        lines = text.count("\n")
        row = [f"{name} ({lines} lines)", f"{cpu * 1e3:.2f} ms", f"{1 / cpu:,.0f} files/s", target, verdict(ok, short)]
        rows.append(row)
    header = ["file", "per file (CPU)", "rate", "target", ""]
    publish(args, "language_speed", Table(header, rows, ["l", "r", "r", "l", "l"]).markdown())


if __name__ == "__main__":
    main()
