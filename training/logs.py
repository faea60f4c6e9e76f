"""Metrics on disk: one CSV per phase (train.csv, val.csv) that spreadsheets and pandas read, and
TensorBoard event files (tensorboard is optional; without it only the CSVs are written): the same
scalars, the learned connection weights over time (`edges/BLOCK/INPUT`), and the run's settings
with its final metrics as hyperparameters (TensorBoard's HPARAMS tab compares runs by them)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


class MetricsLog:
    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self._writer: Any = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(out_dir / "tensorboard"))
        except ImportError:
            self._writer = None

    def write(self, phase: str, row: dict[str, float]) -> None:
        path = self.out_dir / f"{phase}.csv"
        new = not path.exists()
        with path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        if self._writer is not None:
            step = int(row["step"])
            for key, value in row.items():
                if key != "step":
                    self._writer.add_scalar(f"{phase}/{key}", value, step)

    def edge_weights(self, step: int, weights: dict[str, dict[str, float]]) -> None:
        """Sigmoid weight of every input (by its node id) of every multi-input block."""
        if self._writer is not None:
            for block, inputs in weights.items():
                for source, weight in inputs.items():
                    self._writer.add_scalar(f"edges/{block}/{source}", weight, step)

    def hyperparameters(self, settings: dict[str, Any], metrics: dict[str, float]) -> None:
        """TensorBoard takes numbers, strings and booleans; None is written as "none"."""
        if self._writer is not None:
            kept = {k: v for k, v in settings.items() if isinstance(v, int | float | str | bool | None)}
            values = {k: "none" if v is None else v for k, v in kept.items()}
            self._writer.add_hparams(values, {f"hparam/{k}": v for k, v in metrics.items()}, run_name=".")

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
