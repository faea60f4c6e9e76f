"""Where AssembleNet-50's forward time goes: convolutions, glue, the flow layer, pooling, the rest.

Why (issue 27): on CPUs with AMX the bf16 convolutions got so fast that they stopped being the cost,
and the glue (ReLUs, residual adds, fusion sums, casts), the flow layer and Python between operators
decide the time. This script prints those shares on any machine, beside its CPU line, so that a
machine with AMX and one without can be compared.

What runs is what `anet predict` runs: the model's inference copy (``anet.runtime.inference_copy``,
BN folded, weights in the precision's dtype) under ``torch.no_grad()`` and, for bf16, CPU autocast;
batch 1, flow computed in the network, 157 classes, the `anet` command's OpenMP and malloc settings,
torch's default threads. Per precision and round (after one warm-up round): the whole forward, the
flow layer alone on the same clip, the forward with that flow given (``flow=``, which skips the
layer), and one forward under torch.profiler. In the profile every operator event's self CPU time
(the calling thread's: the operator's wall time, its OpenMP threads working inside it) goes to the
operator the model's Python code called, i.e. its outermost operator, so a convolution's input cast
and output allocation count as the convolution; everything under the flow layer (a
``record_function`` range around ``model.flow``) counts as the flow layer; the forward range's own
self time is the time between operators (Python, dispatch and the profiler's own cost). Shares are
of the profiled forward; the table gives each part's median over rounds.

Run from the repository root::

    python -m benchmarks.forward_profile [--quick] [--frames 32] [--size 224] [--repeats 3]
                                         [--precision fp32|bf16|both] [--width 1] [--write-docs]

``--quick`` is 1 x 3 x 8 x 112 x 112 and 2 repeats; ``--precision`` defaults to both where the CPU
has native bf16 (AVX512_BF16, AMX_BF16), else fp32.
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from anet.host import keep_freed_memory, openmp_environment

openmp_environment(os.environ)  # as under the `anet` command; before torch is imported
keep_freed_memory()  # as every command that runs a model

import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402
from torch.profiler import ProfilerActivity, profile, record_function  # noqa: E402

from anet.compiler import compile_file  # noqa: E402
from anet.runtime import inference_copy  # noqa: E402
from anet.training.device import native_bf16  # noqa: E402

from .common import Table, add_docs_option, load_line, machine, publish, seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLASSES = 157
FORWARD, FLOW = "anet.forward", "anet.flow"  # the profiler ranges
DTYPES = {"fp32": None, "bf16": torch.bfloat16}
PARTS = {
    "convolutions": "convolutions",
    "glue": "glue: elementwise passes outside the flow layer",
    "flow layer": "flow layer (everything inside `model.flow`)",
    "pooling": "pooling (max pools, the head's global average)",
    "other": "other operators (views, the head's linear, ...)",
    "between operators": "between operators (Python, dispatch, profiler)",
}
CONVOLUTIONS = {"conv1d", "conv2d", "conv3d", "convolution", "_convolution", "mkldnn_convolution"}
POOLING = {"max_pool2d", "max_pool3d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool2d", "adaptive_avg_pool3d"}
POOLING |= {"max_pool2d_with_indices", "max_pool3d_with_indices", "mean"}
ELEMENTWISE = {"add", "sub", "mul", "div", "addcmul", "addcdiv", "relu", "clamp", "clamp_min", "clamp_max"}
ELEMENTWISE |= {"sigmoid", "tanh", "hardtanh", "gelu", "silu", "threshold", "neg", "exp", "sqrt", "rsqrt", "pow"}
ELEMENTWISE |= {"copy", "to", "_to_copy", "clone", "contiguous", "cat", "stack", "fill", "zero", "where", "pad"}
ELEMENTWISE |= {"constant_pad_nd", "softmax", "_softmax", "batch_norm", "native_batch_norm", "dropout"}


def part_of(operator: str) -> str:
    """The part an outermost operator's time goes to, by its name (``aten::relu_`` -> glue)."""
    name = operator.removeprefix("aten::")
    base = name.rstrip("_")  # in-place variants: relu_ is relu
    if base in CONVOLUTIONS:
        return "convolutions"
    if base in POOLING:
        return "pooling"
    return "glue" if base in ELEMENTWISE else "other"


def parts_of(events: list[object]) -> dict[str, float]:
    """Seconds per part of the one FORWARD range in a profile's events (FunctionEvents)."""
    parts = dict.fromkeys(PARTS, 0.0)
    for event in events:
        chain = [event]
        while chain[-1].cpu_parent is not None:  # type: ignore[attr-defined]
            chain.append(chain[-1].cpu_parent)  # type: ignore[attr-defined]
        names = [e.name for e in chain]  # type: ignore[attr-defined]
        if FORWARD not in names:
            continue  # another thread's, or the profiler's own
        below = names[: names.index(FORWARD)]
        if not below:
            part = "between operators"
        elif FLOW in below:
            part = "flow layer"
        else:
            part = part_of(below[-1])
        parts[part] += event.self_cpu_time_total / 1e6  # type: ignore[attr-defined]
    return parts


def label_flow(model: nn.Module) -> None:
    """Wrap ``model.flow``'s forward in the profiler range FLOW."""
    layer = model.flow
    forward = layer.forward

    def labelled(*args: object, **kwargs: object) -> object:
        with record_function(FLOW):
            return forward(*args, **kwargs)

    layer.forward = labelled  # type: ignore[method-assign]


