"""How much time does generated AssembleNet-50 code spend outside its convolution, BN and pooling layers?

The overhead ratio is the whole model's time divided by the summed time of its compute layers run
alone, on the same input shapes and memory layouts: every 2D convolution (stem, module, shortcut
and fusion lift convs; in inference with the BN folded in, as the runtime runs them),
``nn.BatchNorm3d`` (training only), per-frame max-pool (the stems' ``SameMaxPool`` and the
fusions' pooling to the smallest input) and the head's ``nn.Linear``. The layers' input shapes are
recorded with hooks during one forward; then each layer is timed alone on a fresh input of the same
shape and strides. What the ratio measures above 1 is the rest: views and reshapes of the
per-frame layout, ReLUs, residual adds, fusion sums and weights, the head's pooling, Python and
module-call overhead, and memory traffic the layers alone do not see. Target: ratio <= 1.15.

Two workloads:

* ``inference``: AssembleNet-50 as published (width 1), batch 1 x 32 x 224 x 224, eval, no grad;
  forward only for the model and for each layer.
* ``training``: width 0.125 (the proxy-training width), batch 8 x 8 x 48 x 48, train mode;
  forward + cross-entropy + backward for the model, forward + backward for each layer (the input
  gradient only where the model computes one).

The optical flow is passed in precomputed (``flow=``) in both: the representation-flow layer is
neither a compute layer nor compiler overhead (``benchmarks/flow_share.py`` measures its share).

A second view comes from ``torch.profiler``: the self CPU time of the convolution, batch-norm and
pooling operators (forward and backward kernels) against the profiled wall time and against the
self CPU time of all operators.

Run from the repository root::

    python -m benchmarks.compiler_overhead [--quick] [--threads 2] [--repeats 5] [--workload both]
                                           [--heap-malloc] [--no-profiler] [--write-docs]

``--heap-malloc`` keeps glibc from mapping fresh pages for every large activation (see
:func:`heap_malloc`). ``--quick`` runs the same measurements at reduced size (inference at
8 x 112 x 112, training at batch 4 x 8 x 48 x 48, 3 repeats), in about a minute. Timings on a
shared machine vary a lot: every time is the minimum (and the median) of ``--repeats`` runs after
one warm-up run, and the load average is printed (with 2 threads on 2 cores that other processes
also use, OpenMP operators were measured 10-20x slower than with 1 thread).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.profiler import ProfilerActivity, profile

import anet.runtime.fusion as fusion_module
from anet.compiler import compile_file
from anet.runtime.layers import SameMaxPool, same_max_pool

from .common import Table, add_docs_option, publish, timed

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.15  # whole model / layers alone
LAYER_TYPES = (nn.BatchNorm3d, SameMaxPool, nn.Linear)  # convs: at F.conv2d
CONV2D = nn.functional.conv2d
LOAD_WARNING = (
    ": OTHER PROCESSES ARE RUNNING. With 2 threads on 2 busy cores, OpenMP operators were measured 10-20x "
    "slower than with 1 thread; use a quiet machine or --threads 1"
)


@dataclass
class Call:
    """One call of a compute layer during the recorded forward."""

    kind: str  # conv, bn, pool, linear
    run: Callable[[Tensor], Tensor]
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    needs_input_grad: bool
    dtype: torch.dtype = torch.float32  # bf16 under autocast (benchmarks/precision.py)


def kind_of(module: nn.Module) -> str:
    if isinstance(module, nn.BatchNorm3d):
        return "bn"
    if isinstance(module, nn.Linear):
        return "linear"
    return "pool"


def record_calls(model: nn.Module, inputs: dict[str, Tensor], training: bool) -> list[Call]:
    """Run one forward and record every compute layer call: module hooks for BN, pooling and the
    head, the fusions' pooling function, and every 2D convolution at ``F.conv2d`` (the conv modules'
    and the convs with BN folded in that inference runs instead, see ``anet.runtime.ConvBN``)."""
    calls: list[Call] = []

    def hook(module: nn.Module, args: tuple[Tensor, ...]) -> None:
        x = args[0]
        calls.append(Call(kind_of(module), module, tuple(x.shape), x.stride(), x.requires_grad, x.dtype))

    handles = [m.register_forward_pre_hook(hook) for m in model.modules() if isinstance(m, LAYER_TYPES)]

    def pool(x: Tensor, kernel: tuple[int, int], stride: tuple[int, int]) -> Tensor:
        calls.append(
            Call(
                "pool", lambda t: same_max_pool(t, kernel, stride), tuple(x.shape), x.stride(), x.requires_grad, x.dtype
            )
        )
        return same_max_pool(x, kernel, stride)

    def conv(x: Tensor, weight: Tensor, bias: Tensor | None = None, *args: object) -> Tensor:
        calls.append(
            Call("conv", lambda t: CONV2D(t, weight, bias, *args), tuple(x.shape), x.stride(), x.requires_grad, x.dtype)
        )
        return CONV2D(x, weight, bias, *args)

    fusion_module.same_max_pool = pool  # the Fusion's pooling is a function, not a module
    nn.functional.conv2d = conv  # looked up at every call, by nn.Conv2d and by the runtime alike
    try:
        with torch.set_grad_enabled(training):
            model(**inputs)
    finally:
        fusion_module.same_max_pool = same_max_pool
        nn.functional.conv2d = CONV2D
        for h in handles:
            h.remove()
    return calls


def layer_alone(call: Call, training: bool) -> Callable[[], object]:
    x = torch.empty_strided(call.shape, call.stride, dtype=call.dtype).uniform_(-1, 1)
    if training and call.needs_input_grad:
        x.requires_grad_(True)
    if not training:

        def forward() -> object:
            with torch.no_grad():
                return call.run(x)

        return forward
    grad = torch.randn_like(call.run(x))

    def step() -> object:
        out = call.run(x)
        out.backward(grad)
        return out

    return step


def profiled_shares(fn: Callable[[], object]) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Self CPU milliseconds per operator category in one profiled run, with its wall time."""
    with profile(activities=[ProfilerActivity.CPU]):
        fn()  # warm-up: the profiler's first run pays its own start-up
    start = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    wall = (time.perf_counter() - start) * 1000
    shares = {"conv": 0.0, "bn": 0.0, "pool": 0.0, "other": 0.0}
    others: dict[str, float] = {}
    for event in prof.key_averages():
        name = event.key
        ms = event.self_cpu_time_total / 1000
        if name.startswith("autograd::"):  # the engine's own per-node work, e.g. "...: ConvolutionBackward0"
            shares["other"] += ms
            others[name] = ms
        elif "conv" in name:
            shares["conv"] += ms
        elif "batch_norm" in name:
            shares["bn"] += ms
        elif "pool" in name:
            shares["pool"] += ms
        else:
            shares["other"] += ms
            others[name] = ms
    shares["all"] = sum(shares[k] for k in ("conv", "bn", "pool", "other"))
    shares["wall"] = wall
    return shares, sorted(others.items(), key=lambda item: -item[1])[:6]


