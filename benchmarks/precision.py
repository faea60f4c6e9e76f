"""fp32 against bf16 autocast for AssembleNet-50 on this CPU, side by side in one run, and what
`--precision auto` picks here (with its reason). The CPU's capability is printed first.

Per workload and precision (the two precisions alternate round by round, so that other load on the
machine hits both alike):

* ``inference``: no grad, flow computed in the network, on the model's inference copy as anet's
  commands run it (anet.runtime.inference_copy: BN folded once, conv weights in the precision's
  dtype); the flow layer's share of it is timed with hooks on ``model.flow`` inside the same
  forwards;
* ``training step``: train mode, forward + cross-entropy (label smoothing 0.2) + backward + momentum
  SGD step, flow computed in the network;
* ``whole / layers``: the inference copy's forward with the flow given (``flow=``), against the
  sum of its conv, BN, pooling and linear layers each run alone on inputs of the same shape, strides and dtype
  under the same autocast (benchmarks/compiler_overhead.py's recording): what lies above 1 is the
  glue (ReLUs, residual adds, fusion sums, layout views, Python). Target <= 1.10.

Workloads: ``proxy``, the search's proxy training (width 1/8, batch 8 x 8 x 48 x 48), and ``full``,
AssembleNet-50 as published (width 1, batch 1 x 32 x 224 x 224; a few iterations only: a training
step takes seconds). ``--profile`` adds the operators that take the most self time in one bf16
forward at full size (torch.profiler).

Run from the repository root::

    python -m benchmarks.precision [--repeats 3] [--full-repeats 2] [--threads 2] [--profile]
                                   [--workloads proxy,full] [--write-docs]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from anet.host import keep_freed_memory, openmp_environment

openmp_environment(os.environ)  # as under the `anet` command; before torch is imported
keep_freed_memory()  # as every command that runs a model

import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from anet.compiler import compile_file, compile_to_module  # noqa: E402
from anet.dsl import parse  # noqa: E402
from anet.runtime import inference_copy  # noqa: E402
from anet.training.device import choose_precision, describe_cpu  # noqa: E402
from anet.training.speed_choice import network_probe  # noqa: E402

from .common import Table, add_docs_option, publish, seconds  # noqa: E402
from .compiler_overhead import layer_alone, record_calls  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class Workload:
    name: str
    label: str  # as the docs' table names it
    width: float
    batch: int
    frames: int
    size: int
    classes: int


WORKLOADS = {
    "proxy": Workload("proxy", "proxy: width 1/8, 8 x 8 x 48 x 48", 0.125, 8, 8, 48, 8),
    "full": Workload("full", "AssembleNet-50, 1 x 32 x 224 x 224", 1.0, 1, 32, 224, 339),
}


@dataclass
class Figures:
    inference: list[float] = field(default_factory=list)
    flow: list[float] = field(default_factory=list)
    training: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    layers: float = 0.0

    def flow_share(self) -> float:
        return statistics.median(a / b for a, b in zip(self.flow, self.inference, strict=True))

    def whole_over_layers(self) -> float:
        return min(self.whole) / self.layers


def duration(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def precision_table(measured: dict[Workload, dict[str, Figures]]) -> Table:
    """Per workload and precision: medians of inference and training step with fp32's time over
    theirs, the flow layer's share of inference, and the best whole forward over the layers alone."""
    rows = []
    for workload, figures in measured.items():
        fp32 = figures["fp32"]
        for i, (name, f) in enumerate(figures.items()):
            infer, train = statistics.median(f.inference), statistics.median(f.training)
            rows.append(
                [
                    workload.label if i == 0 else "",
                    name,
                    duration(infer),
                    f"{statistics.median(fp32.inference) / infer:.2f}",
                    f"{f.flow_share() * 100:.1f} %",
                    duration(train),
                    f"{statistics.median(fp32.training) / train:.2f}",
                    f"{f.whole_over_layers():.2f}",
                ]
            )
    header = ["workload", "precision", "inference", "x fp32", "flow share", "training step", "x fp32"]
    return Table([*header, "whole / layers alone"], rows, ["l", "l", "r", "r", "r", "r", "r", "r"])


@contextlib.contextmanager
def autocast(dtype: torch.dtype | None) -> Iterator[None]:
    with torch.autocast("cpu", dtype=dtype or torch.float32, enabled=dtype is not None):
        yield


