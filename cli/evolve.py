"""`anet evolve`: the architecture search from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..dsl import format_network
from ..evolution.config import EvolutionConfig
from ..evolution.store import BEST, PLOT
from .app import CommandFailed, anet, stops_cleanly
from .language import read_network
from .lock import LOCK, run_lock
from .options import DataSpecOption, DeployShape, nested, setting, settings_options, signal_settings

if TYPE_CHECKING:  # the search's modules are imported when a command needs them: a fast `anet --help`
    from ..evolution import Candidate, SearchState
    from ..evolution.search import Heard


@anet.command()
@click.argument("seed_files", nargs=-1, type=click.Path(exists=True, dir_okay=False), metavar="[SEEDS]...")
@click.option(
    "--seed",
    "seed_option",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Seed architectures (.anet) for the initial population; `--seed seeds/*.anet` works. "
    "Without seeds the initial population is random (paper section 3.2).",
)
@click.option("--out", "out", type=click.Path(file_okay=False), help="Run directory (new or empty).")
@click.option(
    "--resume",
    "resume",
    type=click.Path(exists=True, file_okay=False),
    help="Continue the run in this directory after a crash or a stop.",
)
@settings_options(
    EvolutionConfig(),
    setting(
        "strategy",
        help="guided: connection-learning-guided (eq. 2); standard: random third of edges; random: search.",
    ),
    setting("population", help="Candidates kept (a tournament draws from them)."),
    "tournament",
    setting("rounds", help="Children to evolve."),
    setting("threshold", help="B of eq. 2 (default: B ~ U(0, 1) per edge)."),
    setting(
        "attention",
        help="AssembleNet++ attention as a choice per block: self or peer is what switching a block on gives "
        "(mutations attention and peers); none: attention is not searched.",
    ),
    setting("seed", "--random-seed", help="Seed of every random draw."),
    setting(
        "workers",
        default=None,  # None: the model's default on a new run, the run's own on --resume
        help=f"Candidates trained at once (default {EvolutionConfig.model_fields['workers'].default}; on --resume, "
        "the run's own). N consecutive rounds are made from the same population, so the outcome depends on N.",
    ),
    "backend",
    setting("address", help="Ray cluster address (with --backend ray; default: a local Ray instance)."),
    setting("data", cls=DataSpecOption, help="Data spec of the fitness task."),
    setting("fitness", help="synthetic: a free deterministic stand-in that exercises the engine, not a measure."),
    setting(
        "objective",
        help="paper: fitness alone; pareto: fitness and latency, NSGA-II ranking, RUN/pareto.json the front; "
        "mnas: fitness * (latency / --latency-target) ** --mnas-exponent (MnasNet).",
    ),
    setting("measure", "--measure/--no-measure", help="Measure each candidate's latency, FLOPs and parameters."),
    nested(
        "deploy",  # where the chosen network will run: what a candidate's latency is measured on
        setting("device", "--deploy-device", help="Device the latency is measured on."),
        setting("precision", "--deploy-precision", help="Precision of the latency measurement (auto: as predict)."),
        setting("repeats", "--latency-runs", help="Timed runs per candidate (their median is its latency)."),
    ),
    setting("latency_target", "--latency-target", metavar="MS"),
    "mnas_exponent",
    setting("max_latency", "--max-latency", metavar="MS"),
    setting("max_flops", "--max-flops", metavar="FLOPS"),
    setting("reevaluate", metavar="K"),
    "reevaluate_seeds",
    nested(
        "train",  # the proxy training of each candidate; defaults: proxy_training()
        setting("iterations", help="Proxy training."),
        "batch_size",
        "width",
        "frames",
        "size",
        *signal_settings(where="in proxy training; 1: the paper's recipe"),
        "metric",
    ),
    into="config",
)
@click.option(
    "--deploy-shape",
    type=DeployShape(),
    help=f"Clip the latency is measured at, batch 1 (default {EvolutionConfig().deploy.shape}).",
)
@click.option("--retry-failed", is_flag=True, help="On --resume, train the failed candidates again.")
@click.option(
    "--repair",
    is_flag=True,
    help="On --resume, cut a journal damaged before its end before the damage (the original is kept aside).",
)
def evolve(
    seed_files: tuple[str, ...],
    seed_option: tuple[str, ...],
    out: str | None,
    resume: str | None,
    config: EvolutionConfig,
    deploy_shape: tuple[int, int] | None,
    retry_failed: bool,
    repair: bool,
) -> None:
    """Evolve architectures; every candidate is written to RUN/candidates/*.anet as it is made.

    Resumable after any crash with --resume RUN. The best architecture is RUN/best.anet."""
    from ..evolution.report import show

    if (out is None) == (resume is None):
        raise click.UsageError("give exactly one of --out DIR (a new run) or --resume DIR")
    if repair and not resume:
        raise click.UsageError("--repair goes with --resume DIR")
    run = Path(resume or out)  # type: ignore[arg-type]
    if deploy_shape is not None:
        frames, size = deploy_shape
        config = config.model_copy(update={"deploy": config.deploy.model_copy(update={"frames": frames, "size": size})})
    seeds = [] if resume else _new_run(run, (*seed_option, *seed_files), config)
    with stops_cleanly(f"resume with anet evolve --resume {run}"), run_lock(run):
        if resume:
            config = _resumed(run, config, repair=repair)
        else:
            _check_new(run)  # again, now that it is ours: another process may have started it meanwhile
        state = _searched(run, config, seeds, retry_failed)
        show(state, Console())
    if state.best() is None:
        raise CommandFailed(f"no candidate of {run} was trained; see the reasons above (anet runs show {run})")
    click.echo(f"best architecture: {run / BEST}; fitness plot: {run / PLOT}")


def _new_run(run: Path, files: tuple[str, ...], config: EvolutionConfig) -> list[str]:
    """The seeds of a new run, once its settings and directory are known to be usable: the user's
    mistakes are reported now, not as every candidate's failure later."""
    files = _fitting_the_data(files, config)
    if len(files) > config.population:
        raise click.UsageError(
            f"{len(files)} seed files do not fit in a population of {config.population}: every seed joins the "
            f"initial population as written, so give --population {len(files)} or more, or fewer seeds"
        )
    _check_new(run)
    seeds = [format_network(read_network(f)[0]) for f in files]
    if config.measure and config.fitness == "proxy" and config.deploy.device == "cuda" and config.backend == "local":
        import torch

        if not torch.cuda.is_available():  # else every candidate would fail its measurement
            raise click.UsageError(
                "--deploy-device cuda: this machine has no CUDA device (or this PyTorch has no CUDA); measure "
                "on the CPU, or run the search where the deployment GPU is (--backend ray measures on the workers)"
            )
    return seeds


def _fitting_the_data(files: tuple[str, ...], config: EvolutionConfig) -> tuple[str, ...]:
    """Seeds the proxy training can feed: one that needs an input the data lacks (an object stem
    without segmentation maps, `flow input` without flow) is left out with a warning, not trained
    to fail; a search left without seeds is refused."""
    if config.fitness != "proxy":
        return files
    from ..data.spec import parse_data_spec
    from ..training.model import DataMismatchError, check_inputs

    data = parse_data_spec(config.data)
    kept = []
    for name in files:
        try:
            check_inputs(read_network(name)[0], data)
        except DataMismatchError as exc:
            click.echo(f"anet: warning: seed {name} left out: {exc}", err=True)
            continue
        kept.append(name)
    if files and not kept:
        raise CommandFailed(f"no seed can be trained on the data {config.data!r}; see the warnings above")
    return tuple(kept)


def _resumed(run: Path, given: EvolutionConfig, *, repair: bool) -> EvolutionConfig:
    """The configuration the run recorded, with where it runs (`--backend`, `--address`, and
    `--workers` if given) from the command line."""
    state = _load(run, repair=repair)
    if state.config is None:
        raise CommandFailed(
            f"{run} has no recorded configuration to resume (it was stopped before its start was "
            f"journaled): start it again with --out {run} and its options"
        )
    workers = {"workers": given.workers} if "workers" in given.model_fields_set else {}
    return EvolutionConfig.from_record(state.config, backend=given.backend, address=given.address, **workers)


def _searched(run: Path, config: EvolutionConfig, seeds: list[str], retry_failed: bool) -> SearchState:
    """The search run and its plot drawn; a failure it reports, or one of the disk, ends the command
    with how to go on."""
    from ..evolution.report import plot
    from ..evolution.search import SearchError

    try:
        state = _search(run, config, seeds, retry_failed)
        plot(state, run / PLOT)
    except SearchError as exc:
        raise CommandFailed(str(exc)) from None
    except OSError as exc:  # a full disk, a file system gone read-only: the journal is intact
        again = (
            f"anet evolve --resume {run}"
            if _started(run)
            else f"anet evolve --out {run} with its options again (its start was not journaled)"
        )
        raise CommandFailed(
            f"{exc.filename or run}: {exc.strerror or exc}; the run is intact up to its last journaled "
            f"event: once that is fixed, continue with {again}"
        ) from None
    return state


def _check_new(run: Path) -> None:
    """A new run needs an empty directory, or one whose run was stopped before its start event
    was complete (nothing but the lock and a journal without a whole line)."""
    from ..evolution.journal import JOURNAL

    for path in run.iterdir() if run.exists() else ():
        if path.name == LOCK or (path.name == JOURNAL and not _started(run)):
            continue
        raise CommandFailed(f"{run} is not empty; use --resume {run} to continue it, or another --out")


def _started(run: Path) -> bool:
    """Whether the run's journal holds a complete first line (its start event)."""
    from ..evolution.journal import JOURNAL

    path = run / JOURNAL
    return path.exists() and b"\n" in path.read_bytes()


def _load(run: Path, *, repair: bool) -> SearchState:
    """The run's state; with `repair`, a journal damaged before its end is cut before the damage."""
    from ..evolution.journal import JournalError
    from ..evolution.journal import repair as repair_journal
    from ..evolution.report import load_state

    try:
        return load_state(run)
    except FileNotFoundError as exc:
        raise CommandFailed(str(exc)) from None
    except JournalError as exc:
        if not repair:
            raise CommandFailed(str(exc)) from None
        kept = repair_journal(exc.path, exc.line)
        click.echo(f"repaired {exc.path}: cut before line {exc.line}, the damaged journal kept as {kept}", err=True)
        return _load(run, repair=True)


def _search(run: Path, config: EvolutionConfig, seeds: list[str], retry_failed: bool) -> SearchState:
    """The search with a progress bar; a failed candidate and a kept-aside edit are reported."""
    from ..evolution import Search
    from ..evolution.store import candidate_path

    console = Console(stderr=True)
    total = config.population + config.rounds
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"{config.strategy} evolution", total=total, best="-")

        def listener(event: Heard, state: SearchState, candidate: Candidate | None) -> None:
            done = sum(c.status != "pending" for c in state.candidates.values())
            best = state.best()
            progress.update(task, completed=min(done, total), best=f"{best.fitness:.4f} ({best.id})" if best else "-")
            if event == "failed" and candidate is not None:
                progress.console.print(f"[red]{candidate.id} failed[/]: {candidate.reason}")
            elif event == "edited" and candidate is not None:
                progress.console.print(
                    f"[yellow]warning[/]: {candidate_path(run, candidate.id)} was edited; the run's own version "
                    f"is written back, your edit is kept as {search.edited[-1]}",
                    highlight=False,
                    soft_wrap=True,  # a path broken over lines cannot be copied
                )

        search = Search(run, config, seeds=seeds, listener=listener, retry_failed=retry_failed)
        listener("start", search.state, None)
        return search.run()
