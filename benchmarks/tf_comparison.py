"""AssembleNet-50's forward in anet against the authors' TensorFlow implementation, side by side.

Three worker processes stay alive for each clip size, each with its model built and warmed up: the
TensorFlow Model Garden's AssembleNet-50 in its default fp32 (Keras graph through `tf.function`,
published structure and edge weights, RepresentationFlow computing flow in the network), anet's
generated AssembleNet-50 in fp32, and anet in what `--precision auto` picks on this machine (both
anet workers run the model's inference copy, BN folded once, as `anet predict` and `anet eval` do). The
parent asks them for one forward each in turn, round after round, so that other load on the
machine hits all three alike. Batch 1, eval, no gradient, random clips; threads: each framework's
default (all cores). Target: anet at least 3x TensorFlow fp32 at 32 x 224 x 224.

TensorFlow is not a dependency of anet: it runs in its own virtual environment, and the Model
Garden's `official/projects/assemblenet` folder is not in the `tf-models-official` wheel. Set up::

    python3.11 -m venv /some/tfvenv
    /some/tfvenv/bin/pip install "tensorflow-cpu==2.20.*" "tf-models-official==2.20.*"
    # copy tensorflow/models' official/projects/assemblenet/{configs,modeling}/*.py into
    # /some/tf_code/official/projects/assemblenet/ (with empty __init__.py files; under Python 3.11
    # the config dataclasses' nested defaults need dataclasses.field(default_factory=...))

then, from the repository root::

    python -m benchmarks.tf_comparison --tf-python /some/tfvenv/bin/python --tf-code /some/tf_code \\
        [--sizes 8x112,32x224] [--repeats 3] [--write-docs]

(or set ANET_TF_PYTHON and ANET_TF_CODE). Without them, or when that TensorFlow cannot import the
code, it prints these instructions and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .common import Table

# This file is also the TensorFlow worker, run as a script (`python tf_comparison.py --worker tf`) in
# TensorFlow's own venv, which has neither anet nor this package: what it shares with the other
# benchmarks (.common) is imported where the parent uses it, not at the top.

ROOT = Path(__file__).resolve().parents[1]
CLASSES = 339  # Moments in Time, as the published structure was searched on
TF_IMPORT = """
import sys, official.projects
official.projects.__path__.append(sys.argv[1] + "/official/projects")
from official.projects.assemblenet.modeling import assemblenet
"""


def tf_worker(frames: int, size: int, code: str) -> tuple[object, dict[str, object]]:
    import official.projects

    official.projects.__path__.append(f"{code}/official/projects")
    import tensorflow as tf
    import tf_keras
    from official.projects.assemblenet.configs import assemblenet as cfg
    from official.projects.assemblenet.modeling import assemblenet as asn

    model = asn.assemblenet_v1(
        50,
        CLASSES,
        frames,
        cfg.asn50_structure,
        input_specs=tf_keras.layers.InputSpec(shape=[1, frames, size, size, 3]),
        model_edge_weights=cfg.asn_structure_weights,
    )
    forward = tf.function(lambda x: model({"image": x}, training=False))
    clip = tf.random.uniform([1, frames, size, size, 3])
    info = {"name": "TensorFlow 2.20 official, fp32", "version": tf.__version__, "parameters": model.count_params()}
    return lambda: forward(clip).numpy(), info


def anet_worker(frames: int, size: int, precision: str) -> tuple[object, dict[str, object]]:
    import torch

    from anet.compiler import compile_file
    from anet.host import keep_freed_memory
    from anet.runtime import inference_copy
    from anet.training.device import choose_precision

    keep_freed_memory()  # as every command that runs a model
    torch.manual_seed(0)
    model = compile_file(ROOT / "examples" / "assemblenet50.anet").build_model(num_classes=CLASSES).eval()
    choice = choose_precision(precision, torch.device("cpu"))  # type: ignore[arg-type]
    clip = torch.rand(1, 3, frames, size, size)

    frozen = inference_copy(model, choice.dtype)  # what `anet predict` and `anet eval` run

    def forward() -> None:
        with (
            torch.no_grad(),
            torch.autocast("cpu", dtype=choice.dtype or torch.float32, enabled=choice.dtype is not None),
        ):
            frozen(clip)

    info = {
        "name": f"anet, {choice.describe()}" + (" (--precision auto)" if precision == "auto" else ""),
        "choice": choice.describe(),
        "reason": choice.reason,
        "version": torch.__version__,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    return forward, info


def serve(kind: str, frames: int, size: int, code: str) -> None:
    """Worker side: build, warm up, say ready, then one timed forward per line read."""
    forward, info = tf_worker(frames, size, code) if kind == "tf" else anet_worker(frames, size, kind)
    forward()  # tracing (TensorFlow), oneDNN kernels (both)
    print(json.dumps(info), flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        forward()
        print(time.perf_counter() - start, flush=True)


@dataclass
class Worker:
    kind: str
    process: subprocess.Popen[str]
    info: dict[str, object]

    @classmethod
    def start(cls, python: str, kind: str, frames: int, size: int, code: str) -> Worker:
        command = [python, __file__, "--worker", kind, "--frames", str(frames), "--size", str(size), "--tf-code", code]
        env = dict(os.environ)
        if kind != "tf":  # OpenMP's threads wait as under the `anet` command; TensorFlow has its own pool
            from anet.host import openmp_environment  # (the TensorFlow venv has no anet)

            openmp_environment(env)
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        return cls(kind, process, {})

    def ready(self) -> None:
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise SystemExit(f"the {self.kind} worker stopped before it was ready (see its messages above)")
        self.info = json.loads(line)

    def forward(self) -> float:
        self.process.stdin.write("run\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        return float(self.process.stdout.readline())  # type: ignore[union-attr]

    def stop(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(timeout=60)


def tf_usable(python: str | None, code: str | None) -> str | None:
    """Why this TensorFlow set-up cannot run the comparison, or None when it can."""
    if not python or not code:
        return "no TensorFlow given (--tf-python and --tf-code, or ANET_TF_PYTHON and ANET_TF_CODE)"
    done = subprocess.run([python, "-c", TF_IMPORT, code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"{python} cannot import the Model Garden's AssembleNet from {code} ({last})"
    return None


@dataclass(frozen=True)
class Comparison:
    """One clip size: each worker's forward times (seconds) and what it said about itself."""

    frames: int
    size: int
    times: dict[str, list[float]]  # by worker kind: tf, fp32, auto
    info: dict[str, dict[str, object]]

    def median(self, kind: str) -> float:
        return statistics.median(self.times[kind])


