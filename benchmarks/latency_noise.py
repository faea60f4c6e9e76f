"""How much a measured latency moves on a shared machine: the search measures every candidate's cost
(``anet.cost.measure_cost``) and may do so while another candidate trains on the other cores.

``measure_cost`` of AssembleNet-50 at a small deploy shape (default 8 x 112, batch 1, the precision
``auto`` chooses, 1 warm-up and 5 timed runs, median) is called ``--runs`` times on ``--threads``
threads, each call the whole procedure the search runs (compile, build, fold, time):

* ``alone``: nothing else of ours runs (other users' processes may: the load average is printed);
* ``next to training``: while ``python -m anet train`` trains the search's proxy (AssembleNet-50 at
  width 0.125, 8 frames of 48 px, batch 8) on one thread, started before and stopped after.

For each condition: the median of the figures, their interquartile range and (max - min) / median,
and the median of each figure's own spread (the interquartile range of its timed runs).

Run from the repository root::

    python -m benchmarks.latency_noise [--shape 8x112] [--runs 10] [--threads 1] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from anet.cost import Cost, DeployTarget, measure_cost

from .common import ROOT, Table, add_docs_option, load_line, machine, publish

TRAINING_STARTS_S = 180  # the trainer's import, data and first logged steps take about 10 s on 2 cores


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--shape", default="8x112", help="deploy shape FRAMESxSIZE (default 8x112)")
    parser.add_argument("--runs", type=int, default=10, help="measure_cost calls per condition")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the measurement")
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    add_docs_option(parser, "latency_noise")
    return parser.parse_args()


def measure(text: str, target: DeployTarget, runs: int) -> list[Cost]:
    return [measure_cost(text, target) for _ in range(runs)]


def trainer(out: Path) -> subprocess.Popen[bytes]:
    """The search's proxy training on one thread, long enough to outlast the measurements; returns
    once it has logged its first steps (train.csv has a row)."""
    command = [sys.executable, "-m", "anet", "train", str(ROOT / "examples" / "assemblenet50.anet"), "--data"]
    command += ["proxy", "--width", "0.125", "--frames", "8", "--size", "48", "--batch-size", "8"]
    command += ["--iterations", "1000000", "--checkpoint-every", "0", "--bn-batches", "0", "--out", str(out)]
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + TRAINING_STARTS_S
    csv = out / "train.csv"
    while not (csv.is_file() and len(csv.read_text(encoding="utf-8").splitlines()) > 1):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the training next to the measurements did not start: {' '.join(command)}")
        time.sleep(0.5)
    return process


def noise(costs: Sequence[Cost]) -> dict[str, float]:
    """Across the figures: median, interquartile range, (max - min) / median; and the median of each
    figure's own spread."""
    figures = [c.latency_ms for c in costs]
    median = statistics.median(figures)
    first, _, third = statistics.quantiles(figures, n=4, method="inclusive") if len(figures) > 1 else (0, 0, 0)
    return {
        "median": median,
        "iqr": third - first,
        "range": (max(figures) - min(figures)) / median,
        "within": statistics.median(c.spread_ms for c in costs),
    }


def noise_table(conditions: dict[str, Sequence[Cost]]) -> Table:
    header = ["condition", "figures", "median ms", "IQR ms", "(max - min) / median", "spread within a figure, ms"]
    rows = []
    for name, costs in conditions.items():
        n = noise(costs)
        rows.append(
            [
                name,
                str(len(costs)),
                f"{n['median']:.0f}",
                f"{n['iqr']:.0f}",
                f"{n['range'] * 100:.0f} %",
                f"{n['within']:.0f}",
            ]
        )
    return Table(header, rows, ["l", "r", "r", "r", "r", "r"])


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    text = Path(args.file).read_text(encoding="utf-8")
    target = DeployTarget.from_shape(args.shape)
    cpu = machine()
    print(cpu)
    print(f"{Path(args.file).name} at {target.shape}, {args.runs} figures per condition; {load_line()}")
    conditions = {"alone": measure(text, target, args.runs)}
    first = conditions["alone"][0]
    print(f"measured on {first.device} in {first.precision}, {first.gflops:.1f} GFLOPs")
    with tempfile.TemporaryDirectory() as out:
        process = trainer(Path(out) / "run")
        try:
            print("training started next to the measurements")
            conditions["next to training (1 thread)"] = measure(text, target, args.runs)
        finally:
            process.kill()
            process.wait()
    # the measurements and the training add up to 2 of the 1-minute average themselves
    print(f"at the end: {load_line(busy_above=2.5)}")
    for name, costs in conditions.items():
        print(f"{name}: " + " ".join(f"{c.latency_ms:.0f}" for c in costs) + " ms")
    note = (
        f"Each figure: `measure_cost` of `{Path(args.file).name}` at {target.shape} (batch 1, "
        f"{target.warmup} warm-up, median of {target.repeats} runs) on {first.device}, {first.precision}, "
        f"{first.gflops:.1f} GFLOPs."
    )
    publish(args, "latency_noise", f"{noise_table(conditions).markdown()}\n\n{note}", cpu)


if __name__ == "__main__":
    main()
