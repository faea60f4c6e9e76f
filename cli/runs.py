"""`anet runs show` and `anet runs pick`: a search run's population, progress and failures, and the
network to deploy from it, read from its journal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, get_args

import click
from rich.console import Console

from ..evolution.pick import PickBy
from ..evolution.store import PLOT
from ..files import write_atomic
from .app import CommandFailed, anet

if TYPE_CHECKING:
    from ..evolution.state import SearchState

RUN_ARG = click.argument("run", type=click.Path(exists=True, file_okay=False))


@anet.group()
def runs() -> None:
    """Inspect search runs."""


@runs.command(name="show")
@RUN_ARG
@click.option("--plot/--no-plot", default=True, help=f"Also (re)write RUN/{PLOT}.")
def runs_show(run: str, plot: bool) -> None:
    """The population, the best per round, the front, re-evaluations, failures; writes the plot."""
    from ..evolution.report import plot as draw
    from ..evolution.report import show

    state = _load(Path(run))
    show(state, Console())
    if plot and state.history:
        click.echo(f"wrote {draw(state, Path(run) / PLOT)}")


@runs.command(name="pick")
@RUN_ARG
@click.option("--max-latency", type=click.FloatRange(min=0, min_open=True), metavar="MS", help="Latency budget.")
@click.option("--max-flops", type=click.FloatRange(min=0, min_open=True), metavar="FLOPS", help="FLOPs budget.")
@click.option(
    "--by",
    type=click.Choice(get_args(PickBy)),
    default="auto",
    show_default=True,
    help="The figure to choose by: the re-evaluated mean (auto: where a candidate has one) or the search fitness.",
)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write the .anet here (default: stdout).")
@click.option(
    "--compile", "compiled", type=click.Path(dir_okay=False, writable=True), help="Also write its PyTorch module."
)
def runs_pick(
    run: str, max_latency: float | None, max_flops: float | None, by: PickBy, out: str | None, compiled: str | None
) -> None:
    """The best trained candidate within a latency and FLOPs budget, with its learned weights.

    Costs are those the search measured, at its deploy shape and device (anet runs show names them)."""
    from ..compiler import compile_network
    from ..evolution.pick import Budget, PickError, pick, picked_text
    from ..evolution.store import candidate_path, parse_text

    state = _load(Path(run))
    try:
        chosen = pick(state, Budget(max_latency, max_flops), by)
    except PickError as exc:
        raise CommandFailed(f"{run}: {exc}") from None
    text = picked_text(Path(run), chosen.candidate, Path(out).parent if out else Path.cwd())
    if out:
        _write(Path(out), text)
        click.echo(f"wrote {out}: {chosen.describe()}", err=True)
    else:  # the summary as a comment: the output is still an .anet file
        click.echo(f"# {chosen.describe()}\n{text}", nl=False)
    if compiled:
        label = out or str(candidate_path(Path(run), chosen.candidate.id))
        _write(Path(compiled), compile_network(parse_text(text), text, label))
        click.echo(f"wrote {compiled}", err=True)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def _load(run: Path) -> SearchState:
    from ..evolution.journal import JournalError
    from ..evolution.report import load_state

    try:
        return load_state(run)
    except (FileNotFoundError, JournalError) as exc:
        raise CommandFailed(str(exc)) from None
