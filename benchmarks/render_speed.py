"""Time `anet render --supergraph` on a generated 30-node architecture (target: under 2 s).

The architecture has 6 stems and 6 blocks on each of levels 1-4 (the widest the paper's search
grows), every block reading a few nodes from lower levels, so its supergraph has several hundred
allowed edges. The main number covers what `anet render --supergraph` does after reading the file: build the
graph from the AST, lay the nodes out with `dot` (used edges only), then draw all edges with the
nodes pinned, to SVG. The best of a few runs is printed, with the model figure, PNG output and the
whole command (Python start-up included) for comparison.

    python -m benchmarks.render_speed [--write-docs]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from anet.dsl import format_network, load
from anet.render import model_graph, supergraph_figure, write_figure
from anet.render.supergraph import allowed_edges

from .common import Table, add_docs_option, publish, timed

TARGET_S = 2.0
REPEATS = 5


def generated_network(stems: int = 6, per_level: int = 6, seed: int = 0) -> str:
    """The text of a valid .anet file: `stems` stems and `per_level` blocks on each level 1-4, each block
    reading 2-4 lower nodes (one from the level below) and every node read by a higher one."""
    rng = random.Random(seed)
    budgets = [128, 128, 256, 512, 512]
    by_level = [[f"s{i}" for i in range(stems)]] + [[f"b{lv}_{j}" for j in range(per_level)] for lv in range(1, 5)]
    inputs: dict[str, list[str]] = {}
    for level in range(1, 5):
        lower = [n for lv in by_level[:level] for n in lv]
        for name in by_level[level]:
            chosen = [rng.choice(by_level[level - 1])]
            chosen += rng.sample(lower, k=rng.randint(1, 3))
            inputs[name] = list(dict.fromkeys(chosen))
    read = {src for srcs in inputs.values() for src in srcs}
    for level in range(4):
        for name in by_level[level]:
            if name not in read:
                inputs[rng.choice(by_level[level + 1])].append(name)
    lines = ["network bench30", "  classes 400", ""]
    for i, name in enumerate(by_level[0]):
        modality = "rgb" if i % 2 == 0 else "flow"
        lines.append(f"stem {name} in=[{modality}] C={budgets[0] // stems} r={rng.choice([1, 4])}")
    for level in range(1, 5):
        for name in by_level[level]:
            srcs = inputs[name]
            text = ", ".join(f"{s}@{rng.uniform(0.05, 0.95):.3f}" for s in srcs) if len(srcs) > 1 else srcs[0]
            stride = " stride=2" if level > 1 else ""
            r = rng.choice([1, 2, 4, 8])
            lines.append(f"block {name} level={level} in=[{text}] C={budgets[level] // per_level} r={r}{stride}")
    return "\n".join(lines) + "\n"


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    return min(timed(fn, repeats, warmup=0))


CLI = "from anet.cli import render; from anet.cli.app import anet; anet()"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_docs_option(parser, "render_speed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bench30.anet"
        src.write_text(generated_network(), encoding="utf-8")
        network = load(src)
        src.write_text(format_network(network), encoding="utf-8")
        allowed = len(allowed_edges(network))
        used = sum(len(b.inputs) for b in network.blocks)
        print(f"architecture: {len(network.nodes)} nodes, {allowed} allowed edges, {used} used")
        if shutil.which("dot") is None:
            print("Graphviz's dot program was not found; install graphviz to time the rendering", file=sys.stderr)
            return 1
        svg = Path(tmp) / "out.svg"
        rows = {
            "model figure -> SVG": best_of(lambda: write_figure(model_graph(network), svg)),
            "supergraph DOT text (layout pass)": best_of(lambda: supergraph_figure(network).source),
            "supergraph -> SVG": best_of(lambda: write_figure(supergraph_figure(network), svg)),
            "supergraph -> PNG": best_of(lambda: write_figure(supergraph_figure(network), svg.with_suffix(".png"))),
        }
        command = [sys.executable, "-c", CLI, "render", "--supergraph", str(src), "-o", str(svg)]
        rows["anet render --supergraph -> SVG (whole command)"] = best_of(
            lambda: subprocess.run(command, check=True, capture_output=True), repeats=3
        )
        total = rows["supergraph -> SVG"]
        verdict = "ok" if total < TARGET_S else "TOO SLOW"
        times = [[name, f"{s * 1000:.0f} ms"] for name, s in rows.items()]
        table = Table(["what (best of several runs)", "time"], times)
        summary = (
            f"{len(network.nodes)} nodes, {allowed} allowed edges, {used} used; "
            f"supergraph -> SVG: {total:.2f} s (target < {TARGET_S:.0f} s: {verdict})"
        )
        publish(args, "render_speed", f"{table.markdown()}\n\n{summary}")
        return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
