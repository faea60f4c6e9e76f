"""What a guided child is, against a standard one: issue 28's first question, from finished searches.

Guided evolution (the paper's equation 2) was level with standard evolution on the proxy task. One
possible cause is the size of its jumps: equation 2 rewires every edge whose learned weight crosses
its thresholds, where standard evolution changes a third of them at random. So per child (a
candidate with a parent, both trained) this reads the architectures and fitnesses the journal holds
and reports, per strategy:

* the edges added and removed against the parent (by source and target node), and their sum;
* the node mutations beside the edges (split, merge, dilation, attention, peers), per child;
* how far the child's fitness moved from its parent's, signed and absolute, and how often it is
  above its parent's.

    python -m benchmarks.guidance_anatomy --runs runs/figure4 [--write-docs]

RUNS is the folder ``benchmarks/evolution_figure4.py`` writes (its ``STRATEGY-seedN`` searches);
runs are grouped by their strategy. Reading only: a run may still be going.
"""

from __future__ import annotations

import argparse
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from anet.dsl import Network
from anet.evolution.report import load_state
from anet.evolution.state import Candidate, SearchState
from anet.evolution.store import parse_text

from .common import Table, add_docs_option, publish

EDGE_MUTATIONS = {"guided_edges", "random_edges", "repair", "init"}


def edges(network: Network) -> set[tuple[str, str]]:
    """(source, target) of every connection into a block."""
    return {(str(e.source), str(block.id)) for block in network.blocks for e in block.inputs}


@dataclass(frozen=True)
class Child:
    """One child against its parent."""

    added: int
    removed: int
    node_mutations: int
    change: float  # child fitness - parent fitness

    @property
    def rewired(self) -> int:
        return self.added + self.removed


@dataclass
class Anatomy:
    """The children of one strategy's searches."""

    strategy: str
    runs: int = 0
    children: list[Child] = field(default_factory=list)


def children_of(state: SearchState) -> list[Child]:
    """Every trained child whose parent was trained too, in the journal's order."""
    found = []
    for child in state.candidates.values():
        parent = state.candidates.get(child.parent or "")
        if parent is None or not _trained(child) or not _trained(parent):
            continue
        before, after = edges(parse_text(parent.text)), edges(parse_text(child.text))
        nodes = sum(1 for m in child.mutations if m.kind not in EDGE_MUTATIONS)
        change = (child.fitness or 0.0) - (parent.fitness or 0.0)
        found.append(Child(len(after - before), len(before - after), nodes, change))
    return found


def _trained(candidate: Candidate) -> bool:
    return candidate.status == "evaluated" and candidate.fitness is not None and math.isfinite(candidate.fitness)


def read(runs: Path) -> dict[str, Anatomy]:
    """The children of every search in `runs`, by strategy, strategies in the order first seen."""
    found: dict[str, Anatomy] = {}
    for run in sorted(p.parent for p in runs.glob("*-seed*/journal.jsonl")):
        state = load_state(run)
        strategy = state.settings.strategy if state.settings else "?"
        anatomy = found.setdefault(strategy, Anatomy(strategy))
        anatomy.runs += 1
        anatomy.children += children_of(state)
    return found


def mean_se(values: list[float]) -> str:
    if not values:
        return "-"
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{statistics.mean(values):+.4f} +- {se:.4f}"


def anatomy_table(found: dict[str, Anatomy]) -> Table:
    """One row per strategy: how many children, how much each rewired and how far its fitness moved."""
    rows = []
    for a in found.values():
        kids = a.children
        rewired = [c.rewired for c in kids]
        rows.append(
            [
                a.strategy,
                str(a.runs),
                str(len(kids)),
                f"{statistics.mean(c.added for c in kids):.2f}" if kids else "-",
                f"{statistics.mean(c.removed for c in kids):.2f}" if kids else "-",
                f"{statistics.mean(rewired):.2f} (median {statistics.median(rewired):g})" if kids else "-",
                f"{statistics.mean(c.node_mutations for c in kids):.2f}" if kids else "-",
                mean_se([c.change for c in kids]),
                f"{statistics.mean(abs(c.change) for c in kids):.4f}" if kids else "-",
                f"{sum(c.change > 0 for c in kids) / len(kids):.0%}" if kids else "-",
            ]
        )
    header = ["strategy", "runs", "children", "edges added", "edges removed", "edges changed"]
    header += ["node mutations", "fitness - parent's (+- SE)", "abs(fitness - parent's)", "above parent"]
    return Table(header, rows, ["l"] + ["r"] * (len(header) - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=Path, default=Path("runs/figure4"), help="the Figure 4 folder")
    add_docs_option(parser, "guidance_anatomy")
    args = parser.parse_args()
    found = read(args.runs)
    if not found:
        raise SystemExit(f"{args.runs} holds no STRATEGY-seedN/journal.jsonl: run benchmarks.evolution_figure4")
    note = f"From the {sum(a.runs for a in found.values())} searches in `{args.runs}`."
    publish(args, "guidance_anatomy", f"{anatomy_table(found).markdown()}\n\n{note}")


if __name__ == "__main__":
    main()
