"""AssembleNet-50's forward in anet against the authors' TensorFlow implementation, side by side.

Three worker processes stay alive for each clip size, each with its model built and warmed up: the
TensorFlow Model Garden's AssembleNet-50 in its default fp32 (Keras graph through `tf.function`,
published structure and edge weights, RepresentationFlow computing flow in the network), anet's
generated AssembleNet-50 in fp32, and anet in what `--precision auto` picks on this machine (both
anet workers run the model's inference copy, BN folded once, as `anet predict` and `anet eval` do). The
parent asks them for one forward each in turn, round after round, so that other load on the
machine hits all three alike. Batch 1, eval, no gradient, random clips; threads: each framework's
default (all cores). Target: anet at least 3x TensorFlow fp32 at 32 x 224 x 224.

``--training`` times one training step instead, in the same workers asked in the same way, each model
in train mode (anet's own model, not the inference copy): forward on a clip with a fixed random label,
softmax cross-entropy, gradients, and an SGD step with momentum 0.9 (TensorFlow: a `tf.function` around
a GradientTape and `apply_gradients`; anet: autocast for bf16, ``zero_grad(set_to_none=True)``,
backward, step). The learning rate is 0, so that every step sees the same weights (as
benchmarks/precision.py). Its table has its own block, ``tf_comparison:training``. ``--batch`` sets
the clips per forward or step (default 1).

TensorFlow is not a dependency of anet: it runs in its own virtual environment, and the Model
Garden's `official/projects/assemblenet` folder is not in the `tf-models-official` wheel. Set up::

    python3.11 -m venv /some/tfvenv
    /some/tfvenv/bin/pip install "tensorflow-cpu==2.20.*" "tf-models-official==2.20.*"
    # copy tensorflow/models' official/projects/assemblenet/{configs,modeling}/*.py into
    # /some/tf_code/official/projects/assemblenet/ (with empty __init__.py files; under Python 3.11
    # the config dataclasses' nested defaults need dataclasses.field(default_factory=...))

then, from the repository root::

    python -m benchmarks.tf_comparison --tf-python /some/tfvenv/bin/python --tf-code /some/tf_code \\
        [--sizes 8x112,32x224] [--repeats 3] [--training] [--batch 1] [--write-docs]

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from anet.training.device import PrecisionChoice

    from .common import Table

# This file is also the TensorFlow worker, run as a script (`python tf_comparison.py --worker tf`) in
# TensorFlow's own venv, which has neither anet nor this package: what it shares with the other
# benchmarks (.common) is imported where the parent uses it, not at the top.

ROOT = Path(__file__).resolve().parents[1]
CLASSES = 339  # Moments in Time, as the published structure was searched on
TF_IMPORT = """
import os, sys; os.environ["TF_USE_LEGACY_KERAS"] = "1"
import official.projects
official.projects.__path__.append(sys.argv[1] + "/official/projects")
from official.projects.assemblenet.modeling import assemblenet
"""


@dataclass(frozen=True)
class Task:
    """What a worker times: a clip shape, and a forward or a training step."""

    frames: int
    size: int
    batch: int = 1
    training: bool = False

    def argv(self) -> list[str]:
        """The worker's command-line arguments for this task (worker_main reads them)."""
        shape = ["--frames", str(self.frames), "--size", str(self.size), "--batch", str(self.batch)]
        return shape + (["--training"] if self.training else [])


def tf_worker(task: Task, code: str) -> tuple[object, dict[str, object]]:
    # The Model Garden's assemblenet.py says tf.keras and means Keras 2 (tf_keras); with Keras 3, which
    # tensorflow 2.20 installs beside it, building the model fails ("A KerasTensor cannot be used ...").
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import official.projects

    official.projects.__path__.append(f"{code}/official/projects")
    import tensorflow as tf
    import tf_keras
    from official.projects.assemblenet.configs import assemblenet as cfg
    from official.projects.assemblenet.modeling import assemblenet as asn

    shape = [task.batch, task.frames, task.size, task.size, 3]
    model = asn.assemblenet_v1(
        50,
        CLASSES,
        task.frames,
        cfg.asn50_structure,
        input_specs=tf_keras.layers.InputSpec(shape=shape),
        model_edge_weights=cfg.asn_structure_weights,
    )
    clip = tf.random.uniform(shape)
    info = {"name": "TensorFlow 2.20 official, fp32", "version": tf.__version__, "parameters": model.count_params()}
    if not task.training:
        forward = tf.function(lambda x: model({"image": x}, training=False))
        return lambda: forward(clip).numpy(), info
    labels = tf.one_hot(tf.random.uniform([task.batch], 0, CLASSES, dtype=tf.int32, seed=0), CLASSES)
    optimizer = tf_keras.optimizers.SGD(learning_rate=0.0, momentum=0.9)

    @tf.function
    def step(x: object, y: object) -> object:
        with tf.GradientTape() as tape:
            logits = model({"image": x}, training=True)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss

    return lambda: step(clip, labels).numpy(), info


