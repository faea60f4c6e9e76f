"""Training progress for whoever watches: a rich progress bar on a terminal, and plain timestamped
lines when stdout is a file or a pipe (a cluster job's log, `| tee`), where a bar prints nothing
until the end. Silent when disabled (search workers, tests).

A plain line is printed when the run passes each tenth of its iterations and whenever 30 s went by
without one, so a log shows life at least every 30 s and at most about 10 + (run time / 30 s) lines:

    2026-12-01 18:40:03 step 40/400 (10%) loss 2.0712 lr 0.0125 clips/s 35.2 ETA 0:01:49
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from types import TracebackType
from typing import TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

PLAIN_EVERY_S = 30.0
PLAIN_SHARE = 0.1


def stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class TrainingProgress:
    def __init__(
        self,
        *,
        total: int,
        start: int = 0,
        enabled: bool = True,
        description: str = "training",
        plain: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        """`plain` None: plain lines exactly when `stream` (default stdout) is not a terminal."""
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.plain = enabled and (not self.stream.isatty() if plain is None else plain)
        self.total, self.step, self._start_step = total, start, start
        self._clips = 0
        self._started = self._last_line = time.monotonic()
        self._next_share = (start * 10 // max(total, 1) + 1) if total else 11
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f}"),
            TextColumn("{task.fields[rate]:.1f} clips/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            disable=not enabled or self.plain,
            transient=False,
        )
        self._task = self._progress.add_task(description, total=total, completed=start, loss=float("nan"), rate=0.0)

    def __enter__(self) -> TrainingProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.__exit__(kind, value, traceback)

    def advance(self, *, loss: float, clips: int, lr: float | None = None) -> None:
        self._clips += clips
        self.step += 1
        now = time.monotonic()
        rate = self._clips / max(now - self._started, 1e-9)
        if not self.plain:
            self._progress.update(self._task, advance=1, loss=loss, rate=rate)
            return
        share_reached = self.step * 10 >= self._next_share * self.total
        if share_reached or now - self._last_line >= PLAIN_EVERY_S or self.step == self.total:
            while self._next_share * self.total <= self.step * 10:
                self._next_share += 1
            self._last_line = now
            done = self.step - self._start_step
            eta = (now - self._started) / max(done, 1) * (self.total - self.step)
            self.line(
                f"step {self.step}/{self.total} ({100 * self.step // max(self.total, 1)}%) loss {loss:.4f}"
                + (f" lr {lr:.4g}" if lr is not None else "")
                + f" clips/s {rate:.1f} ETA {timedelta(seconds=round(eta))}"
            )

    def line(self, text: str) -> None:
        """A line of its own (a data summary, validation metrics): timestamped in plain mode, above
        the bar on a terminal."""
        if not self.enabled:
            return
        if self.plain:
            print(f"{stamp()} {text}", file=self.stream, flush=True)
        else:
            self._progress.console.print(text, markup=False, highlight=False)
