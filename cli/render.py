"""`anet render`: Graphviz figures of an architecture, of its search supergraph, or of a run's lineage.

Exit status: 0 when the figure was written, also when Graphviz's `dot` is missing (the .dot file is
written instead and a message on stderr says how to get the image: the figure exists, only its
rendering is deferred); 1 for unreadable input or a failing `dot`; 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from ..render.lineage import lineage_graph, read_run
from ..render.model import model_graph
from ..render.nodes import RankDir
from ..render.output import FORMATS, RenderError, write_figure
from ..render.supergraph import supergraph_figure
from .app import CommandFailed, anet
from .language import read_network

OPTIONAL_FILE_ARG = click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)


@anet.command()
@OPTIONAL_FILE_ARG
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Figure file; its extension picks the format (.svg, .png, .pdf, .dot).",
)
@click.option("--supergraph", is_flag=True, help="Draw every edge the search could use, the file's own ones solid.")
@click.option(
    "--lineage",
    "run_dir",
    metavar="RUN_DIR",
    type=click.Path(exists=True, file_okay=False),
    help="Draw the evolution tree of the .anet files under RUN_DIR (then give no FILE).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Override the format the extension implies.")
@click.option(
    "--rankdir",
    type=click.Choice(["BT", "LR", "TB", "RL"]),
    help="Direction of the levels (default: BT, stems at the bottom) or rounds (default: LR).",
)
@click.option("--label-weights", is_flag=True, help="Write each learned weight on its edge (model figure).")
def render(
    file: str | None,
    output: str,
    supergraph: bool,
    run_dir: str | None,
    fmt: str | None,
    rankdir: str | None,
    label_weights: bool,
) -> None:
    """Draw FILE as the paper's Figure 1 (default), its search supergraph (--supergraph, Figure 5),
    or the lineage of an evolution run (--lineage RUN_DIR, Figure 2)."""
    if run_dir is not None:
        if file is not None:
            raise click.UsageError("give either FILE or --lineage RUN_DIR, not both")
        if supergraph or label_weights:
            raise click.UsageError("--supergraph and --label-weights draw a FILE; they do not apply to --lineage")
        lineage = read_run(run_dir)
        for warning in lineage.warnings:
            click.echo(f"warning: {warning}", err=True)
        if not lineage.candidates:
            raise CommandFailed(f"{run_dir}: no .anet files found")
        graph = lineage_graph(lineage, rankdir=rankdir or "LR")
        what = f"lineage of {len(lineage.candidates)} candidates"
    else:
        if file is None:
            raise click.UsageError("give an .anet FILE to draw, or --lineage RUN_DIR")
        if supergraph and label_weights:
            raise click.UsageError("--label-weights applies to the model figure, not to --supergraph")
        network, _, _ = read_network(file)
        direction = cast(RankDir, rankdir or "BT")
        if supergraph:
            graph = supergraph_figure(network, rankdir=direction)
            what = f"supergraph of {network.header.name}"
        else:
            graph = model_graph(network, rankdir=direction, label_weights=label_weights)
            what = network.header.name
    try:
        written = write_figure(graph, Path(output), fmt)
    except RenderError as exc:
        raise CommandFailed(str(exc)) from None
    if written.warning:
        click.echo(written.warning, err=True)
    else:
        click.echo(f"wrote {written.path} ({what})", err=True)
