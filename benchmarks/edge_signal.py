"""Do the learned connection weights carry a signal after one proxy fitness? Spread, seed agreement
and informativeness of AssembleNet-50's learned weights for several logit learning-rate multipliers,
and what re-estimating BN statistics does to the measured fitness.

    python -m benchmarks.edge_signal [--multipliers 1,10] [--seeds 3] [--iterations 200] [--size 48]
                                     [--ablate 5] [--processes 2] [--out runs/edge_signal]
                                     [--write-docs [edge_signal | edge_signal:120it | edge_signal:60it]]

For every (multiplier, seed): `anet evolve`'s proxy training of AssembleNet-50's connectivity
(learning its own weights; width 1/8, batch 8, 8 frames) with BN re-estimation off, then on the
trained model:
  * weight statistics: std, fraction farther than 0.1 from 0.5, range;
  * validation top-1 and fitness with the running BN statistics and after re-estimating them over
    8 / 32 / 64 training batches;
  * ablation: the k lowest-weight and the k highest-weight edges removed (weight 0), BN re-estimated,
    validation top-1 (if the weights are informative, removing the lowest costs little and the
    highest a lot).
Across seeds: Spearman correlation of the learned weights (mean over pairs). Across every trained
model: Spearman correlation between the fitness ranking with running statistics and after
re-estimation (how much BN staleness reorders candidates). Runs resume from OUT/*.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch

from anet.training.config import PROXY_EDGE_LR

from .common import Table, add_docs_option, publish

ROOT = Path(__file__).resolve().parents[1]
BN_SWEEP = (0, 8, 32, 64)


def spearman(a: list[float], b: list[float]) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def one_run(multiplier: float, seed: int, args: dict[str, Any]) -> dict[str, Any]:
    """Train, then measure; in a worker process with one torch thread."""
    torch.set_num_threads(1)
    from anet.data.spec import parse_data_spec
    from anet.dsl import format_network, load, parse
    from anet.evolution.config import proxy_training
    from anet.evolution.mutate import as_candidate
    from anet.runtime.fusion import Fusion
    from anet.training import train
    from anet.training.batchnorm import fixed_batches, recalibrate_batchnorm
    from anet.training.checkpoint import load_checkpoint
    from anet.training.device import placement
    from anet.training.model import batch_forward, build_for_data
    from anet.training.validation import evaluate

    text = format_network(as_candidate(load(ROOT / "examples" / "assemblenet50.anet")))
    network = parse(text)
    config = proxy_training().model_copy(
        update={
            "iterations": args["iterations"],
            "size": args["size"],
            "seed": seed,
            "edge_lr": multiplier,
            "bn_batches": 0,
        }
    )
    data = parse_data_spec(args["data"])
    out = Path(args["out"]) / f"x{multiplier:g}-seed{seed}"
    started = time.perf_counter()
    result = train(network, text, data, config, out_dir=out)
    seconds = time.perf_counter() - started
    place = placement(config)
    model = build_for_data(network, text, data, width=config.width)
    state = load_checkpoint(result.checkpoint)["model"]
    datasets = data.datasets(frames=config.frames, size=config.size)

    forward = batch_forward(network, place)

    def measure(bn: int, removed: list[tuple[int, int]] = ()) -> dict[str, float]:
        model.load_state_dict(state)
        fusions = [m for m in model.modules() if isinstance(m, Fusion)]
        with torch.no_grad():
            for f, i in removed:
                fusions[f].logits[i] = float("-inf")
        if bn:
            recalibrate_batchnorm(model, fixed_batches(datasets.train, batches=bn, batch_size=8, seed=seed), forward)
        m = evaluate(model, network, datasets.val, multi_label=False, batch_size=8, place=place)
        return {"top1": m["top1"], "fitness": m["fitness"]}

    model.load_state_dict(state)
    edges = [
        (f, i, w)
        for f, m in enumerate(mm for mm in model.modules() if isinstance(mm, Fusion))
        for i, w in enumerate(m.edge_weights())
    ]
    weights = [w for _, _, w in edges]
    order = sorted(range(len(edges)), key=lambda j: weights[j])
    k = args["ablate"]
    lowest = [(edges[j][0], edges[j][1]) for j in order[:k]]
    highest = [(edges[j][0], edges[j][1]) for j in order[-k:]]
    w = np.array(weights)
    return {
        "multiplier": multiplier,
        "seed": seed,
        "train_seconds": seconds,
        "weights": weights,
        "std": float(w.std()),
        "far": float((np.abs(w - 0.5) > 0.1).mean()),
        "min": float(w.min()),
        "max": float(w.max()),
        "bn": {str(bn): measure(bn) for bn in BN_SWEEP},
        "without_lowest": measure(32, lowest),
        "without_highest": measure(32, highest),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--multipliers", default="1,10")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--data", default="proxy")
    parser.add_argument("--ablate", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/edge_signal"))
    add_docs_option(parser, "edge_signal")
    return parser.parse_args()


def train_all(
    args: argparse.Namespace, multipliers: list[float], settings: dict[str, Any]
) -> dict[tuple[float, int], dict[str, Any]]:
    """One trained model per multiplier and seed; each result is kept in OUT as it arrives, so a rerun
    trains only what is missing."""
    jobs = [(m, s) for m in multipliers for s in range(args.seeds)]
    done: dict[tuple[float, int], dict[str, Any]] = {}
    for m, s in jobs:
        path = args.out / f"x{m:g}-seed{s}.json"
        if path.exists():
            done[(m, s)] = json.loads(path.read_text())
    todo = [j for j in jobs if j not in done]
    with ProcessPoolExecutor(args.processes, mp_context=get_context("spawn")) as pool:
        futures = {j: pool.submit(one_run, j[0], j[1], settings) for j in todo}
        for j, future in futures.items():
            done[j] = future.result()
            (args.out / f"x{j[0]:g}-seed{j[1]}.json").write_text(json.dumps(done[j]))
            print(f"  x{j[0]:g} seed {j[1]}: {done[j]['train_seconds']:.0f} s", flush=True)
    return done


Run = dict[str, Any]  # one trained model's measurements, as one_run returns them and OUT/*.json keeps them


def weight_rows(runs_by_multiplier: dict[float, list[Run]]) -> dict[str, dict[str, float]]:
    """Per multiplier, over its seeds: the learned weights' spread (mean std, mean fraction farther
    than 0.1 from 0.5, range over all), their agreement across seeds (mean Spearman over pairs) and
    validation top-1 with all edges and without the lowest / highest ones."""
    rows = {}
    for m, runs in runs_by_multiplier.items():
        agreement = [spearman(a["weights"], b["weights"]) for a, b in itertools.combinations(runs, 2)]
        rows[f"{m:g}"] = {
            "std": statistics.mean(r["std"] for r in runs),
            "far": statistics.mean(r["far"] for r in runs),
            "min": min(r["min"] for r in runs),
            "max": max(r["max"] for r in runs),
            "agreement": statistics.mean(agreement) if agreement else float("nan"),
            "without_lowest": statistics.mean(r["without_lowest"]["top1"] for r in runs),
            "without_highest": statistics.mean(r["without_highest"]["top1"] for r in runs),
            "all": statistics.mean(r["bn"]["32"]["top1"] for r in runs),
        }
    return rows


def multiplier(m: str) -> str:
    """The paper's x1 and the search's default are named (the default in bold)."""
    if float(m) == PROXY_EDGE_LR:
        return f"**x{m}** (default)"
    return f"x{m} (paper)" if float(m) == 1 else f"x{m}"


def signal_table(rows: dict[str, dict[str, float]], training: str, ablate: int) -> Table:
    """The docs' table: one row per multiplier, the proxy training named on the first."""
    header = ["proxy training", "logit lr", "weight std", "farther than 0.1 from 0.5", "range"]
    header += ["seed agreement (Spearman)", "top-1, all edges", f"without lowest {ablate}", f"without highest {ablate}"]
    cells = [
        [
            training if i == 0 else "",
            multiplier(m),
            f"{r['std']:.3f}",
            f"{r['far'] * 100:.0f} %",
            f"{r['min']:.2f}-{r['max']:.2f}",
            f"{r['agreement']:.2f}",
            f"{r['all']:.3f}",
            f"{r['without_lowest']:.3f}",
            f"{r['without_highest']:.3f}",
        ]
        for i, (m, r) in enumerate(rows.items())
    ]
    return Table(header, cells, ["l", "r", "r", "r", "l", "r", "r", "r", "r"])


