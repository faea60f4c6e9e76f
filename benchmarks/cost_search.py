"""Searching for a deployment on the proxy task: the two-objective search (fitness and measured
latency, NSGA-II ranking) against random search and against the paper's single-objective search,
at equal budgets, several seeds each; and the winner's curse that re-evaluation corrects.

    python -m benchmarks.cost_search [--seeds 3] [--population 8] [--rounds 16] [--iterations 120]
                                     [--size 32] [--val 256] [--workers 2] [--deploy-shape 8x112]
                                     [--reevaluate 3] [--reevaluate-seeds 2] [--out runs/cost_search]
                                     [--write-docs]

Every candidate is really trained (the proxy fitness at Figure 4's cheaper setting) and really
measured (`anet evolve`'s measurement: the inference copy at the deploy shape, batch 1, median of 5
runs after a warm-up, serialised against training). Each arm draws the same number of candidates.
Reported per arm, mean +- SE over seeds:

- the hypervolume of the run's front on (fitness, latency): the area its candidates dominate above
  the reference point (chance fitness 0.75, the largest latency measured in the whole benchmark),
  as a fraction of the box up to (2, 0 ms);
- the best fitness under two latency budgets: the 25th and 50th percentiles of every candidate's
  latency across all runs;
- the winner's curse: each run's re-evaluated candidates, their search fitness minus the mean of
  their fresh-seed trainings.

AssembleNet-50 and the two-stream late-fusion baseline (`examples/`) are measured at the same deploy
shape and trained once with the same proxy training, and marked on the figure. Runs resume: rerun
the same command after an interruption. Results: OUT/cost_search.json and OUT/cost_search.png
(``--write-docs`` copies it to docs/figures/cost_search.png).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from anet.cost import DeployTarget, measure_cost
from anet.evolution import EvolutionConfig, Search, SearchState
from anet.evolution.config import Objective, Strategy
from anet.evolution.fitness import FitnessTask, evaluate
from anet.evolution.pareto import hypervolume, nondominated_fronts
from anet.training.config import BN_BATCHES, PROXY_EDGE_LR, TrainConfig

from .common import DOCS, ROOT, Table, add_docs_option, load_line, machine, publish
from .evolution_figure4 import mean_se, proxy_training

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FIGURE = "figures/cost_search.png"  # in docs/, where --write-docs copies the plot
CHANCE = 0.125 + 0.625  # top-1 + top-5 of a guess among the proxy task's 8 classes
REFERENCES = {"AssembleNet-50": "assemblenet50.anet", "late fusion": "two_stream_late_fusion.anet"}


@dataclass(frozen=True)
class Arm:
    label: str
    strategy: Strategy
    objective: Objective


ARMS = {
    "pareto": Arm("two-objective (guided, NSGA-II)", "guided", "pareto"),
    "paper": Arm("single-objective (guided, paper fitness)", "guided", "paper"),
    "random": Arm("random search", "random", "pareto"),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=120)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--val", type=int, default=256, help="validation clips per candidate")
    parser.add_argument("--edge-lr", type=float, default=PROXY_EDGE_LR)
    parser.add_argument("--bn-batches", type=int, default=BN_BATCHES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deploy-shape", default="8x112")
    parser.add_argument("--reevaluate", type=int, default=3)
    parser.add_argument("--reevaluate-seeds", type=int, default=2)
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--out", type=Path, default=Path("runs/cost_search"))
    add_docs_option(parser, "cost_search")
    return parser.parse_args()


def settings(args: argparse.Namespace) -> tuple[TrainConfig, str, DeployTarget]:
    """Figure 4's proxy training and data, and the deploy target."""
    data = f"proxy:train=1024,val={args.val},size={args.size},seed=7"
    return proxy_training(args), data, DeployTarget.from_shape(args.deploy_shape)