def comparison_table(comparisons: list[Comparison]) -> Table:
    """Median forward per clip size: TensorFlow fp32, then anet fp32 and anet's `--precision auto`,
    each with TF's time over its own in parentheses."""
    from .common import Table

    first = comparisons[0].info
    tf_version = ".".join(str(first["tf"]["version"]).split(".")[:2])
    header = [
        "clip",
        f"TF {tf_version} official, fp32",
        "anet fp32",
        f"anet, `--precision auto` ({first['auto']['choice']})",
    ]
    rows = []
    for c in comparisons:
        tf = c.median("tf")
        anet = [f"{c.median(kind):.3f} s ({tf / c.median(kind):.2f}x)" for kind in ("fp32", "auto")]
        rows.append([f"{c.frames} x {c.size} x {c.size}", f"{tf:.3f} s", *anet])
    return Table(header, rows)


def compare(python: str, code: str, frames: int, size: int, repeats: int) -> Comparison:
    workers = [Worker.start(python, "tf", frames, size, code)]
    workers += [Worker.start(sys.executable, kind, frames, size, code) for kind in ("fp32", "auto")]
    try:
        for worker in workers:
            worker.ready()
        times: dict[str, list[float]] = {w.kind: [] for w in workers}
        for _ in range(repeats):
            for worker in workers:
                times[worker.kind].append(worker.forward())
    finally:
        for worker in workers:
            worker.stop()
    comparison = Comparison(frames, size, times, {w.kind: w.info for w in workers})
    tf_median = comparison.median("tf")
    print(f"\n1 x {frames} x {size} x {size}, {repeats} rounds, load average {os.getloadavg()[0]:.1f} after")
    print(f"{'':44} {'median':>8} {'min':>8} {'x TF fp32':>10} {'parameters':>11}")
    for worker in workers:
        values = times[worker.kind]
        median = statistics.median(values)
        print(
            f"{worker.info['name']:<44} {median:7.3f}s {min(values):7.3f}s {tf_median / median:10.2f} "
            f"{worker.info['parameters']:>11,}"
        )
    print(f"  --precision auto: {comparison.info['auto']['reason']}")
    return comparison


def worker_main() -> None:
    """A worker's command line (Worker.start writes it)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True)
    parser.add_argument("--frames", type=int, required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--tf-code", default="")
    args = parser.parse_args()
    serve(args.worker, args.frames, args.size, args.tf_code)


def main() -> None:
    if "--worker" in sys.argv:
        worker_main()
        return
    from .common import add_docs_option, publish

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tf-python", default=os.environ.get("ANET_TF_PYTHON"), help="the TensorFlow venv's python")
    parser.add_argument(
        "--tf-code", default=os.environ.get("ANET_TF_CODE"), help="folder holding official/projects/..."
    )
    parser.add_argument("--sizes", default="8x112,32x224", help="FRAMESxSIZE,... (default 8x112,32x224)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per size")
    add_docs_option(parser, "tf_comparison")
    args = parser.parse_args()
    problem = tf_usable(args.tf_python, args.tf_code)
    if problem:
        print(f"{problem}: nothing to compare.\n")
        print(__doc__[__doc__.index("TensorFlow is not a dependency") :])
        return
    from anet.training.device import describe_cpu, measured_bf16_speedup, native_bf16

    print(describe_cpu())
    if native_bf16():  # probed here, alone: the workers inherit it rather than probe side by side
        measured_bf16_speedup()
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    comparisons = []
    for spec in args.sizes.split(","):
        frames, size = (int(v) for v in spec.split("x"))
        comparisons.append(compare(args.tf_python, args.tf_code, frames, size, args.repeats))
    parameters = ", ".join(f"{c['name']} {c['parameters']:,}" for c in comparisons[-1].info.values())
    note = f"Medians of {args.repeats} rounds; in parentheses: TF fp32 time / anet time. Parameters: {parameters}."
    reason = f"`--precision auto`: {comparisons[-1].info['auto']['reason']}"
    print()
    publish(args, "tf_comparison", "\n\n".join([comparison_table(comparisons).markdown(), note, reason]))


if __name__ == "__main__":
    main()