def layers_alone(model: nn.Module, inputs: dict[str, Tensor], dtype: torch.dtype | None) -> float:
    """Sum over the recorded conv/BN/pool/linear calls of each one's best time alone."""
    with autocast(dtype):
        calls = record_calls(model, inputs, training=False)
    total = 0.0
    for call in calls:
        run = layer_alone(call, training=False)
        with autocast(dtype):
            run()  # warm-up: oneDNN builds its kernel
            total += min(seconds(run) for _ in range(2))
    return total


def measure(workload: Workload, module: object, repeats: int) -> dict[str, Figures]:
    torch.manual_seed(0)
    base = module.build_model(num_classes=workload.classes, width=workload.width)  # type: ignore[attr-defined]
    rgb = torch.rand(workload.batch, 3, workload.frames, workload.size, workload.size)
    labels = torch.arange(workload.batch) % workload.classes
    with torch.no_grad():
        flow = base.flow(rgb)
    figures = {name: Figures() for name in PRECISIONS}
    optimizers = {
        name: torch.optim.SGD(base.parameters(), lr=0.0, momentum=0.9, weight_decay=1e-4) for name in PRECISIONS
    }  # lr 0: every step sees the same weights, so both precisions time the same network

    def infer(model: nn.Module, dtype: torch.dtype | None, **extra: Tensor) -> None:
        with torch.no_grad(), autocast(dtype):
            model(rgb, **extra)

    def train_step(name: str, dtype: torch.dtype | None) -> None:
        with autocast(dtype):
            loss = nn.functional.cross_entropy(base(rgb).float(), labels, label_smoothing=0.2)
        optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        optimizers[name].step()

    for round_ in range(repeats + 1):  # round 0 warms up (oneDNN kernels, allocator)
        for name, dtype in PRECISIONS.items():
            f = figures[name]
            # What `anet eval` and `anet predict` run; made anew each round, since the training
            # steps move the BN statistics.
            frozen = inference_copy(base, dtype)
            t, flow_time = timed_with_flow(frozen, lambda frozen=frozen, dtype=dtype: infer(frozen, dtype))
            w = seconds(lambda frozen=frozen, dtype=dtype: infer(frozen, dtype, flow=flow))
            base.train()
            s = seconds(lambda name=name, dtype=dtype: train_step(name, dtype))
            if round_:
                f.inference.append(t)
                f.flow.append(flow_time)
                f.whole.append(w)
                f.training.append(s)
    for name, dtype in PRECISIONS.items():
        figures[name].layers = layers_alone(inference_copy(base, dtype), {"rgb": rgb, "flow": flow}, dtype)
    return figures


def timed_with_flow(model: nn.Module, run: Callable[[], object]) -> tuple[float, float]:
    """The time of ``run`` and the time spent inside ``model.flow`` during it (hooks)."""
    inside: list[float] = []
    entered: list[float] = []
    hooks = [
        model.flow.register_forward_pre_hook(lambda *_: entered.append(time.perf_counter())),
        model.flow.register_forward_hook(lambda *_: inside.append(time.perf_counter() - entered[-1])),
    ]
    try:
        return seconds(run), sum(inside)
    finally:
        for handle in hooks:
            handle.remove()


def profile_bf16(module: object, workload: Workload, top: int = 14) -> str:
    """Print the top operators of one bf16 forward; return the convolutions' rate against one large conv's."""
    torch.manual_seed(0)
    model = inference_copy(module.build_model(width=workload.width), torch.bfloat16)  # type: ignore[attr-defined]
    rgb = torch.rand(workload.batch, 3, workload.frames, workload.size, workload.size)
    with torch.no_grad(), autocast(torch.bfloat16):
        model(rgb)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            model(rgb)
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in events)
    print(f"\nbf16 forward, {workload.name} size, operators by self CPU time (of {total / 1e3:.0f} ms):")
    for e in events[:top]:
        print(f"  {e.key:<40} {e.self_cpu_time_total / 1e3:9.1f} ms {e.self_cpu_time_total / total:7.1%}  x{e.count}")
    conv_s = sum(e.self_cpu_time_total for e in events if e.key == "aten::mkldnn_convolution") / 1e6
    macs = conv_macs(model, rgb)
    line = (
        f"bf16 forward at {workload.name} size: convolutions {macs / 1e9:.1f} G multiply-accumulates in "
        f"{conv_s * 1e3:.0f} ms (the operator's time on the calling thread, {torch.get_num_threads()} threads "
        f"working): {macs / conv_s / 1e9:.0f} GMAC/s; one large 3x3 convolution alone (32 frames, 128 -> 128 "
        f"channels, 28 x 28, bf16): {peak_conv_rate() / 1e9:.0f} GMAC/s"
    )
    print(line)
    return line


