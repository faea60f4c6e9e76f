"""Metrics on disk: one CSV per phase (train.csv, val.csv) that spreadsheets and pandas read, and
TensorBoard event files (tensorboard is optional; without it only the CSVs are written)."""

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

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