def bn_ranks(runs: list[Run]) -> dict[int, float]:
    """How far re-estimation keeps the ranking of the trained models by fitness: Spearman against the
    ranking with running statistics, per number of re-estimation batches."""
    raw = [r["bn"]["0"]["fitness"] for r in runs]
    return {b: spearman(raw, [r["bn"][str(b)]["fitness"] for r in runs]) for b in BN_SWEEP[1:]}


def bn_table(runs: list[Run]) -> Table:
    """Validation top-1 and fitness by BN statistics, mean over every trained model."""
    header = ["BN statistics", *("running" if b == 0 else f"{b} batches" for b in BN_SWEEP)]
    rows = [
        [metric, *(f"{statistics.mean(r['bn'][str(b)][metric] for r in runs):.3f}" for b in BN_SWEEP)]
        for metric in ("top1", "fitness")
    ]
    rows[0][0] = "top-1"
    return Table(header, rows)


def training_label(args: argparse.Namespace) -> str:
    """The proxy training, named `anet evolve`'s default where it is."""
    from anet.evolution.config import proxy_training

    default = proxy_training()
    label = f"{args.iterations} it, {args.size} px"
    is_default = (args.iterations, args.size, args.data) == (default.iterations, default.size, "proxy")
    return f"`anet evolve` default: {label}" if is_default else label


