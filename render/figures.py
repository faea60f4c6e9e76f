"""Regenerate the figures of the README and docs/ in docs/figures/:

    python -m anet.render.figures [OUT_DIR] [--examples DIR]   # defaults: docs/figures, examples

writes assemblenet50.svg/.png (the model, Figure 1 style), assemblenet50_supergraph.svg/.png (its
search space, Figure 5 style), assemblenet_plus50.svg/.png (AssembleNet++-50: the object stem and
peer attention) and lineage_example.svg/.png (the tree of a small synthetic run, Figure 2 style).
The run is synthetic because a figure of the drawing must not depend on a search having been run:
`example_run` writes it with the same header fields the evolution writes.

The architectures drawn are the repository's examples; both folders are taken relative to the
current directory (an installed anet has no checkout to find them in), so run it from the
repository root or pass them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..dsl import Mutation, Network, architecture_hash, format_network, load
from .lineage import lineage_graph, read_run
from .model import model_graph
from .output import write_figure
from .supergraph import supergraph_figure

# (file, round, fitness or None, parent file or None, mutations, example architecture)
EXAMPLE_RUN: tuple[tuple[str, int, float | None, str | None, str, str], ...] = (
    ("init/c00", 0, 0.482, None, "init", "two_stream_late_fusion"),
    ("init/c01", 0, 0.517, None, "init", "two_stream_fusion_lv4"),
    ("init/c02", 0, 0.553, None, "init", "four_stream_fully_connected"),
    ("init/c03", 0, 0.431, None, "init", "two_stream_flow_to_rgb"),
    ("c04", 1, 0.571, "init/c02", "guided_edges split(6)", "four_stream_fully_connected"),
    ("c05", 2, 0.509, "init/c01", "guided_edges dilation(8)", "two_stream_fully_connected"),
    ("c06", 3, 0.548, "c04", "guided_edges merge(9, 10) dilation(7)", "four_stream_fully_connected"),
    ("c07", 4, None, "c04", "random_edges split(12)", "four_stream_fully_connected"),
    ("c08", 5, 0.596, "c06", "guided_edges split(8) dilation(11)", "assemblenet50"),
    ("c09", 6, 0.532, "c05", "guided_edges", "two_stream_fully_connected"),
    ("c10", 7, 0.604, "c08", "guided_edges dilation(5) dilation(13)", "assemblenet50"),
    ("c11", 8, 0.588, "c08", "guided_edges merge(4, 5)", "assemblenet50"),
    ("c12", 9, 0.462, "c03x", "guided_edges", "two_stream_flow_to_rgb"),
)
"""A small run: four initial candidates, a failed child (no fitness), and one whose parent file
(`c03x`) was deleted, so every kind of node shows."""


def _mutations(text: str) -> tuple[Mutation, ...]:
    out = []
    for item in text.replace(", ", ",").split():
        kind, _, args = item.partition("(")
        out.append(Mutation(kind=kind, args=tuple(a for a in args.rstrip(")").split(",") if a)))  # type: ignore[arg-type]
    return tuple(out)


def with_metadata(
    network: Network,
    *,
    round: int,
    fitness: float | None,
    parent: str | None,
    mutations: tuple[Mutation, ...],
) -> Network:
    """A copy of `network` carrying the descendant metadata the evolution writes."""
    header = network.header.model_copy(
        update={
            "round": round,
            "fitness": fitness,
            "parent": parent,
            "mutations": mutations,
            "hash": architecture_hash(network),
        }
    )
    return network.model_copy(update={"header": header})


def example_run(directory: Path, examples: Path) -> Path:
    """Write EXAMPLE_RUN's .anet files under `directory`, made from the architectures in
    `examples`; return it."""
    for name, rnd, fitness, parent, mutations, example in EXAMPLE_RUN:
        path = directory / f"{name}.anet"
        path.parent.mkdir(parents=True, exist_ok=True)
        rel_parent = None
        if parent is not None:
            rel_parent = Path(os.path.relpath(directory / f"{parent}.anet", path.parent)).as_posix()
        network = with_metadata(
            load(examples / f"{example}.anet"),
            round=rnd,
            fitness=fitness,
            parent=rel_parent,
            mutations=_mutations(mutations),
        )
        path.write_text(format_network(network), encoding="utf-8")
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m anet.render.figures", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("docs/figures"), help="default: docs/figures")
    parser.add_argument("--examples", type=Path, default=Path("examples"), help="the repository's examples folder")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    needed = {args.examples / f"{name}.anet" for *_, name in EXAMPLE_RUN}
    needed |= {args.examples / f"{name}.anet" for name in ("assemblenet50", "assemblenet_plus50")}
    missing = sorted(str(path) for path in needed if not path.is_file())
    if missing:
        parser.error(f"{', '.join(missing)} not found: run from the repository root, or pass --examples DIR")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    a50 = load(args.examples / "assemblenet50.anet")
    figures = {
        "assemblenet50": model_graph(a50),
        "assemblenet50_supergraph": supergraph_figure(a50),
        "assemblenet_plus50": model_graph(load(args.examples / "assemblenet_plus50.anet")),
    }
    with tempfile.TemporaryDirectory() as tmp:
        run = example_run(Path(tmp) / "example_run", args.examples)
        figures["lineage_example"] = lineage_graph(read_run(run), title="evolution of an example run")
    for name, graph in figures.items():
        for fmt in ("svg", "png"):
            written = write_figure(graph, out / f"{name}.{fmt}")
            if written.warning:
                print(written.warning, file=sys.stderr)
                break
            print(f"wrote {written.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
