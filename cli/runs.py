"""`anet runs show`, `anet runs pick` and `anet runs serve`: a search run's population, progress and
failures, the network to deploy from it, and a live browser dashboard of runs, read from their journals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import click
from rich.console import Console

from ..evolution.pick import PickBy
from ..evolution.store import PLOT
from ..files import write_atomic
from .app import CommandFailed, anet, stops_cleanly

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


@runs.command(name="serve")
@click.argument("run_dirs", metavar="RUN_DIR...", nargs=-1, required=True, type=click.Path(file_okay=True))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (others can reach it).")
@click.option(
    "--port", default=8008, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one."
)
def runs_serve(run_dirs: tuple[str, ...], host: str, port: int) -> None:
    """A live dashboard of the runs in the browser: progress, fitness, candidates, lineage.

    Read-only: it follows each journal as `anet evolve` appends to it (the run's lock is not taken),
    and writes nothing into the run directories. Stop it with Ctrl-C."""
    from ..evolution.journal import JOURNAL

    runs_given = [Path(run) for run in run_dirs]
    for run in runs_given:
        if not run.is_dir():
            raise CommandFailed(f"{run}: no such run directory")
        if not (run / JOURNAL).is_file():
            raise CommandFailed(f"{run}: not a search run (no {JOURNAL}); give the --out directory of anet evolve")
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}: anyone who can reach this machine can read these runs "
            "(the dashboard has no login); --host 127.0.0.1 keeps it to this machine",
            err=True,
        )
    _serve(runs_given, host, port)


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # another host name: it may resolve to anything
        return False


def _serve(runs_given: list[Path], host: str, port: int) -> None:
    """Listen first (so that --port 0's port is known, and a client that reads the printed address
    can connect at once), then serve until Ctrl-C."""
    import socket

    import uvicorn

    from ..dashboard.app import create_app

    app = create_app(runs_given)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)  # before the address is printed: a client may connect at once
    except OSError as exc:
        raise CommandFailed(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    click.echo(f"serving {len(runs_given)} run(s) at http://{shown}:{bound}/ (Ctrl-C stops)")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    with sock, stops_cleanly("the dashboard stopped; the runs were only read"):
        server.run(sockets=[sock])


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
