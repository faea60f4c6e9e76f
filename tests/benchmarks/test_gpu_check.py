"""benchmarks/gpu_check.py: without CUDA it says so and succeeds; its dry run on the CPU goes through
the forward, the flow layer and a training step at a tiny size. Its torch.compile variant (dynamo's
tracing alone takes seconds) and its 2-process DDP step (two more interpreters) are left to
`python -m benchmarks.gpu_check --dry-run` by hand: about a minute on 2 busy cores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).parents[2]
COMMAND = [sys.executable, "-m", "benchmarks.gpu_check"]  # from the repository root


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_cuda_it_says_so_and_exits_0():
    done = run()
    assert done.returncode == 0, done.stderr
    assert "no CUDA device here" in done.stdout


def test_the_dry_run_measures_every_part_on_the_cpu():
    network = str(ROOT / "examples" / "two_stream_late_fusion.anet")
    tiny = ["--frames", "2", "--size", "32", "--batch", "1", "--file", network]
    done = run("--dry-run", "--skip-ddp", "--skip-compile", *tiny)
    assert done.returncode == 0, done.stderr
    for part in ("two_stream_late_fusion.anet", "forward, bf16", "flow layer alone", "training step, bf16"):
        assert part in done.stdout, done.stdout
