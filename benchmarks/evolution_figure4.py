"""The paper's Figure 4 on the built-in proxy task: guided vs. standard evolution vs. random search,
side by side in one run, several seeds each.

    python -m benchmarks.evolution_figure4 [--seeds 5] [--population 8] [--rounds 20] [--iterations 120]
                                           [--size 32] [--edge-lr 10] [--bn-batches 32] [--val 256]
                                           [--workers 2] [--out runs/figure4] [--write-docs]

Every candidate is really trained (the proxy fitness, at a cheaper setting than `anet evolve`'s
default: 120 iterations at 32 px; `benchmarks/edge_signal.py` shows the learned weights spread under
it too). Per round, the mean fitness of the top 3 of the population, as the paper plots it; the
figure shows the mean over seeds with a band of one standard error. Checked against the targets:
guided's final value above both baselines' by more than twice the standard error of the difference
(over seeds), and guided reaching random search's final value in at most half the rounds. Seeds and
strategies are interleaved, and runs resume: rerun the same command after an interruption.
Also reported: the mean fitness of the children each strategy made (the mechanism itself: does
equation (2) make better children than random edge changes or fresh samples?).
Results: OUT/figure4.json and OUT/figure4.png (``--write-docs`` copies it to docs/figures/figure4_proxy.png).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import time
from pathlib import Path
from typing import get_args

import torch

from anet.evolution import EvolutionConfig, Search
from anet.evolution.config import Strategy
from anet.evolution.report import curve
from anet.training.config import BN_BATCHES, PROXY_EDGE_LR, TrainConfig

from .common import DOCS, Table, add_docs_option, publish

STRATEGIES: tuple[str, ...] = get_args(Strategy)
LABELS = {"guided": "connection-learning-guided", "standard": "standard evolution", "random": "random search"}
ROW_LABELS = {"standard": "standard evolution (a third of the edges at random)"}  # the table's, where longer
FIGURE = "figures/figure4_proxy.png"  # in docs/, where --write-docs copies the plot


def mean_se(values: list[float]) -> tuple[float, float]:
    mean = statistics.mean(values)
    return mean, (statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else float("nan"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=120)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--edge-lr", type=float, default=PROXY_EDGE_LR)
    parser.add_argument("--bn-batches", type=int, default=BN_BATCHES)
    parser.add_argument("--val", type=int, default=256, help="validation clips per candidate")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--out", type=Path, default=Path("runs/figure4"))
    add_docs_option(parser, "evolution_figure4")
    return parser.parse_args()


def proxy_training(args: argparse.Namespace) -> TrainConfig:
    """Every candidate's fitness: the search's proxy training at this benchmark's budget."""
    return TrainConfig(
        iterations=args.iterations,
        batch_size=8,
        width=0.125,
        frames=8,
        size=args.size,
        edge_lr=args.edge_lr,
        bn_batches=args.bn_batches,
        progress=False,
        precision="fp32",
    )


def run_searches(
    args: argparse.Namespace, strategies: list[str], train: TrainConfig, started: float
) -> tuple[dict[str, list[list[float]]], dict[str, list[float]]]:
    """Per strategy, one curve of mean top-3 fitness per seed, and per seed the children's mean fitness;
    the strategies alternate within a seed, so that the machine's drift hits all alike."""
    curves: dict[str, list[list[float]]] = {s: [] for s in strategies}
    children: dict[str, list[float]] = {s: [] for s in strategies}
    for seed in range(args.seeds):
        for strategy in strategies:
            config = EvolutionConfig(
                strategy=strategy,
                population=args.population,
                rounds=args.rounds,
                seed=seed,
                workers=args.workers,
                data=f"proxy:train=1024,val={args.val},size={args.size},seed=7",
                train=train,
                measure=False,  # the paper's objective is the fitness alone: no deployment latency to time
            )
            run = args.out / f"{strategy}-seed{seed}"
            run.mkdir(parents=True, exist_ok=True)
            state = Search(run, config).run()
            curves[strategy].append([mean for _, mean, _ in curve(state)])
            made = [c.fitness for c in state.candidates.values() if c.round > 0 and c.fitness is not None]
            children[strategy].append(statistics.mean(made) if made else float("nan"))
            print(
                f"{strategy:>8} seed {seed}: final top-3 mean {curves[strategy][-1][-1]:.4f} "
                f"({time.perf_counter() - started:.0f} s so far)",
                flush=True,
            )
    return curves, children


def strategy_table(
    finals: dict[str, tuple[float, float]], curves: dict[str, list[list[float]]], children: dict[str, dict]
) -> Table:
    """Per strategy: the final mean top-3 fitness of each seed, their mean +- SE, and the mean fitness
    of the children it made +- SE."""
    header = ["strategy", "final mean top-3 fitness, per seed", "mean +- SE", "mean fitness of its children +- SE"]
    rows = [
        [
            ROW_LABELS.get(s, LABELS[s]),
            ", ".join(f"{run[-1]:.3f}" for run in curves[s]),
            f"{m:.3f} +- {e:.3f}",
            f"{children[s]['mean']:.3f} +- {children[s]['se']:.3f}",
        ]
        for s, (m, e) in finals.items()
    ]
    return Table(header, rows, ["l", "l", "r", "r"])


