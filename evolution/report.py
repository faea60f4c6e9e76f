"""What a run has found: the population table, the best candidate per round, the paper's Figure 4
curve (mean fitness of the top 3 population members after each round) and, when costs were
measured, the front of fitness against latency; for a re-evaluated run, how much its search fitness
overstated the winners (the winner's curse)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from rich.console import Console
from rich.table import Table

from .config import EvolutionConfig
from .events import Status
from .journal import JOURNAL
from .state import Candidate, SearchState

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Reference = tuple[str, float, float]
"""A network to mark on the latency plot: (label, latency in ms, fitness), e.g. AssembleNet-50."""

REJECTED_SHOWN = 3  # rejected candidates listed by name; the rest are counted


def load_state(run: Path) -> SearchState:
    path = run / JOURNAL
    if not path.exists():
        raise FileNotFoundError(f"{run} is not a search run (no {JOURNAL})")
    return SearchState.load(path)


def curve(state: SearchState, k: int = 3) -> list[tuple[int, float, float]]:
    """(round, mean of the top k of the population, best so far) after every applied round."""
    rows = []
    best = float("-inf")
    for entry in state.history:
        values = sorted((state.fitness(m) for m in entry.members), reverse=True)
        top = values[:k]
        best = max([best, *values[:1]])
        rows.append((entry.round, sum(top) / len(top) if top else float("nan"), best))
    return rows


def measured(state: SearchState) -> bool:
    """Whether the run measured some candidate's cost (`--no-measure` runs and older ones did not)."""
    return any(c.cost is not None for c in state.candidates.values())


# -- the plot -------------------------------------------------------------------------------------


def figure(state: SearchState, *, title: str = "", references: Sequence[Reference] = ()) -> Figure:
    """The fitness curve over rounds and, when costs were measured, fitness against latency beside it."""
    from matplotlib.figure import Figure

    costs = measured(state)
    fig = Figure(figsize=(11, 3.6) if costs else (6, 3.6), dpi=120)
    axes = fig.subplots(1, 2 if costs else 1, squeeze=False)[0]
    _draw_curve(axes[0], state, title)
    if costs:
        _draw_front(axes[1], state, references)
    fig.tight_layout()
    return fig


def plot(state: SearchState, path: Path, *, title: str = "", references: Sequence[Reference] = ()) -> Path:
    figure(state, title=title, references=references).savefig(path)
    return path


def _draw_curve(ax: Axes, state: SearchState, title: str) -> None:
    rows = curve(state)
    ax.plot([r for r, _, _ in rows], [m for _, m, _ in rows], label="mean of top 3")
    ax.plot([r for r, _, _ in rows], [b for _, _, b in rows], label="best so far", linestyle="--")
    ax.set_xlabel("round")
    ax.set_ylabel("fitness (top-1 + top-5)")
    ax.set_title(title or f"{state.config.get('strategy', '') if state.config else ''} evolution")
    ax.grid(alpha=0.3)
    ax.legend()