@dataclass(frozen=True)
class Overhead:
    """One workload's whole-model time against the summed times of its layers run alone (seconds)."""

    workload: str
    model_min: float
    model_median: float
    layers_min: float
    layers_median: float
    profiled_ratio: float | None = None  # all operators / (conv + BN + pool), torch.profiler's self times

    @property
    def ratio_min(self) -> float:
        return self.model_min / self.layers_min

    @property
    def ratio_median(self) -> float:
        return self.model_median / self.layers_median


def verdict(overhead: Overhead) -> str:
    """Both ratios within the target: ok; one of them: at the edge; neither: missed."""
    within = sum(r <= TARGET for r in (overhead.ratio_min, overhead.ratio_median))
    return ("**missed**", "at the edge", "ok")[within]


def overhead_table(overheads: list[Overhead]) -> Table:
    """The docs' table: whole model and layers alone at their best, the ratio at best and median."""
    rows = [
        [
            o.workload,
            f"{o.model_min * 1e3:.0f} ms",
            f"{o.layers_min * 1e3:.0f} ms",
            f"{o.ratio_min:.2f} / {o.ratio_median:.2f}",
            verdict(o),
        ]
        for o in overheads
    ]
    header = ["workload", "whole model", "layers alone", "ratio (min / median)", f"target <= {TARGET:.2f}"]
    return Table(header, rows, ["l", "r", "r", "r", "l"])


