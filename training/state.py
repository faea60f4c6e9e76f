"""What the training loop counts as it goes: the state a checkpoint carries so that a resumed run
continues exactly (`TrainingState`), and the steps since the last row of `train.csv` (`LossWindow`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class TrainingState:
    """The step reached, the loss curve so far (the rows of `train.csv`), and the best validation
    (`step`, `fitness`) for `--keep best`: what, besides the weights, optimiser and schedule, a
    resumed run needs to write what the uninterrupted run would have written. Plain lists and
    dicts, stored as they are in the checkpoint (older checkpoints have no `best`)."""

    step: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)


@dataclass
class LossWindow:
    """The steps since the last logged row: a row reports their mean loss, not the last step's
    (one batch's loss is noise), and their throughput."""

    loss: float = 0.0
    steps: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, loss: float) -> None:
        self.loss += loss
        self.steps += 1

    def row(self, step: int, *, lr: float, clips: int) -> dict[str, float]:
        """The `train.csv` row at `step`; `clips` are those one step trains on, all processes together."""
        elapsed = time.perf_counter() - self.started
        return {
            "step": step,
            "loss": self.loss / self.steps,
            "lr": lr,
            "clips_per_s": self.steps * clips / max(elapsed, 1e-9),
        }

    def restart(self) -> None:
        self.loss, self.steps, self.started = 0.0, 0, time.perf_counter()