def conv_macs(model: nn.Module, rgb: Tensor) -> int:
    """Multiply-accumulates of every convolution in one bf16 forward (torch's FLOP counter counts
    two FLOPs per multiply-accumulate)."""
    with torch.no_grad(), autocast(torch.bfloat16), FlopCounterMode(display=False) as counter:
        model(rgb)
    return counter.get_flop_counts()["Global"][torch.ops.aten.convolution] // 2


def peak_conv_rate(repeats: int = 10) -> float:
    """Multiply-accumulates per second of a convolution big enough to run at oneDNN's best."""
    x = torch.randn(32, 128, 28, 28).contiguous(memory_format=torch.channels_last).bfloat16()
    w = torch.randn(128, 128, 3, 3).contiguous(memory_format=torch.channels_last).bfloat16()
    with torch.no_grad():
        y = nn.functional.conv2d(x, w, padding=1)  # warm-up: oneDNN builds its kernel
        start = time.perf_counter()
        for _ in range(repeats):
            nn.functional.conv2d(x, w, padding=1)
        seconds = (time.perf_counter() - start) / repeats
    return y.numel() * w[0].numel() / seconds


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds at the proxy size")
    parser.add_argument("--full-repeats", type=int, default=2, help="timed rounds at 32 x 224 x 224")
    parser.add_argument("--workloads", default="proxy,full")
    parser.add_argument("--profile", action="store_true", help="top operators of one bf16 forward at full size")
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    add_docs_option(parser, "precision")
    return parser.parse_args()


def print_figures(measured: dict[Workload, dict[str, Figures]]) -> None:
    print(
        f"\n{'workload':<30} {'prec.':<5} {'inference':>10} {'x fp32':>7} {'flow share':>10} "
        f"{'train step':>10} {'x fp32':>7} {'whole/layers':>12}"
    )
    for workload, figures in measured.items():
        fp32 = figures["fp32"]
        for name, f in figures.items():
            shape = f"{workload.name}: {workload.batch}x{workload.frames}x{workload.size}^2 w{workload.width:g}"
            infer, train = statistics.median(f.inference), statistics.median(f.training)
            print(
                f"{shape:<30} {name:<5} {infer * 1e3:8.0f}ms {statistics.median(fp32.inference) / infer:7.2f} "
                f"{f.flow_share():10.1%} {train * 1e3:8.0f}ms {statistics.median(fp32.training) / train:7.2f} "
                f"{f.whole_over_layers():12.3f}"
            )
    print("(medians; whole/layers: best whole forward with flow given / sum of the layers' best times alone)")


def auto_choices(path: str, workloads: list[Workload]) -> str:
    """What `--precision auto` picks for each workload's network at its batch and clip, for inference
    (`anet eval`, `anet predict`) and for a training step (`anet train`), measured alone before the
    rounds (anet's cache keeps it; see `anet.training.speed_choice`)."""
    text = Path(path).read_text(encoding="utf-8")
    network = parse(text)
    lines = []
    for w in workloads:
        model = compile_to_module(network, text).build_model(num_classes=w.classes, width=w.width).eval()
        said = []
        for mode in ("inference", "training"):
            probe = network_probe(model, network, mode, batch=w.batch, frames=w.frames, size=w.size)
            choice = choose_precision("auto", torch.device("cpu"), probe)
            said.append(f"{mode}: {choice.describe()} ({choice.reason})")
        lines.append(f"`--precision auto` for {w.label}: " + "; ".join(said) + ".")
    return "\n\n".join(lines)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    print(describe_cpu())
    print(f"{Path(args.file).name}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} at start")
    module = compile_file(args.file)
    auto = auto_choices(args.file, [WORKLOADS[key] for key in args.workloads.split(",")])
    print(auto)
    measured = {}
    for key in args.workloads.split(","):
        workload = WORKLOADS[key]
        measured[workload] = measure(workload, module, args.full_repeats if key == "full" else args.repeats)
        print(f"({workload.name} done, load average {os.getloadavg()[0]:.1f})", flush=True)
    print_figures(measured)
    notes = [auto]
    if args.profile:
        notes.append(profile_bf16(module, WORKLOADS["full"]))
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    publish(args, "precision", "\n\n".join([precision_table(measured).markdown(), *notes]))


if __name__ == "__main__":
    main()
