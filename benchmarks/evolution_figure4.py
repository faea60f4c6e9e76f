"""The paper's Figure 4 on the built-in proxy task: guided vs. standard evolution vs. random search.

    python benchmarks/evolution_figure4.py [--seeds 3] [--population 8] [--rounds 16] [--iterations 60]
                                           [--workers 2] [--out runs/figure4]

Runs every strategy with every seed (real proxy training of every candidate), then plots the mean
over seeds of "mean fitness of the top 3 of the population" per round, as the paper does, and
reports in how many rounds guided evolution reaches random search's final best. Runs resume: rerun
the same command after an interruption. Results: OUT/figure4.json and OUT/figure4.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from anet.evolution import EvolutionConfig, Search
from anet.evolution.report import curve
from anet.training.config import TrainConfig

STRATEGIES = ("guided", "standard", "random")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/figure4"))
    args = parser.parse_args()
    train = TrainConfig(
        iterations=args.iterations,
        batch_size=8,
        width=0.125,
        frames=8,
        size=args.size,
        progress=False,
        precision="fp32",
    )
    curves: dict[str, list[list[float]]] = {s: [] for s in STRATEGIES}
    started = time.perf_counter()
    for seed in range(args.seeds):
        for strategy in STRATEGIES:
            config = EvolutionConfig(
                strategy=strategy,
                population=args.population,
                rounds=args.rounds,
                seed=seed,
                workers=args.workers,
                data=f"proxy:train=1024,val=256,size={args.size},seed=7",
                train=train,
            )
            run = args.out / f"{strategy}-seed{seed}"
            run.mkdir(parents=True, exist_ok=True)
            state = Search(run, config).run()
            curves[strategy].append([mean for _, mean, _ in curve(state)])
            print(
                f"{strategy:>8} seed {seed}: final top-3 mean {curves[strategy][-1][-1]:.4f} "
                f"({time.perf_counter() - started:.0f} s so far)",
                flush=True,
            )
    mean_curves = {s: [statistics.mean(values) for values in zip(*runs, strict=True)] for s, runs in curves.items()}
    random_final = mean_curves["random"][-1]
    reached = next((r for r, v in enumerate(mean_curves["guided"]) if v >= random_final), None)
    summary = {
        "settings": vars(args) | {"out": str(args.out)},
        "curves": curves,
        "mean_curves": mean_curves,
        "random_final": random_final,
        "guided_reaches_random_final_at_round": reached,
        "rounds": args.rounds,
        "seconds": time.perf_counter() - started,
    }
    (args.out / "figure4.json").write_text(json.dumps(summary, indent=1))
    plot(mean_curves, args.out / "figure4.png", args)
    print(json.dumps({k: v for k, v in summary.items() if k != "curves"}, indent=1))


def plot(mean_curves: dict[str, list[float]], path: Path, args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8), dpi=120)
    for strategy, values in mean_curves.items():
        ax.plot(
            range(len(values)),
            values,
            label={"guided": "connection-learning-guided", "standard": "standard evolution", "random": "random search"}[
                strategy
            ],
        )
    ax.set_xlabel("round")
    ax.set_ylabel("mean top-3 fitness (top-1 + top-5)")
    ax.set_title(f"proxy task, {args.seeds} seeds, population {args.population}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