def overhead_body(overheads: list[Overhead]) -> str:
    """The table, then torch.profiler's ratio per workload where it was measured."""
    notes = [
        f"torch.profiler, {o.workload}: all operators / (conv + BN + pool) = {o.profiled_ratio:.2f}"
        for o in overheads
        if o.profiled_ratio is not None
    ]
    return "\n\n".join([overhead_table(overheads).markdown(), *notes])


def measure(
    name: str, model: nn.Module, inputs: dict[str, Tensor], labels: Tensor | None, repeats: int, profiler: bool
) -> Overhead:
    training = labels is not None

    def run_model() -> object:
        if not training:
            with torch.no_grad():
                return model(**inputs)
        model.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(**inputs), labels)
        loss.backward()
        return loss

    model.train(training)
    calls = record_calls(model, inputs, training)
    model_times = timed(run_model, repeats)
    by_kind: dict[str, list[float]] = {"conv": [0.0, 0.0], "bn": [0.0, 0.0], "pool": [0.0, 0.0], "linear": [0.0, 0.0]}
    for call in calls:
        times = timed(layer_alone(call, training), repeats)
        by_kind[call.kind][0] += min(times)
        by_kind[call.kind][1] += statistics.median(times)
    model.zero_grad(set_to_none=True)
    counts = {k: sum(1 for c in calls if c.kind == k) for k in by_kind}
    overhead = Overhead(
        name,
        min(model_times),
        statistics.median(model_times),
        sum(v[0] for v in by_kind.values()),
        sum(v[1] for v in by_kind.values()),
    )
    print(f"\n== {name} ==")
    print(f"load average now {os.getloadavg()[0]:.2f}")
    print(f"{'':34}{'min ms':>10}{'median ms':>12}")
    print(f"{'whole model':34}{overhead.model_min * 1e3:10.1f}{overhead.model_median * 1e3:12.1f}")
    for kind, (lo, med) in by_kind.items():
        print(f"{f'  {kind} layers alone ({counts[kind]} calls)':34}{lo * 1e3:10.1f}{med * 1e3:12.1f}")
    print(f"{'  sum of layers alone':34}{overhead.layers_min * 1e3:10.1f}{overhead.layers_median * 1e3:12.1f}")
    print(
        f"{f'overhead ratio (target <= {TARGET})':34}{overhead.ratio_min:10.3f}{overhead.ratio_median:12.3f}"
        f"   {verdict(overhead)}"
    )
    if training:
        print_without_engine(overhead, len(calls))
    if profiler:
        overhead = replace(overhead, profiled_ratio=print_profile(run_model, overhead))
    return overhead


def print_without_engine(overhead: Overhead, calls: int) -> None:
    """Each layer-alone step starts the autograd engine once, which the model's one backward does
    not: estimate that fixed cost on a trivial op, to show the ratio without it."""
    tiny = torch.zeros(1, requires_grad=True)
    engine = min(timed(lambda: (tiny * 1.0).backward(torch.ones(1)), 50)) * calls
    print(
        f"{'  without engine starts (est.)':34}{overhead.model_min / (overhead.layers_min - engine):10.3f}"
        f"{overhead.model_median / (overhead.layers_median - engine):12.3f}"
        f"   ({calls} x {engine / calls * 1e6:.0f} us removed from the layers' sum)"
    )


