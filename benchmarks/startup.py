"""Start-up time of `anet check` and `anet fmt --check` on one file: the installed console script,
each run a fresh process, against `python -c pass` in the same interpreter (what no Python command
can beat), alternating so that other load on the machine hits all alike. Target: `anet check` under
0.25 s per invocation.

Run from the repository root::

    python -m benchmarks.startup [--rounds 20] [--file examples/assemblenet50.anet] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .common import Table, add_docs_option, publish

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    add_docs_option(parser, "startup")
    args = parser.parse_args()
    anet = Path(sys.executable).with_name("anet")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "anet check FILE": [str(anet), "check", args.file],
        "anet fmt --check FILE": [str(anet), "fmt", "--check", args.file],
    }
    # The CPU line imports torch: in a child, so that this process stays as light as the others.
    cpu = subprocess.run(
        [sys.executable, "-c", "from anet.training.device import describe_cpu; print(describe_cpu())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(cpu)
    print(f"load average before: {os.getloadavg()[0]:.1f}; {args.rounds} rounds, file {args.file}")
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file system cache and Lark's table cache
        subprocess.run(command, capture_output=True, check=False)
    for _ in range(args.rounds):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=False)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        minus = f"{median - base:.3f} s" if name != "python -c pass" else ""
        rows.append([f"`{name}`", f"{median:.3f} s", f"{min(values):.3f} s", minus])
    check = statistics.median(times["anet check FILE"])
    verdict = "ok" if check < TARGET_S else "missed"
    table = Table(["command", "median", "min", "median minus `python -c pass`"], rows).markdown()
    summary = f"`anet check`: {check:.3f} s per invocation (target < {TARGET_S} s: {verdict})"
    publish(args, "startup", f"{table}\n\n{summary}", machine_line=cpu)


if __name__ == "__main__":
    main()
