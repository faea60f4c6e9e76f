"""A rich progress bar with loss, throughput and ETA; silent when disabled (workers, tests)."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class TrainingProgress:
    def __init__(self, *, total: int, start: int = 0, enabled: bool = True, description: str = "training") -> None:
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f}"),
            TextColumn("{task.fields[rate]:.1f} clips/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            disable=not enabled,
            transient=False,
        )
        self._task = self._progress.add_task(description, total=total, completed=start, loss=float("nan"), rate=0.0)
        self._clips = 0

    def __enter__(self) -> TrainingProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.__exit__(kind, value, traceback)

    def advance(self, *, loss: float, clips: int) -> None:
        self._clips += clips
        task = self._progress.tasks[0]
        elapsed = task.elapsed or 1e-9
        self._progress.update(self._task, advance=1, loss=loss, rate=self._clips / elapsed)
