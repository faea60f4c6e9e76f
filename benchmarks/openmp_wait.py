"""How OpenMP's threads wait between kernels, measured: the default anet sets (anet.host) against
libgomp's own default and fully passive waiting. The CPU's capability is printed first.

Per setting, 10 proxy training steps (AssembleNet-50 at width 1/8, batch 8 x 8 x 48 x 48, fp32, the
search's workload) in a fresh process: once alone, then with ``--side-by-side`` copies at once (as
when other jobs share the cores; each figure is the slowest copy). A bf16 forward of AssembleNet-50
at 32 x 224 x 224 alone is added with ``--full``. Settings alternate round by round.

Run from the repository root::

    python -m benchmarks.openmp_wait [--rounds 2] [--side-by-side 3] [--full] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from anet.host import OPENMP_SPIN_COUNT, openmp_environment

from .common import Table, add_docs_option, publish

ROOT = Path(__file__).resolve().parents[1]

ANET: dict[str, str] = {}
openmp_environment(ANET)
SETTINGS = {
    f"anet (`GOMP_SPINCOUNT={OPENMP_SPIN_COUNT}`)": ANET,
    "passive (`OMP_WAIT_POLICY=PASSIVE`)": {"OMP_WAIT_POLICY": "PASSIVE"},
    "libgomp default (~300,000 spins)": {},
}
WORKLOADS = {
    "proxy": "10 proxy training steps (width 1/8, 8 x 8 x 48 x 48, fp32)",
    "full": "bf16 forward, AssembleNet-50, 1 x 32 x 224 x 224",
}
Times = dict[tuple[str, int, str], list[float]]  # (workload, copies, setting) -> seconds per round


def wait_table(times: Times) -> Table:
    """One row per workload and number of copies, one column per setting: the median over rounds."""
    cases = list(dict.fromkeys((kind, copies) for kind, copies, _ in times))
    rows = []
    for i, (kind, copies) in enumerate(cases):
        same = i > 0 and cases[i - 1][0] == kind
        medians = [f"{statistics.median(times[(kind, copies, name)]):.2f} s" for name in SETTINGS]
        rows.append(["the same" if same else WORKLOADS[kind], str(copies), *medians])
    return Table(["workload", "copies", *SETTINGS], rows)


def worker(kind: str) -> None:
    import torch

    from anet.compiler import compile_file

    torch.manual_seed(0)
    module = compile_file(ROOT / "examples" / "assemblenet50.anet")
    if kind == "proxy":
        model = module.build_model(num_classes=8, width=0.125)
        rgb, labels = torch.rand(8, 3, 8, 48, 48), torch.arange(8)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def run() -> None:
            for _ in range(10):
                loss = torch.nn.functional.cross_entropy(model(rgb), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

    else:
        model = module.build_model(num_classes=339).eval()
        clip = torch.rand(1, 3, 32, 224, 224)

        def run() -> None:
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                model(clip)

    run()  # warm-up: oneDNN kernels, allocator
    start = time.perf_counter()
    run()
    print(time.perf_counter() - start)


def timed(kind: str, env: dict[str, str], copies: int) -> float:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    command = [sys.executable, "-m", "benchmarks.openmp_wait", "--worker", kind]
    processes = [
        subprocess.Popen(command, env=base | env, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(copies)
    ]
    outputs = [p.communicate()[0] for p in processes]
    if any(p.returncode for p in processes):
        raise SystemExit(f"a {kind} worker failed")
    return max(float(out.split()[-1]) for out in outputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--side-by-side", type=int, default=3, help="copies run at once (0: skip)")
    parser.add_argument("--full", action="store_true", help="add AssembleNet-50's bf16 forward at 32 x 224 x 224")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    add_docs_option(parser, "openmp_wait")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    from anet.training.device import describe_cpu

    print(describe_cpu())
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    cases = [("proxy", 1)]
    cases += [("proxy", args.side_by_side)] if args.side_by_side else []
    cases += [("full", 1)] if args.full else []
    times: Times = {}
    for _ in range(args.rounds):
        for kind, copies in cases:
            for name, env in SETTINGS.items():
                times.setdefault((kind, copies, name), []).append(timed(kind, env, copies))
    print(f"load average {os.getloadavg()[0]:.1f} at the end; medians of {args.rounds} rounds\n")
    publish(args, "openmp_wait", wait_table(times).markdown())


if __name__ == "__main__":
    main()