def run_searches(args: argparse.Namespace, arms: list[str]) -> dict[str, list[SearchState]]:
    """Seeds outermost and arms alternating within a seed, so that the machine's drift hits all alike."""
    train, data, deploy = settings(args)
    states: dict[str, list[SearchState]] = {a: [] for a in arms}
    started = time.perf_counter()
    for seed in range(args.seeds):
        for arm in arms:
            config = EvolutionConfig(
                strategy=ARMS[arm].strategy,
                objective=ARMS[arm].objective,
                population=args.population,
                rounds=args.rounds,
                seed=seed,
                workers=args.workers,
                data=data,
                train=train,
                deploy=deploy,
                reevaluate=args.reevaluate,
                reevaluate_seeds=args.reevaluate_seeds,
            )
            run = args.out / f"{arm}-seed{seed}"
            run.mkdir(parents=True, exist_ok=True)
            begun = time.perf_counter()
            states[arm].append(Search(run, config).run())
            spent(args.out, run.name, time.perf_counter() - begun)
            print(f"{arm:>7} seed {seed} done ({time.perf_counter() - started:.0f} s so far)", flush=True)
    return states


def spent(out: Path, run: str | None = None, seconds: float = 0.0) -> float:
    """Add a search's wall time to OUT/seconds.json (a resumed or replayed search adds what it
    took this time); the searches' time so far, summed."""
    path = out / "seconds.json"
    times = json.loads(path.read_text()) if path.exists() else {}
    if run is not None:
        times[run] = times.get(run, 0.0) + seconds
        path.write_text(json.dumps(times, indent=1))
    return sum(times.values())


def references(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """(latency ms, proxy fitness) of the published networks, kept in OUT/references.json."""
    path = args.out / "references.json"
    if path.exists():
        return {k: tuple(v) for k, v in json.loads(path.read_text()).items()}  # type: ignore[misc]
    train, data, deploy = settings(args)
    found = {}
    for label, name in REFERENCES.items():
        text = (ROOT / "examples" / name).read_text(encoding="utf-8")
        latency = measure_cost(text, deploy).latency_ms
        result = evaluate(FitnessTask(label, text, "proxy", data, train.model_dump(mode="json")))
        if result.fitness is None:
            raise RuntimeError(f"{name}: proxy training failed: {result.error}")
        found[label] = (latency, result.fitness)
        print(f"{label}: {latency:.1f} ms, proxy fitness {result.fitness:.3f}", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found))
    return found


def points(state: SearchState) -> list[tuple[float, float]]:
    """(fitness, latency ms) of every trained architecture of the run (each once)."""
    return [
        (c.fitness, c.cost.latency_ms)
        for c in state.candidates.values()
        if c.status == "evaluated" and c.reused_from is None and c.fitness is not None and c.cost is not None
    ]


def best_under(state: SearchState, budget: float) -> float:
    return max((f for f, latency in points(state) if latency <= budget), default=float("nan"))


def curse(state: SearchState) -> list[float]:
    """Search fitness minus fresh-seed mean, per re-evaluated candidate."""
    return [
        c.fitness - c.retrained_mean
        for c in state.candidates.values()
        if c.retrained_mean is not None and c.fitness is not None
    ]