def print_profile(run_model: Callable[[], object], overhead: Overhead) -> float:
    """Print torch.profiler's view of one run; return all operators / (conv + BN + pool)."""
    shares, top_other = profiled_shares(run_model)
    compute = shares["conv"] + shares["bn"] + shares["pool"]
    print("torch.profiler, one run (self CPU time of operators):")
    for kind in ("conv", "bn", "pool", "other"):
        print(f"  {kind:>6}: {shares[kind]:10.1f} ms  ({shares[kind] / shares['all']:6.1%} of operator time)")
    print(
        f"  conv + BN + pool {compute:.1f} ms of {shares['all']:.1f} ms operator self time "
        f"({compute / shares['all']:.1%}): all operators / (conv + BN + pool) = {shares['all'] / compute:.3f}"
    )
    print(
        f"  unprofiled model (min) / (conv + BN + pool) = {overhead.model_min * 1e3 / compute:.3f}; "
        f"the profiled run took {shares['wall']:.1f} ms (profiler overhead included)"
    )
    print("  largest 'other' operators: " + ", ".join(f"{n} {ms:.1f} ms" for n, ms in top_other))
    return shares["all"] / compute


def heap_malloc() -> None:
    """Keep glibc from returning large freed blocks to the OS (and taking fresh zeroed pages again).

    Each forward allocates every activation anew; glibc serves blocks above its mmap threshold
    with fresh mmap()s whose pages fault in (and are zeroed) on first touch. At 32 x 224 x 224 that
    cost about 15 % of AssembleNet-50's forward on this machine (1 thread: 8.0 s -> 6.8 s), time
    that the layers timed alone, reusing one buffer size, do not pay. Same effect as setting
    MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ in the environment.
    """
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    if not (libc.mallopt(m_trim_threshold, 2**31 - 1) and libc.mallopt(m_mmap_threshold, 2**31 - 1)):
        raise SystemExit("mallopt failed (not glibc?)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="reduced sizes and 3 repeats (about a minute)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per item (default 5, quick 3)")
    parser.add_argument("--workload", choices=["inference", "training", "both"], default="both")
    parser.add_argument("--no-profiler", action="store_true", help="skip the torch.profiler view")
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    parser.add_argument(
        "--heap-malloc",
        action="store_true",
        help="glibc only: serve large blocks from the heap instead of fresh mmap()s (mallopt M_MMAP_THRESHOLD and "
        "M_TRIM_THRESHOLD), so that freed activations are reused without page faults",
    )
    add_docs_option(parser, "compiler_overhead")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.heap_malloc:
        heap_malloc()
    repeats = args.repeats or (3 if args.quick else 5)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    module = compile_file(args.file)
    network = "AssembleNet-50" if Path(args.file).name == "assemblenet50.anet" else f"`{Path(args.file).name}`"
    frames, size = (8, 112) if args.quick else (32, 224)
    batch = 4 if args.quick else 8
    load = os.getloadavg()[0]
    print(
        f"{Path(args.file).name}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, {repeats} repeats after 1 warm-up, "
        f"oneDNN {'on' if torch.backends.mkldnn.enabled else 'off'}{', QUICK sizes' if args.quick else ''}"
        f"{', heap malloc (no mmap for large blocks)' if args.heap_malloc else ''}"
    )
    print(f"load average {load:.2f} at start" + (LOAD_WARNING if load > 0.5 else ""))
    overheads = []
    if args.workload in ("inference", "both"):  # eval, no grad, flow given
        model = module.build_model(width=1.0).eval()
        rgb = torch.rand(1, 3, frames, size, size)
        with torch.no_grad():
            flow = model.flow(rgb)
        name = f"{network} inference, 1 x {frames} x {size} x {size}, width 1"
        overheads.append(measure(name, model, {"rgb": rgb, "flow": flow}, None, repeats, not args.no_profiler))
        del model
    if args.workload in ("training", "both"):  # forward + backward, flow given
        model = module.build_model(num_classes=8, width=0.125)
        rgb = torch.rand(batch, 3, 8, 48, 48)
        with torch.no_grad():
            flow = model.flow(rgb)
        labels = torch.arange(batch) % 8
        name = f"training step, width 1/8, {batch} x 8 x 48 x 48"
        overheads.append(measure(name, model, {"rgb": rgb, "flow": flow}, labels, repeats, not args.no_profiler))
    print()
    publish(args, "compiler_overhead", overhead_body(overheads))


if __name__ == "__main__":
    main()
