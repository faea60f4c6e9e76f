"""What a run has found: the population table, the best candidate per round, and the paper's
Figure 4 curve (mean fitness of the top 3 population members after each round)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from .journal import JOURNAL
from .state import SearchState


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


def plot(state: SearchState, path: Path, *, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = curve(state)
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    ax.plot([r for r, _, _ in rows], [m for _, m, _ in rows], label="mean of top 3")
    ax.plot([r for r, _, _ in rows], [b for _, _, b in rows], label="best so far", linestyle="--")
    ax.set_xlabel("round")
    ax.set_ylabel("fitness (top-1 + top-5)")
    ax.set_title(title or f"{state.config.get('strategy', '') if state.config else ''} evolution")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def show(state: SearchState, console: Console | None = None) -> None:
    console = console or Console()
    cfg = state.config or {}
    evaluated = [c for c in state.candidates.values() if c.status == "evaluated"]
    failed = [c for c in state.candidates.values() if c.status == "failed"]
    pending = [c for c in state.candidates.values() if c.status == "pending"]
    console.print(
        f"[bold]{cfg.get('strategy', '?')} evolution[/]: {len(state.candidates)} candidates "
        f"({len(evaluated)} trained, {len(failed)} failed, {len(pending)} pending), "
        f"round {max(state.applied, 0)} of {cfg.get('rounds', '?')}"
    )
    table = Table(title="population")
    for column in ("candidate", "round", "parent", "fitness", "mutations"):
        table.add_column(column)
    for cid in sorted(state.population, key=state.fitness, reverse=True):
        c = state.candidates[cid]
        table.add_row(
            cid,
            str(c.round),
            c.parent or "-",
            f"{c.fitness:.4f}" if c.fitness is not None else "-",
            ", ".join(f"{m.kind}({', '.join(m.args)})" for m in c.mutations),
        )
    console.print(table)
    rounds = Table(title="best per round")
    for column in ("round", "mean of top 3", "best so far"):
        rounds.add_column(column, justify="right")
    for r, mean, best in curve(state):
        rounds.add_row(str(r), f"{mean:.4f}", f"{best:.4f}")
    console.print(rounds)
    for c in failed:
        console.print(f"[red]failed[/] {c.id}: {c.reason}")
    best = state.best()
    if best is not None:
        console.print(f"best: [bold]{best.id}[/] (round {best.round}) fitness {best.fitness:.4f}")