def summarise(states: dict[str, list[SearchState]]) -> dict:
    pooled = sorted(latency for runs in states.values() for s in runs for _, latency in points(s))
    worst = pooled[-1]
    box = (2 - CHANCE) * worst
    budgets = [pooled[len(pooled) // 4], pooled[len(pooled) // 2]]
    summary: dict = {"reference_point": [CHANCE, worst], "budgets_ms": budgets, "arms": {}}
    for arm, runs in states.items():
        volumes = [hypervolume([(f, -lat) for f, lat in points(s)], (CHANCE, -worst)) / box for s in runs]
        under = [[best_under(s, b) for s in runs] for b in budgets]
        gaps = [gap for s in runs for gap in curse(s)]
        changed = [s.best() is not None and s.best().id != _search_best(s) for s in runs]
        summary["arms"][arm] = {
            "hypervolume": volumes,
            "best_under": under,
            "curse": gaps,
            "pick_changed": sum(changed),
            "candidates": [len(points(s)) for s in runs],
        }
    return summary


def _search_best(state: SearchState) -> str | None:
    """The candidate the search's own fitness would have reported (before re-evaluation)."""
    trained = [c for c in state.candidates.values() if c.status == "evaluated" and c.fitness is not None]
    return max(trained, key=lambda c: (c.fitness, -c.round, c.id)).id if trained else None


def tables(summary: dict, arms: list[str]) -> str:
    low, high = summary["budgets_ms"]
    header = ["search", "hypervolume (fraction)", f"best fitness <= {low:.0f} ms", f"best fitness <= {high:.0f} ms"]
    rows = []
    for arm in arms:
        found = summary["arms"][arm]
        cells = [mean_se(found["hypervolume"]), *(mean_se(v) for v in found["best_under"])]
        rows.append([ARMS[arm].label, *(f"{m:.3f} +- {e:.3f}" for m, e in cells)])
    main = Table(header, rows, ["l", "r", "r", "r"]).markdown()
    header = [
        "search",
        "re-evaluated",
        "search fitness - fresh-seed mean, mean +- SE",
        "re-evaluation changed the pick",
    ]
    rows = []
    for arm in arms:
        found = summary["arms"][arm]
        gap = mean_se(found["curse"]) if len(found["curse"]) > 1 else (float("nan"), float("nan"))
        seeds = len(found["hypervolume"])
        rows.append(
            [
                ARMS[arm].label,
                str(len(found["curse"])),
                f"{gap[0]:+.3f} +- {gap[1]:.3f}",
                f"{found['pick_changed']} of {seeds} runs",
            ]
        )
    return main + "\n\n" + Table(header, rows, ["l", "r", "r", "r"]).markdown()


def plot(states: dict[str, list[SearchState]], refs: dict[str, tuple[float, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=120)
    for (arm, runs), colour in zip(states.items(), ("C0", "C1", "C2"), strict=False):
        pooled = [p for s in runs for p in points(s)]
        ax.scatter([lat for _, lat in pooled], [f for f, _ in pooled], s=8, alpha=0.35, color=colour)
        front = [pooled[i] for i in nondominated_fronts([(f, -lat) for f, lat in pooled])[0]]
        front.sort(key=lambda p: p[1])
        ax.step([lat for _, lat in front], [f for f, _ in front], where="post", color=colour, label=ARMS[arm].label)
    for label, (latency, fitness) in refs.items():
        ax.scatter([latency], [fitness], marker="*", s=120, color="black", zorder=5)
        ax.annotate(label, (latency, fitness), textcoords="offset points", xytext=(5, -10), fontsize=8)
    ax.set_xscale("log")
    _plain_ticks(
        ax, [p[1] for runs in states.values() for s in runs for p in points(s)] + [r[0] for r in refs.values()]
    )
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("proxy fitness (top-1 + top-5)")
    ax.set_title("fronts over all seeds of each search")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plain_ticks(ax: Axes, latencies: list[float]) -> None:
    """Round latencies as tick labels: the benchmark's span less than a decade, where a log axis
    labels only one power of ten."""
    from matplotlib.ticker import NullFormatter

    low, high = min(latencies), max(latencies)
    nice = [t * 10**e for e in range(0, 5) for t in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8)]
    ax.set_xticks(
        [t for t in nice if low * 0.9 <= t <= high * 1.1], [f"{t:g}" for t in nice if low * 0.9 <= t <= high * 1.1]
    )
    ax.xaxis.set_minor_formatter(NullFormatter())


def main() -> None:
    args = parse_args()
    arms = args.arms.split(",")
    cpu = machine()
    print(
        f"proxy fitness: {args.iterations} iterations x batch 8, width 1/8, 8 x {args.size} px, {args.val} "
        f"validation clips; population {args.population}, {args.rounds} rounds, {args.seeds} seeds, "
        f"{args.workers} workers; latency at {args.deploy_shape}, batch 1, on the CPU; re-evaluation of "
        f"{args.reevaluate} x {args.reevaluate_seeds} fresh seeds\n{cpu}\n{load_line()}",
        flush=True,
    )
    refs = references(args)
    states = run_searches(args, arms)
    summary = summarise(states) | {"references": refs, "seconds": spent(args.out)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cost_search.json").write_text(json.dumps(summary, indent=1))
    plot(states, refs, args.out / "cost_search.png")
    if args.write_docs:
        shutil.copyfile(args.out / "cost_search.png", DOCS / FIGURE)
    lines = [f"- {label}: {lat:.1f} ms, proxy fitness {fit:.3f}" for label, (lat, fit) in refs.items()]
    lines.append(
        f"- hypervolume reference point: fitness {CHANCE} (chance), latency {summary['reference_point'][1]:.1f} ms "
        f"(the largest measured); the searches took {summary['seconds'] / 60:.0f} min in all (wall time)"
    )
    body = "\n\n".join([f"![fronts of the three searches]({FIGURE})", tables(summary, arms), "\n".join(lines)])
    publish(args, "cost_search", body, machine_line=cpu)


if __name__ == "__main__":
    main()
