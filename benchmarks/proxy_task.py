"""Is the built-in proxy task a real video task, and how do the paper's architectures rank on it?

    python -m benchmarks.proxy_task [--iterations 300] [--seeds 2] [--size 48] [--train 2048] [--write-docs]

Trains, side by side with the same recipe and data:
  - a single-frame model (one RGB stream, 1 frame per clip): must score far below ...
  - ... the same network on 8 frames (temporal);
  - RGB + flow (two-stream late fusion, flow computed in the network): should beat RGB alone;
  - AssembleNet-50's published connectivity, narrowed, learning its own weights: compared with the
    two-stream late-fusion baseline (the paper's claim, on our proxy task).
All models at width 1/8, 48 px, batch 8; validation top-1 on held-out clips, mean over seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from anet.data.spec import DataSpec, parse_data_spec
from anet.dsl import format_network, load
from anet.evolution.mutate import as_candidate
from anet.training import TrainConfig, train

from .common import Table, add_docs_option, publish

ROOT = Path(__file__).resolve().parents[1]
MODELS = [
    ("single frame, RGB", "one_stream_rgb.anet", 1),
    ("8 frames, RGB", "one_stream_rgb.anet", 8),
    ("8 frames, RGB + flow, late fusion (`two_stream_late_fusion.anet`)", "two_stream_late_fusion.anet", 8),
    ("8 frames, AssembleNet-50 connectivity, learning its weights", "assemblenet50.anet", 8),
]


@dataclass(frozen=True)
class Trained:
    """One model's validation top-1 and training seconds, one of each per seed."""

    label: str
    top1: list[float]
    seconds: list[float]


def task_table(results: list[Trained]) -> Table:
    rows = [
        [
            r.label,
            f"{statistics.mean(r.top1):.3f} ({min(r.top1):.3f}-{max(r.top1):.3f})",
            f"{statistics.mean(r.seconds):.0f}",
        ]
        for r in results
    ]
    return Table(["model", "top-1 (mean, min-max)", "s per run"], rows)


class OneFrame(torch.utils.data.Dataset):
    """Each clip reduced to one random frame: what a single-frame model gets to see."""

    def __init__(self, dataset: torch.utils.data.Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        item = dict(self.dataset[index])
        t = int(torch.randint(item["rgb"].shape[1], ()))
        item["rgb"] = item["rgb"][:, t : t + 1]
        return item


def single_frame(spec: DataSpec) -> DataSpec:
    factory = spec._factory
    return dataclasses.replace(spec, _factory=lambda split, clip: OneFrame(factory(split, clip)))


def train_seeds(label: str, file: str, frames: int, args: argparse.Namespace) -> Trained:
    network = as_candidate(load(ROOT / "examples" / file))
    text = format_network(network)
    result = Trained(label, [], [])
    for seed in range(args.seeds):
        # Every model reads clips of 8 frames (the data spec states it, and anet train refuses a
        # --frames that disagrees); the single-frame model sees one random frame of each.
        data = parse_data_spec(f"proxy:train={args.train},val=512,size={args.size},frames=8,seed={seed}")
        if frames == 1:
            data = single_frame(data)
        config = TrainConfig(
            iterations=args.iterations,
            batch_size=8,
            width=0.125,
            frames=8,
            size=args.size,
            progress=False,
            seed=seed,
            precision="fp32",
        )
        started = time.perf_counter()
        top1 = train(network, text, data, config).metrics["top1"]
        result.seconds.append(time.perf_counter() - started)
        result.top1.append(top1)
        print(f"  {label} seed {seed}: top-1 {top1:.3f} ({result.seconds[-1]:.0f} s)", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--train", type=int, default=2048, help="training clips in the proxy split")
    add_docs_option(parser, "proxy_task")
    args = parser.parse_args()
    torch.set_num_threads(2)
    results = [train_seeds(label, file, frames, args) for label, file, frames in MODELS]
    print(
        f"\nproxy task, 8 classes (chance 0.125), {args.iterations} iterations x batch 8, width 1/8, "
        f"{args.size} px, {args.seeds} seeds\n"
    )
    publish(args, "proxy_task", task_table(results).markdown())


if __name__ == "__main__":
    main()