@dataclass
class Figures:
    """One precision's rounds: seconds of each timing, and the parts of each profiled forward."""

    forward: list[float] = field(default_factory=list)
    flow_alone: list[float] = field(default_factory=list)
    flow_given: list[float] = field(default_factory=list)
    parts: list[dict[str, float]] = field(default_factory=list)

    def part(self, name: str) -> float:
        return statistics.median(p[name] for p in self.parts)

    def profiled(self) -> float:
        return sum(self.part(name) for name in PARTS)


def measure(model: nn.Module, clip: Tensor, dtype: torch.dtype | None, repeats: int) -> Figures:
    """``repeats`` rounds after one warm-up, on ``model``'s inference copy in ``dtype``."""
    frozen = inference_copy(model, dtype)
    label_flow(frozen)
    figures = Figures()
    with torch.no_grad(), torch.autocast("cpu", dtype=dtype or torch.float32, enabled=dtype is not None):
        flow = frozen.flow(clip)
        runs: dict[str, Callable[[], object]] = {
            "forward": lambda: frozen(clip),
            "flow_alone": lambda: frozen.flow(clip),
            "flow_given": lambda: frozen(clip, flow=flow),
        }
        for round_ in range(repeats + 1):
            times = {name: seconds(run) for name, run in runs.items()}
            with profile(activities=[ProfilerActivity.CPU]) as prof, record_function(FORWARD):
                frozen(clip)
            if round_:  # round 0 warms up (oneDNN kernels, the allocator)
                for name, value in times.items():
                    getattr(figures, name).append(value)
                figures.parts.append(parts_of(list(prof.events())))
    return figures


def duration(value: float) -> str:
    return f"{value * 1e3:.1f}" if value < 0.1 else f"{value * 1e3:.0f}"


def share_table(measured: dict[str, Figures]) -> Table:
    """Per part, ms and share of the profiled forward per precision; then the forward without the
    profiler, the flow layer alone and the forward with the flow given, each as a share of it."""
    rows = []
    for key, label in PARTS.items():
        row = [label]
        for f in measured.values():
            row += [duration(f.part(key)), f"{f.part(key) / f.profiled() * 100:.1f} %"]
        rows.append(row)
    rows.append(
        [
            "profiled forward (the rows above)",
            *(c for f in measured.values() for c in (duration(f.profiled()), "100 %")),
        ]
    )
    timings = {
        "forward, no profiler (median)": "forward",
        "flow layer alone (median)": "flow_alone",
        "forward with the flow given, `flow=` (median)": "flow_given",
    }
    for label, name in timings.items():
        row = [label]
        for f in measured.values():
            value, whole = statistics.median(getattr(f, name)), statistics.median(f.forward)
            row += [duration(value), f"{value / whole * 100:.1f} %"]
        rows.append(row)
    header = ["part of the forward", *(f"{p} {c}" for p in measured for c in ("ms", "share"))]
    return Table(header, rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 x 3 x 8 x 112 x 112, 2 repeats")
    parser.add_argument("--frames", type=int, default=None, help="default 32 (quick 8)")
    parser.add_argument("--size", type=int, default=None, help="default 224 (quick 112)")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 3, quick 2)")
    parser.add_argument("--precision", choices=["fp32", "bf16", "both"], default=None)
    parser.add_argument("--width", type=float, default=1.0, help="channel multiplier (tests use a narrow one)")
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    add_docs_option(parser, "forward_profile")
    args = parser.parse_args(argv)
    args.frames = args.frames or (8 if args.quick else 32)
    args.size = args.size or (112 if args.quick else 224)
    args.repeats = args.repeats or (2 if args.quick else 3)
    args.precision = args.precision or ("both" if native_bf16() else "fp32")
    return args


def run(args: argparse.Namespace) -> dict[str, Figures]:
    """Build the model and measure each precision ``args`` asks for, printing as it goes."""
    torch.manual_seed(0)
    model = compile_file(args.file).build_model(num_classes=CLASSES, width=args.width)
    clip = torch.rand(1, 3, args.frames, args.size, args.size)
    names = list(DTYPES) if args.precision == "both" else [args.precision]
    print(
        f"{machine()}\n{Path(args.file).name}, width {args.width:g}, clip 1 x 3 x {args.frames} x {args.size} x "
        f"{args.size}, inference copy, no grad, {torch.get_num_threads()} threads, {args.repeats} rounds after 1 "
        f"warm-up; {load_line()}"
    )
    measured = {}
    for name in names:
        f = measured[name] = measure(model, clip, DTYPES[name], args.repeats)
        print(
            f"{name}: forward {statistics.median(f.forward):.3f} s (median; min {min(f.forward):.3f} s), flow layer "
            f"alone {statistics.median(f.flow_alone):.3f} s, forward with flow given "
            f"{statistics.median(f.flow_given):.3f} s, profiled forward {f.profiled():.3f} s",
            flush=True,
        )
    return measured


def main() -> None:
    args = parse_args()
    measured = run(args)
    print(f"{load_line()} at the end\n")
    note = (
        "Shares of the profiled forward (self CPU time of each operator event, under the operator the "
        "model called; medians over rounds); the last three rows are timed without the profiler, as "
        "shares of the forward."
    )
    publish(args, "forward_profile", f"{share_table(measured).markdown()}\n\n{note}")


if __name__ == "__main__":
    main()
