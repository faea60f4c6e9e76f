"""benchmarks/tf_comparison.py's table: medians per clip size, TensorFlow's time over anet's beside
anet's; and the file still runs as the script its TensorFlow worker is (no package there)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_gives_tensorflow_time_over_each_anet_time(benchmark_module):
    benchmark = benchmark_module("tf_comparison")
    info = {"tf": {"version": "2.20.0"}, "fp32": {"choice": "fp32"}, "auto": {"choice": "bf16 autocast"}}
    small = benchmark.Comparison(8, 112, {"tf": [0.181, 0.2, 0.17], "fp32": [0.125], "auto": [0.0787]}, info)
    large = benchmark.Comparison(32, 224, {"tf": [2.909], "fp32": [1.926], "auto": [1.177]}, info)
    lines = benchmark.comparison_table([small, large]).markdown().splitlines()
    assert lines[0] == "| clip | TF 2.20 official, fp32 | anet fp32 | anet, `--precision auto` (bf16 autocast) |"
    assert lines[2] == "| 8 x 112 x 112 | 0.181 s | 0.125 s (1.45x) | 0.079 s (2.30x) |"
    assert lines[3] == "| 32 x 224 x 224 | 2.909 s | 1.926 s (1.51x) | 1.177 s (2.47x) |"


def test_the_file_runs_as_a_script_without_the_package_for_its_worker():
    # The worker's command line: `python tf_comparison.py --worker ...`; a wrong one stops in argparse,
    # after every import at the top of the file has run.
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "tf_comparison.py"), "--worker", "fp32"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "the following arguments are required: --frames, --size" in done.stderr


def test_the_training_table_says_so_and_gives_the_batch(benchmark_module):
    benchmark = benchmark_module("tf_comparison")
    info = {"tf": {"version": "2.20.0"}, "fp32": {"choice": "fp32"}, "auto": {"choice": "bf16 autocast"}}
    step = benchmark.Comparison(8, 112, {"tf": [1.2], "fp32": [0.8], "auto": [0.6]}, info, batch=2)
    lines = benchmark.comparison_table([step], training=True).markdown().splitlines()
    assert lines[0].startswith("| clip, training step | TF 2.20 official, fp32 | anet fp32 |")
    assert lines[2] == "| 2 x 8 x 112 x 112 | 1.200 s | 0.800 s (1.50x) | 0.600 s (2.00x) |"
    info = {kind: {"name": kind, "parameters": 1000} for kind in ("tf", "fp32", "auto")}
    note = benchmark.note([benchmark.Comparison(8, 112, {}, info, batch=2)], 3, training=True)
    assert note.startswith("Medians of 3 rounds of one training step each (train mode,") and "batch 2;" in note


def test_a_task_reaches_the_worker_as_it_was_given(benchmark_module, monkeypatch):
    benchmark = benchmark_module("tf_comparison")
    task = benchmark.Task(8, 112, batch=2, training=True)
    served = []
    monkeypatch.setattr(benchmark, "serve", lambda kind, task, code: served.append((kind, task, code)))
    monkeypatch.setattr(sys, "argv", ["tf_comparison.py", "--worker", "auto", *task.argv(), "--tf-code", "DIR"])
    benchmark.worker_main()
    assert served == [("auto", task, "DIR")]


def test_the_training_run_writes_its_own_block_unless_told_another(benchmark_module, monkeypatch):
    benchmark = benchmark_module("tf_comparison")
    for argv, block in [
        (["--write-docs"], "tf_comparison"),
        (["--training", "--write-docs"], "tf_comparison:training"),
        (["--training", "--write-docs", "tf_comparison:training"], "tf_comparison:training"),
        (["--training"], None),
    ]:
        monkeypatch.setattr(sys, "argv", ["tf_comparison", *argv])
        assert benchmark.parse_args().write_docs == block, argv
