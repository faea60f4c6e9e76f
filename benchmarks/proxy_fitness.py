"""How long one proxy fitness evaluation takes: the work `anet evolve` does per candidate.

    python -m benchmarks.proxy_fitness [--iterations 200] [--size 48] [--threads 2]

AssembleNet-50's connectivity at 1/8 of the published widths (learning its own connection
weights at 10x the shared learning rate), 8 frames of 48 px, batch 8, BN statistics re-estimated
over 32 training batches, then top-1 + top-5 on the 512 validation clips of the built-in proxy task:
the defaults of `anet evolve`. Target (language-independent, from the training issue): at most 60 s
on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from anet.dsl import format_network, load
from anet.evolution.config import proxy_training
from anet.evolution.fitness import FitnessTask, evaluate
from anet.evolution.mutate import as_candidate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = proxy_training()
    updates = {k: v for k, v in {"iterations": args.iterations, "size": args.size}.items() if v is not None}
    config = config.model_copy(update=updates)
    text = format_network(as_candidate(load(ROOT / "examples" / "assemblenet50.anet")))
    print(
        f"settings: {config.iterations} iterations, batch {config.batch_size}, width {config.width}, "
        f"{config.frames} frames x {config.size} px, logit lr x{config.edge_lr:g}, BN over {config.bn_batches} "
        f"batches, validation on the proxy split, {args.threads} threads, CPU capability "
        f"{torch.backends.cpu.get_cpu_capability()}"
    )
    for repeat in range(args.repeats):
        started = time.perf_counter()
        result = evaluate(FitnessTask("bench", text, "proxy", "proxy", config.model_dump(mode="json")))
        seconds = time.perf_counter() - started
        if result.error:
            raise SystemExit(result.error)
        print(
            f"run {repeat}: {seconds:.1f} s (training + validation), fitness {result.fitness:.3f}, "
            f"top-1 {result.metrics['top1']:.3f}"
        )


if __name__ == "__main__":
    main()
