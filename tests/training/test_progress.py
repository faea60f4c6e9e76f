"""Progress off a terminal: plain timestamped lines at every tenth of the run and at least every 30 s."""

from __future__ import annotations

import io
import re

import pytest

from anet.training import progress as progress_module
from anet.training.progress import TrainingProgress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def steps_logged(total: int, seconds_per_step: float, monkeypatch: pytest.MonkeyPatch, start: int = 0) -> list[int]:
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    stream = io.StringIO()  # not a terminal: plain lines
    with TrainingProgress(total=total, start=start, stream=stream) as progress:
        for _ in range(start, total):
            clock.now += seconds_per_step
            progress.advance(loss=1.5, clips=8, lr=0.1)
    lines = stream.getvalue().splitlines()
    pattern = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d step (\d+)/\d+ \(\d+%\) loss 1\.5000 lr 0\.1 clips/s [\d.]+ ETA [\d:]+"
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    return [int(re.search(r"step (\d+)/", line).group(1)) for line in lines]


def test_a_fast_run_logs_each_tenth(monkeypatch):
    assert steps_logged(1000, 0.1, monkeypatch) == list(range(100, 1001, 100))


def test_a_slow_run_logs_at_least_every_30_seconds(monkeypatch):
    logged = steps_logged(200, 1.0, monkeypatch)  # a tenth (20 s) always comes before 30 s have passed
    assert logged == [20, 40, 60, 80, 100, 120, 140, 160, 180, 200]
    logged = steps_logged(100, 7.0, monkeypatch)  # a tenth is 70 s: 30 s rule every 5 steps (35 s)
    assert logged == list(range(5, 101, 5))


def test_a_resumed_run_counts_from_where_it_stands(monkeypatch):
    assert steps_logged(100, 0.1, monkeypatch, start=45) == [50, 60, 70, 80, 90, 100]


def test_a_line_of_its_own_is_timestamped():
    stream = io.StringIO()
    TrainingProgress(total=10, stream=stream).line("validation at step 10: top1 0.5")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d validation at step 10: top1 0.5\n", stream.getvalue())


def test_disabled_progress_prints_nothing():
    stream = io.StringIO()
    with TrainingProgress(total=10, stream=stream, enabled=False) as progress:
        progress.advance(loss=1.0, clips=8)
        progress.line("hello")
    assert stream.getvalue() == ""
