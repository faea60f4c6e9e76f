"""`anet evolve` and `anet runs show`: the architecture search from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from anet.cli.app import CommandFailed, anet
from anet.cli.language import read_network
from anet.dsl import format_network


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
@click.option(
    "--strategy",
    type=click.Choice(["guided", "standard", "random"]),
    default="guided",
    show_default=True,
    help="guided: connection-learning-guided (eq. 2); standard: random third of edges; random: search.",
)
@click.option("--population", default=20, show_default=True, type=click.IntRange(min=2))
@click.option("--tournament", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--rounds", default=40, show_default=True, type=click.IntRange(min=0), help="Children to evolve.")
@click.option("--threshold", type=click.FloatRange(0, 1), help="B of eq. 2 (default: B ~ U(0, 1) per edge).")
@click.option("--random-seed", default=0, show_default=True, type=int, help="Seed of every random draw.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Candidates trained at once (default 1; on --resume, the run's own). N consecutive rounds are "
    "made from the same population, so the outcome depends on N.",
)
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", help="Ray cluster address (with --backend ray; default: a local Ray instance).")
@click.option("--data", default="proxy", show_default=True, help="Data spec of the fitness task.")
@click.option(
    "--fitness",
    type=click.Choice(["proxy", "synthetic"]),
    default="proxy",
    show_default=True,
    help="synthetic: a free deterministic stand-in that exercises the engine, not a measure.",
)
@click.option("--iterations", default=200, show_default=True, type=click.IntRange(min=1), help="Proxy training.")
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--width", default=0.125, show_default=True, type=click.FloatRange(min=0, min_open=True))
@click.option("--frames", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--size", default=48, show_default=True, type=click.IntRange(min=8))
@click.option("--retry-failed", is_flag=True, help="On --resume, train the failed candidates again.")
def evolve(
    seed_files: tuple[str, ...],
    seed_option: tuple[str, ...],
    out: str | None,
    resume: str | None,
    strategy: str,
    population: int,
    tournament: int,
    rounds: int,
    threshold: float | None,
    random_seed: int,
    workers: int | None,
    backend: str,
    address: str | None,
    data: str,
    fitness: str,
    iterations: int,
    batch_size: int,
    width: float,
    frames: int,
    size: int,
    retry_failed: bool,
) -> None:
    """Evolve architectures; every candidate is written to RUN/candidates/*.anet as it is made.

    Resumable after any crash with --resume RUN. The best architecture is RUN/best.anet."""
    from anet.evolution import EvolutionConfig, Search
    from anet.evolution.report import load_state, plot, show
    from anet.training.config import TrainConfig

    if (out is None) == (resume is None):
        raise click.UsageError("give exactly one of --out DIR (a new run) or --resume DIR")
    run = Path(resume or out)  # type: ignore[arg-type]
    if resume:
        state = load_state(run)
        if state.config is None:
            raise CommandFailed(f"{run} has no recorded configuration to resume")
        config = EvolutionConfig.model_validate(
            state.config
            | {"backend": backend, "address": address}
            | ({} if workers is None else {"workers": workers})
        )
        seeds: list[str] = []
    else:
        if run.exists() and any(run.iterdir()):
            raise CommandFailed(f"{run} is not empty; use --resume {run} to continue it, or another --out")
        files = (*seed_option, *seed_files)
        if len(files) > population:
            raise click.UsageError(
                f"{len(files)} seed files do not fit in a population of {population}: every seed joins the "
                f"initial population as written, so give --population {len(files)} or more, or fewer seeds"
            )
        seeds = [format_network(read_network(f)[0]) for f in files]
        train = TrainConfig(
            iterations=iterations, batch_size=batch_size, width=width, frames=frames, size=size, progress=False
        )
        config = EvolutionConfig(
            strategy=strategy,
            population=population,
            tournament=tournament,
            rounds=rounds,
            threshold=threshold,
            seed=random_seed,
            workers=workers or 1,
            backend=backend,
            address=address,
            data=data,
            fitness=fitness,
            train=train,
        )
        run.mkdir(parents=True, exist_ok=True)
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

        def listener(event: str, state, candidate) -> None:  # noqa: ANN001
            done = sum(c.status != "pending" for c in state.candidates.values())
            best = state.best()
            progress.update(task, completed=min(done, total), best=f"{best.fitness:.4f} ({best.id})" if best else "-")
            if event == "failed":
                progress.console.print(f"[red]{candidate.id} failed[/]: {candidate.reason}")

        search = Search(run, config, seeds=seeds, listener=listener, retry_failed=retry_failed)
        listener("start", search.state, None)
        state = search.run()
    plot(state, run / "fitness.png")
    show(state, Console())
    click.echo(f"best architecture: {run / 'best.anet'}; fitness plot: {run / 'fitness.png'}")


@anet.group()
def runs() -> None:
    """Inspect search runs."""


@runs.command(name="show")
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--plot/--no-plot", default=True, help="Also (re)write RUN/fitness.png.")
def runs_show(run: str, plot: bool) -> None:
    """The population, the best per round, failures; writes the fitness-over-rounds plot."""
    from anet.evolution.report import load_state, show
    from anet.evolution.report import plot as draw

    try:
        state = load_state(Path(run))
    except FileNotFoundError as exc:
        raise CommandFailed(str(exc)) from None
    show(state, Console())
    if plot and state.history:
        click.echo(f"wrote {draw(state, Path(run) / 'fitness.png')}")
