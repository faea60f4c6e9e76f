"""`anet runs show`: a search run's population, progress and failures, read from its journal."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ..evolution.store import PLOT
from .app import CommandFailed, anet


@anet.group()
def runs() -> None:
    """Inspect search runs."""


@runs.command(name="show")
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--plot/--no-plot", default=True, help=f"Also (re)write RUN/{PLOT}.")
def runs_show(run: str, plot: bool) -> None:
    """The population, the best per round, failures; writes the fitness-over-rounds plot."""
    from ..evolution.journal import JournalError
    from ..evolution.report import load_state, show
    from ..evolution.report import plot as draw

    try:
        state = load_state(Path(run))
    except (FileNotFoundError, JournalError) as exc:
        raise CommandFailed(str(exc)) from None
    show(state, Console())
    if plot and state.history:
        click.echo(f"wrote {draw(state, Path(run) / PLOT)}")