def signal_body(args: argparse.Namespace, multipliers: list[float], done: dict[tuple[float, int], Run]) -> str:
    """What the benchmark prints and writes: the weights' table, BN re-estimation, its ranking."""
    rows = weight_rows({m: [done[(m, s)] for s in range(args.seeds)] for m in multipliers})
    runs = list(done.values())
    ranks = ", ".join(f"{b} batches {v:.2f}" for b, v in bn_ranks(runs).items())
    return (
        f"{signal_table(rows, training_label(args), args.ablate).markdown()}\n\n"
        "Validation by BN statistics, mean over every trained model above (running: no re-estimation):\n\n"
        f"{bn_table(runs).markdown()}\n\n"
        f"Ranking of the trained models by fitness, running statistics against re-estimated (Spearman): {ranks}."
    )


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "write_docs"} | {"out": str(args.out)}
    multipliers = [float(m) for m in args.multipliers.split(",")]
    print(
        f"AssembleNet-50 connectivity, proxy training {args.iterations} iterations x batch 8, width 1/8, 8 x "
        f"{args.size} px, data {args.data}; torch {torch.__version__}, CPU capability "
        f"{torch.backends.cpu.get_cpu_capability()}, {args.processes} processes x 1 thread",
        flush=True,
    )
    done = train_all(args, multipliers, settings)
    runs = list(done.values())
    summary: dict[str, Any] = {
        "settings": settings,
        "multipliers": weight_rows({m: [done[(m, s)] for s in range(args.seeds)] for m in multipliers}),
        "bn": {str(b): statistics.mean(r["bn"][str(b)]["top1"] for r in runs) for b in BN_SWEEP},
        "bn_rank_agreement": bn_ranks(runs),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print()
    publish(args, "edge_signal", signal_body(args, multipliers, done))


if __name__ == "__main__":
    main()
