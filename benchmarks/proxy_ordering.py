"""The paper's Table 3 in spirit, on the proxy task: hand-designed two-stream late fusion, AssembleNet-50's
published connectivity and the networks the searches found, retrained side by side with the same budget.

    python -m benchmarks.proxy_ordering --runs runs/figure4 [--seeds 5] [--iterations 120] [--size 32] [--write-docs]

Evolved networks: the best candidate of every strategy's runs in RUNS (the Figure 4 directory), i.e.
the best of each of guided, standard and random search. Every network learns its own connection
weights (the search's candidate form) and is retrained from scratch with fresh training seeds
(1, 2, ...; the search trained every candidate with seed 0), so the evolved networks get no credit
for the lucky draw that selected them. Settings default to Figure 4's proxy fitness; the output is
validation top-1 and fitness (top-1 + top-5) per network, mean +- standard error over seeds.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch

from anet.training.config import BN_BATCHES, PROXY_EDGE_LR

from .common import Table, add_docs_option, publish

ROOT = Path(__file__).resolve().parents[1]


def candidates(runs: Path) -> list[tuple[str, str]]:
    """(label, .anet text): the two references, then the best candidate of each strategy's runs."""
    from anet.dsl import format_network, load
    from anet.evolution.mutate import as_candidate
    from anet.evolution.report import load_state

    found = [
        (
            "two-stream late fusion",
            format_network(as_candidate(load(ROOT / "examples" / "two_stream_late_fusion.anet"))),
        ),
        ("AssembleNet-50 connectivity", format_network(as_candidate(load(ROOT / "examples" / "assemblenet50.anet")))),
    ]
    best: dict[str, tuple[float, str, str]] = {}
    for run in sorted(runs.glob("*-seed*")):
        state = load_state(run)
        top = state.best()
        strategy = run.name.split("-seed")[0]
        if top is not None and (strategy not in best or top.fitness > best[strategy][0]):
            best[strategy] = (top.fitness, f"{run.name}/{top.id}", top.text)
    order = sorted(best, key=lambda s: list(STRATEGY_NAMES).index(s) if s in STRATEGY_NAMES else len(STRATEGY_NAMES))
    for i, strategy in enumerate(order):
        fitness, where, text = best[strategy]
        found.append((evolved_label(strategy, where, fitness, first=i == 0), text))
    return found


STRATEGY_NAMES = {"guided": "guided evolution", "standard": "standard evolution", "random": "random search"}


def evolved_label(strategy: str, where: str, fitness: float, *, first: bool) -> str:
    """An evolved network's row: its strategy, run and candidate, and the fitness the search gave it
    (named on the first such row)."""
    name = STRATEGY_NAMES.get(strategy, strategy)
    return f"best of {name} (`{where}`, {'search fitness ' if first else ''}{fitness:.3f})"


def mean_se(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} +- {statistics.stdev(values) / math.sqrt(len(values)):.3f}"


def ordering_table(results: dict[str, list[tuple[float, float]]]) -> Table:
    """Per network, over training seeds: validation top-1 and fitness, mean +- standard error."""
    rows = [[label, mean_se([r[0] for r in runs]), mean_se([r[1] for r in runs])] for label, runs in results.items()]
    return Table(["network", "top-1", "fitness (top-1 + top-5)"], rows)


def one(label: str, text: str, seed: int, settings: dict[str, Any]) -> tuple[str, int, float, float, float]:
    torch.set_num_threads(1)
    from anet.data.spec import parse_data_spec
    from anet.dsl import parse
    from anet.evolution.mutate import as_candidate
    from anet.training import TrainConfig, train

    network = as_candidate(parse(text))
    config = TrainConfig(
        iterations=settings["iterations"],
        batch_size=8,
        width=0.125,
        frames=8,
        size=settings["size"],
        edge_lr=settings["edge_lr"],
        bn_batches=settings["bn_batches"],
        seed=seed,
        progress=False,
        precision="fp32",
    )
    data = parse_data_spec(f"proxy:train=1024,val={settings['val']},size={settings['size']},seed=7")
    started = time.perf_counter()
    result = train(network, text, data, config)
    return label, seed, result.metrics["top1"], result.metrics["fitness"], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=Path, default=Path("runs/figure4"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=120)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--edge-lr", type=float, default=PROXY_EDGE_LR)
    parser.add_argument("--bn-batches", type=int, default=BN_BATCHES)
    parser.add_argument("--val", type=int, default=512)
    parser.add_argument("--processes", type=int, default=2)
    add_docs_option(parser, "proxy_ordering")
    args = parser.parse_args()
    settings = {k: v for k, v in vars(args).items() if k != "write_docs"} | {"runs": str(args.runs)}
    networks = candidates(args.runs)
    print(
        f"proxy training {args.iterations} iterations x batch 8, width 1/8, 8 x {args.size} px, logit lr "
        f"x{args.edge_lr:g}, BN over {args.bn_batches} batches, {args.val} validation clips, training seeds "
        f"1-{args.seeds}; torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}",
        flush=True,
    )
    jobs = [(label, text, seed) for seed in range(1, args.seeds + 1) for label, text in networks]
    results: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in networks}
    with ProcessPoolExecutor(args.processes, mp_context=get_context("spawn")) as pool:
        for label, seed, top1, fitness, seconds in pool.map(one, *zip(*jobs, strict=True), [settings] * len(jobs)):
            results[label].append((top1, fitness))
            print(f"  {label}, seed {seed}: top-1 {top1:.3f}, fitness {fitness:.3f} ({seconds:.0f} s)", flush=True)
    (args.runs / "proxy_ordering.json").write_text(json.dumps({"settings": settings, "results": results}, indent=1))
    print()
    publish(args, "proxy_ordering", ordering_table(results).markdown())


if __name__ == "__main__":
    main()