def anet_model_and_choice(task: Task, precision: str) -> tuple[torch.nn.Module, PrecisionChoice]:
    """AssembleNet-50 in eval mode and what `precision` picks for it, as `anet predict` (a forward)
    or `anet train` (a training step) picks: `auto` measures this network at this batch and clip
    (`anet.training.speed_choice`; kept in anet's cache for the next run)."""
    import torch

    from anet.compiler import compile_to_module
    from anet.dsl import parse
    from anet.training.device import choose_precision
    from anet.training.speed_choice import network_probe

    torch.manual_seed(0)
    text = (ROOT / "examples" / "assemblenet50.anet").read_text(encoding="utf-8")
    network = parse(text)
    model = compile_to_module(network, text).build_model(num_classes=CLASSES).eval()
    mode = "training" if task.training else "inference"
    probe = network_probe(model, network, mode, batch=task.batch, frames=task.frames, size=task.size)
    return model, choose_precision(precision, torch.device("cpu"), probe)  # type: ignore[arg-type]


def anet_worker(task: Task, precision: str) -> tuple[object, dict[str, object]]:
    import torch

    from anet.host import keep_freed_memory
    from anet.runtime import inference_copy

    keep_freed_memory()  # as every command that runs a model
    model, choice = anet_model_and_choice(task, precision)
    clip = torch.rand(task.batch, 3, task.frames, task.size, task.size)

    def autocast() -> torch.autocast:
        return torch.autocast("cpu", dtype=choice.dtype or torch.float32, enabled=choice.dtype is not None)

    if task.training:
        run = anet_training_step(model, clip, autocast)
    else:
        frozen = inference_copy(model, choice.dtype)  # what `anet predict` and `anet eval` run

        def run() -> None:
            with torch.no_grad(), autocast():
                frozen(clip)

    info = {
        "name": f"anet, {choice.describe()}" + (" (--precision auto)" if precision == "auto" else ""),
        "choice": choice.describe(),
        "reason": choice.reason,
        "version": torch.__version__,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    return run, info


def anet_training_step(
    model: torch.nn.Module, clip: torch.Tensor, autocast: Callable[[], torch.autocast]
) -> Callable[[], None]:
    """One training step of ``model`` (train mode) on ``clip`` with a fixed random label: forward under
    ``autocast()``, cross-entropy, backward, SGD with momentum 0.9 (learning rate 0: the same weights
    at every step)."""
    import torch

    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    labels = torch.randint(CLASSES, (clip.shape[0],))

    def step() -> None:
        with autocast():
            loss = torch.nn.functional.cross_entropy(model(clip).float(), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def serve(kind: str, task: Task, code: str) -> None:
    """Worker side: build, warm up, say ready, then one timed forward (or training step) per line read."""
    run, info = tf_worker(task, code) if kind == "tf" else anet_worker(task, kind)
    for _ in range(2 if task.training else 1):  # tracing (TensorFlow), oneDNN kernels, optimizer state
        run()
    print(json.dumps(info), flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        run()
        print(time.perf_counter() - start, flush=True)


@dataclass
class Worker:
    kind: str
    process: subprocess.Popen[str]
    info: dict[str, object]

    @classmethod
    def start(cls, python: str, kind: str, task: Task, code: str) -> Worker:
        command = [python, __file__, "--worker", kind, *task.argv(), "--tf-code", code]
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

    def run(self) -> float:
        """Seconds of one forward or training step, as the worker timed it."""
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
    """One clip size: each worker's times (seconds) of a forward or a training step, and what it said
    about itself."""

    frames: int
    size: int
    times: dict[str, list[float]]  # by worker kind: tf, fp32, auto
    info: dict[str, dict[str, object]]
    batch: int = 1

    def median(self, kind: str) -> float:
        return statistics.median(self.times[kind])

    def clip(self) -> str:
        return (f"{self.batch} x " if self.batch != 1 else "") + f"{self.frames} x {self.size} x {self.size}"


def comparison_table(comparisons: list[Comparison], training: bool = False) -> Table:
    """Median forward (or ``training`` step) per clip size: TensorFlow fp32, then anet fp32 and anet's
    `--precision auto`, each with TF's time over its own in parentheses."""
    from .common import Table

    first = comparisons[0].info
    tf_version = ".".join(str(first["tf"]["version"]).split(".")[:2])
    header = [
        "clip, training step" if training else "clip",
        f"TF {tf_version} official, fp32",
        "anet fp32",
        f"anet, `--precision auto` ({first['auto']['choice']})",
    ]
    rows = []
    for c in comparisons:
        tf = c.median("tf")
        anet = [f"{c.median(kind):.3f} s ({tf / c.median(kind):.2f}x)" for kind in ("fp32", "auto")]
        rows.append([c.clip(), f"{tf:.3f} s", *anet])
    return Table(header, rows)


def compare(python: str, code: str, task: Task, repeats: int) -> Comparison:
    # The auto worker starts alone: `--precision auto` measures the network in it (or reads anet's
    # cache), and times both precisions undisturbed by the other workers' start-up.
    workers = [Worker.start(sys.executable, "auto", task, code)]
    try:
        workers[0].ready()
        workers = [Worker.start(python, "tf", task, code), Worker.start(sys.executable, "fp32", task, code), *workers]
        for worker in workers[:2]:
            worker.ready()
        times: dict[str, list[float]] = {w.kind: [] for w in workers}
        for _ in range(repeats):
            for worker in workers:
                times[worker.kind].append(worker.run())
    finally:
        for worker in workers:
            worker.stop()
    comparison = Comparison(task.frames, task.size, times, {w.kind: w.info for w in workers}, task.batch)
    tf_median = comparison.median("tf")
    what = "training step" if task.training else "forward"
    shape = f"{task.batch} x {task.frames} x {task.size} x {task.size}"
    print(f"\n{shape}, {what}, {repeats} rounds, load average {os.getloadavg()[0]:.1f} after")
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
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--training", action="store_true")
    parser.add_argument("--tf-code", default="")
    args = parser.parse_args()
    serve(args.worker, Task(args.frames, args.size, args.batch, args.training), args.tf_code)


def parse_args() -> argparse.Namespace:
    from .common import add_docs_option

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tf-python", default=os.environ.get("ANET_TF_PYTHON"), help="the TensorFlow venv's python")
    parser.add_argument(
        "--tf-code", default=os.environ.get("ANET_TF_CODE"), help="folder holding official/projects/..."
    )
    parser.add_argument("--sizes", default="8x112,32x224", help="FRAMESxSIZE,... (default 8x112,32x224)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per size")
    parser.add_argument("--training", action="store_true", help="time a training step instead of a forward")
    parser.add_argument("--batch", type=int, default=1, help="clips per forward or step (default 1)")
    add_docs_option(parser, "tf_comparison")
    args = parser.parse_args()
    if args.training and args.write_docs == "tf_comparison":  # the forward's table is not a training step's
        args.write_docs = TRAINING_BLOCK
    return args


TRAINING_BLOCK = "tf_comparison:training"


def note(comparisons: list[Comparison], repeats: int, training: bool) -> str:
    """What the table's figures are, under it."""
    parameters = ", ".join(f"{c['name']} {c['parameters']:,}" for c in comparisons[-1].info.values())
    what = (
        "one training step each (train mode, softmax cross-entropy on a fixed random label, gradients, "
        "SGD with momentum 0.9 at learning rate 0)"
        if training
        else "one forward each (eval, no gradient)"
    )
    batch = comparisons[-1].batch
    return (
        f"Medians of {repeats} rounds of {what}, batch {batch}; in parentheses: TF fp32 time / anet time. "
        f"Parameters: {parameters}."
    )


def main() -> None:
    if "--worker" in sys.argv:
        worker_main()
        return
    from .common import publish

    args = parse_args()
    problem = tf_usable(args.tf_python, args.tf_code)
    if problem:
        print(f"{problem}: nothing to compare.\n")
        print(__doc__[__doc__.index("TensorFlow is not a dependency") :])
        return
    from anet.training.device import describe_cpu

    print(describe_cpu())
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    comparisons = []
    for spec in args.sizes.split(","):
        frames, size = (int(v) for v in spec.split("x"))
        task = Task(frames, size, args.batch, args.training)
        comparisons.append(compare(args.tf_python, args.tf_code, task, args.repeats))
    reason = f"`--precision auto`: {comparisons[-1].info['auto']['reason']}"
    table = comparison_table(comparisons, args.training).markdown()
    print()
    publish(args, "tf_comparison", "\n\n".join([table, note(comparisons, args.repeats, args.training), reason]))


if __name__ == "__main__":
    main()