def _draw_front(ax: Axes, state: SearchState, references: Sequence[Reference]) -> None:
    """Every trained candidate as a dot, the front as the best fitness reachable at each latency
    (a step), the reference networks as stars; rejected candidates were never trained and have no
    fitness to place."""
    from .objectives import front

    points = [(c.cost.latency_ms, c.fitness) for c in _trained(state) if c.cost is not None]
    ax.scatter([x for x, _ in points], [y for _, y in points], s=12, alpha=0.5, label="candidates")
    edge = [(c.cost.latency_ms, c.fitness) for c in front(state) if c.cost is not None]
    ax.step([x for x, _ in edge], [y for _, y in edge], where="post", color="C3", marker="o", ms=4, label="front")
    for label, latency, fitness in references:
        ax.scatter([latency], [fitness], marker="*", s=120, color="k", zorder=3)
        ax.annotate(label, (latency, fitness), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xscale("log")
    _plain_log_ticks(ax)
    ax.set_xlabel(f"latency (ms, {_target(state)}, log scale)")
    ax.set_ylabel("fitness (top-1 + top-5)")
    ax.set_title("fitness against latency")
    ax.grid(alpha=0.3, which="both")
    ax.legend()


def _plain_log_ticks(ax: Axes) -> None:
    """Latencies as numbers (40, 200), not powers of ten: a search's latencies often span less than
    a decade, where the log axis would otherwise label its minor ticks as 2 x 10^3."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    ax.xaxis.set_minor_formatter(plain)


def _target(state: SearchState) -> str:
    """Where the latencies were measured, as the axis and the tables say it."""
    deploy = _settings(state).deploy
    costs = [c.cost for c in state.candidates.values() if c.cost is not None]
    where = "synthetic" if costs and all(c.synthetic for c in costs) else deploy.device
    return f"{deploy.shape} on {where}"


def _settings(state: SearchState) -> EvolutionConfig:
    return state.settings or EvolutionConfig()


def _trained(state: SearchState) -> list[Candidate]:
    return [c for c in state.candidates.values() if c.status == "evaluated"]


# -- the text report ------------------------------------------------------------------------------


def show(state: SearchState, console: Console | None = None) -> None:
    console = console or Console()
    cfg = state.config or {}
    by_status = {s: [c for c in state.candidates.values() if c.status == s] for s in get_args(Status)}
    rejected = by_status["rejected"]
    counts = f"{len(by_status['evaluated'])} trained, {len(by_status['failed'])} failed"
    counts += f", {len(rejected)} rejected" if rejected else ""
    console.print(
        f"[bold]{cfg.get('strategy', '?')} evolution[/]: {len(state.candidates)} candidates "
        f"({counts}, {len(by_status['pending'])} pending), "
        f"round {max(state.applied, 0)} of {cfg.get('rounds', '?')}"
    )
    console.print(_population_table(state))
    rounds = Table(title="best per round")
    for column in ("round", "mean of top 3", "best so far"):
        rounds.add_column(column, justify="right")
    for r, mean, best in curve(state):
        rounds.add_row(str(r), f"{mean:.4f}", f"{best:.4f}")
    console.print(rounds)
    if measured(state):
        console.print(_front_table(state))
    if any(c.retrained or c.retrain_failures for c in state.candidates.values()):
        console.print(_reevaluation_table(state))
        console.print(_winners_curse(state))
    for c in by_status["failed"]:
        console.print(f"[red]failed[/] {c.id}: {c.reason}")
    if rejected:
        listed = "; ".join(f"{c.id}: {c.reason}" for c in rejected[:REJECTED_SHOWN])
        more = f"; and {len(rejected) - REJECTED_SHOWN} more" if len(rejected) > REJECTED_SHOWN else ""
        console.print(f"[yellow]rejected[/] {len(rejected)} over budget, never trained ({listed}{more})")
    best = state.best()
    if best is not None:
        console.print(f"best: [bold]{best.id}[/] (round {best.round}) {_chosen_by(state, best)}")


def _population_table(state: SearchState) -> Table:
    costs = measured(state)
    table = Table(title="population")
    for column in ("candidate", "round", "parent", "fitness"):
        table.add_column(column)
    if costs:
        table.add_column("latency ms", justify="right")
        table.add_column("GFLOPs", justify="right")
    table.add_column("mutations")
    for cid in sorted(state.population, key=state.fitness, reverse=True):
        c = state.candidates[cid]
        row = [cid, str(c.round), c.parent or "-", f"{c.fitness:.4f}" if c.fitness is not None else "-"]
        if costs:
            row += [f"{c.cost.latency_ms:.4g}", f"{c.cost.gflops:.4g}"] if c.cost is not None else ["-", "-"]
        table.add_row(*row, ", ".join(f"{m.kind}({', '.join(m.args)})" for m in c.mutations))
    return table


def _front_table(state: SearchState) -> Table:
    """The candidates no other beats on both fitness and latency, fastest first (RUN/pareto.json)."""
    from .objectives import front

    candidates = front(state)
    retrained = any(c.retrained for c in candidates)
    table = Table(title=f"front: fitness against latency at {_target(state)}")
    for column in ("candidate", "fitness", "latency ms", "GFLOPs", "params"):
        table.add_column(column, justify="left" if column == "candidate" else "right")
    if retrained:
        table.add_column("re-evaluated", justify="right")
    for c in candidates:
        cost = c.cost
        assert cost is not None and c.fitness is not None  # the front is of trained, measured candidates
        row = [c.id, f"{c.fitness:.4f}", f"{cost.latency_ms:.4g} ± {cost.spread_ms:.2g}"]
        row += [f"{cost.gflops:.4g}", f"{cost.params:,}"]
        table.add_row(*row, *([_mean_se(c)] if retrained else []))
    return table


def _reevaluation_table(state: SearchState) -> Table:
    """Search fitness beside the fresh-seed mean: the search chose these because their one training
    went well, so the mean is the fairer figure and the difference is the winner's curse."""
    candidates = _reevaluated(state)
    failures = any(c.retrain_failures for c in candidates)
    table = Table(title="re-evaluation with fresh seeds")
    for column in ("candidate", "search fitness", "re-evaluated mean ± SE (n)", "difference"):
        table.add_column(column, justify="left" if column == "candidate" else "right")
    if failures:
        table.add_column("failed seeds", justify="right")
    for c in candidates:
        mean = c.retrained_mean
        difference = f"{mean - c.fitness:+.4f}" if mean is not None and c.fitness is not None else "-"
        row = [c.id, f"{c.fitness:.4f}" if c.fitness is not None else "-", _mean_se(c), difference]
        table.add_row(*row, *([str(len(c.retrain_failures))] if failures else []))
    return table


def _reevaluated(state: SearchState) -> list[Candidate]:
    chosen = [c for c in state.candidates.values() if c.retrained or c.retrain_failures]
    return sorted(chosen, key=lambda c: (-(c.retrained_mean or float("-inf")), c.id))


def _winners_curse(state: SearchState) -> str:
    pairs = [(c.fitness, c.retrained_mean) for c in _reevaluated(state)]
    differences = [mean - fitness for fitness, mean in pairs if fitness is not None and mean is not None]
    if not differences:
        return "no re-evaluation succeeded"
    average = sum(differences) / len(differences)
    return (
        f"the fresh-seed means differ from the search fitness by {average:+.4f} on average "
        f"over {len(differences)} re-evaluated candidates"
    )


def _mean_se(c: Candidate) -> str:
    if c.retrained_mean is None:
        return "-"
    se = c.retrained_se
    return (
        f"{c.retrained_mean:.4f} ± {se:.4f} ({len(c.retrained)})" if se is not None else f"{c.retrained_mean:.4f} (1)"
    )


def _chosen_by(state: SearchState, best: Candidate) -> str:
    """The figure the run's answer was chosen by (`objectives.best`), with the search fitness."""
    from .objectives import score

    settings = _settings(state)
    if best.retrained_mean is not None:
        return f"by re-evaluated mean {_mean_se(best)} (search fitness {best.fitness:.4f})"
    if settings.objective == "mnas" and best.cost is not None:
        latency = f"latency {best.cost.latency_ms:.4g} ms"
        return f"by mnas reward {score(best, settings):.4f} (fitness {best.fitness:.4f}, {latency})"
    return f"by search fitness {best.fitness:.4f}"