def targets(
    finals: dict[str, tuple[float, float]], curves: dict[str, list[list[float]]], guided_curve: list[float]
) -> tuple[dict, list[str]]:
    """The issue's two targets for guided evolution, as figures and as lines: above standard evolution
    and random search by more than twice the standard error, and random search's final value within
    half the rounds."""
    found: dict = {}
    lines = []
    for other in ("standard", "random"):
        if other not in finals:
            continue
        diff = finals["guided"][0] - finals[other][0]
        se_diff = math.sqrt(finals["guided"][1] ** 2 + finals[other][1] ** 2)
        # the same seed starts every strategy from the same initial population: paired differences
        paired = mean_se([g[-1] - o[-1] for g, o in zip(curves["guided"], curves[other], strict=True)])[1]
        found[f"guided_minus_{other}"] = {"diff": diff, "se": se_diff, "paired_se": paired, "met": diff > 2 * se_diff}
        lines.append(
            f"guided - {other}: {diff:+.3f} (SE of the difference {se_diff:.3f}, paired by seed {paired:.3f}; "
            f"target > 2 SE: {'met' if diff > 2 * se_diff else '**missed**'})"
        )
    random_final = finals["random"][0]
    reached = next((r for r, v in enumerate(guided_curve) if v >= random_final), None)
    rounds = len(guided_curve) - 1
    found["guided_reaches_random_final_at_round"] = reached
    lines.append(
        f"guided reaches random search's final {random_final:.3f} at round "
        f"{reached if reached is not None else 'never'} of {rounds} (target <= {rounds // 2}: "
        f"{'met' if reached is not None and reached <= rounds // 2 else '**missed**'})"
    )
    return found, lines


def main() -> None:
    args = parse_args()
    strategies = args.strategies.split(",")
    print(
        f"proxy fitness: {args.iterations} iterations x batch 8, width 1/8, 8 x {args.size} px, logit lr "
        f"x{args.edge_lr:g}, BN re-estimated over {args.bn_batches} batches, {args.val} validation clips; "
        f"population {args.population}, {args.rounds} rounds, {args.seeds} seeds, {args.workers} workers; "
        f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}",
        flush=True,
    )
    started = time.perf_counter()
    curves, children = run_searches(args, strategies, proxy_training(args), started)
    bands = {s: [mean_se(list(values)) for values in zip(*runs, strict=True)] for s, runs in curves.items() if runs}
    finals = {s: mean_se([run[-1] for run in runs]) for s, runs in curves.items()}
    summary: dict = {
        "settings": {k: v for k, v in vars(args).items() if k != "write_docs"} | {"out": str(args.out)},
        "curves": curves,
        "mean_curves": {s: [m for m, _ in band] for s, band in bands.items()},
        "se_curves": {s: [e for _, e in band] for s, band in bands.items()},
        "final": {s: {"mean": m, "se": e, "per_seed": [run[-1] for run in curves[s]]} for s, (m, e) in finals.items()},
        "seconds": time.perf_counter() - started,
    }
    summary["children"] = {s: {"mean": mean_se(v)[0], "se": mean_se(v)[1], "per_seed": v} for s, v in children.items()}
    lines = []
    if {"guided", "random"} <= set(finals):
        summary["targets"], lines = targets(finals, curves, summary["mean_curves"]["guided"])
    print(f"{summary['seconds']:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "figure4.json").write_text(json.dumps(summary, indent=1))
    plot(bands, args.out / "figure4.png", args)
    if args.write_docs:
        shutil.copyfile(args.out / "figure4.png", DOCS / FIGURE)
    table = strategy_table(finals, curves, summary["children"]).markdown()
    said = "\n".join(f"- {line}" for line in lines)
    publish(args, "evolution_figure4", "\n\n".join([f"![Figure 4 on the proxy task]({FIGURE})", table, said]).strip())


def plot(bands: dict[str, list[tuple[float, float]]], path: Path, args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8), dpi=120)
    for strategy, band in bands.items():
        rounds = range(len(band))
        mean = [m for m, _ in band]
        se = [0.0 if math.isnan(e) else e for _, e in band]
        (line,) = ax.plot(rounds, mean, label=LABELS[strategy])
        ax.fill_between(
            rounds,
            [m - e for m, e in zip(mean, se, strict=True)],
            [m + e for m, e in zip(mean, se, strict=True)],
            color=line.get_color(),
            alpha=0.2,
            linewidth=0,
        )
    ax.set_xlabel("round")
    ax.set_ylabel("mean top-3 fitness (top-1 + top-5)")
    ax.set_title(f"proxy task, {args.seeds} seeds (band: 1 SE), population {args.population}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
