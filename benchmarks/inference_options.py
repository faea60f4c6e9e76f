"""What each inference speed-up of AssembleNet-50 on the CPU buys, and what was tried and not kept,
measured side by side. The CPU's capability is printed first. bf16 autocast, 1 x 32 x 224 x 224,
eval, no gradient, 2 threads, the `anet` command's OpenMP setting (anet.host).

* ``fold``: BN folded into the convs at every call (anet.runtime.ConvBN in eval mode: from
  FOLD_MIN_ELEMENTS output elements on) against conv then BN, against folding at every size and
  against the inference copy that anet's commands run (anet.runtime.inference_copy: BN folded
  once, conv weights in bf16), with ``flow=`` given, alternating round by round in one process; at
  full size, at 1 x 8 x 112 x 112 and at the search's proxy size.
* ``relu post-op``: the folded conv with its ReLU fused in as a oneDNN post-op
  (``torch.ops.mkldnn._convolution_pointwise``), against the default; not kept.
* ``freed memory``: the whole forward in fresh processes, with and without
  anet.host.keep_freed_memory (which the other parts run with, as the commands do): time, page
  faults per forward, peak memory.
* ``flow layer``: the representation-flow layer on 31 pairs of 224 x 224 frames in fp32 (as it runs)
  and in bf16, with the endpoint error of each on the Middlebury motorcycle pair at quarter size
  (data/flow_truth.py); bf16 was not kept.
* ``--compile`` adds torch.compile (inductor) of the flow layer, of each block's iterations of its
  loop written without in-place operations (inductor then fuses each iteration into one kernel),
  and of the whole model with inductor's freezing, each with its compile time (minutes).

Run from the repository root::

    python -m benchmarks.inference_options [--rounds 6] [--compile] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from anet.host import keep_freed_memory, openmp_environment

openmp_environment(os.environ)  # as under the `anet` command; before torch is imported

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor, nn  # noqa: E402

from anet.compiler import compile_file  # noqa: E402
from anet.data.flow_truth import endpoint_errors, motorcycle_pair  # noqa: E402
from anet.runtime import flow as flow_module  # noqa: E402
from anet.runtime import inference_copy, layers  # noqa: E402
from anet.runtime.flow import RepresentationFlow, normalise_clips, tvl1_pairs  # noqa: E402
from anet.training.device import describe_cpu  # noqa: E402

from .common import Table, add_docs_option, publish, seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FOLDED = layers.ConvBN.conv_bn


def unfolded(self: layers.ConvBN, apply: Callable[..., Tensor], x: Tensor) -> Tensor:
    return self.bn(apply(self.conv, x))


def model_and_clip() -> tuple[nn.Module, Tensor]:
    torch.manual_seed(0)
    model = compile_file(ROOT / "examples" / "assemblenet50.anet").build_model(num_classes=339).eval()
    return model, torch.rand(1, 3, 32, 224, 224)


def forward(model: nn.Module, **inputs: Tensor) -> Tensor:
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        return model(**inputs)


def alternate(variants: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median time per variant, the variants alternating round by round after one warm-up each."""
    for fn in variants.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            times[name].append(seconds(fn))
    return {name: statistics.median(values) for name, values in times.items()}


def relu_post_op(self: layers.FrameConvBN, x: Tensor) -> Tensor:
    """FrameConvBN's inference path with the BN folded and the ReLU as a oneDNN post-op."""
    if self.subsample > 1:
        x = x[..., :: self.subsample, :: self.subsample]
    conv = self.conv
    dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype
    weight, bias = (t.to(dtype) for t in layers.folded_weights(conv, self.bn))
    op = torch.ops.mkldnn._convolution_pointwise
    attr = "relu" if self.relu else "none"
    args = (list(conv.padding), list(conv.stride), list(conv.dilation), 1, attr, [], "")
    return layers.per_frame(lambda v: op(v.to(dtype), weight, bias, *args), x)


UNFOLDED, FOLD, FOLD_ALL, COPY, POST_OP = (
    "conv then BN",
    "BN folded from the threshold",
    "BN folded at every size",
    "inference copy",
    "BN folded + ReLU post-op",
)
POST_OP_NAME, EVAL_MODE = "(`torch.ops.mkldnn._convolution_pointwise`)", "(a model in eval mode)"
EPE_PAIR = "the motorcycle pair (quarter size)"
FULL, MEDIUM, PROXY = "1 x 32 x 224 x 224", "1 x 8 x 112 x 112", "proxy model (width 1/8, 8 x 8 x 48 x 48)"
SHAPES = {  # name: (width, clip shape, rounds multiplier)
    FULL: (1.0, (1, 3, 32, 224, 224), 1),
    MEDIUM: (1.0, (1, 3, 8, 112, 112), 3),
    PROXY: (0.125, (8, 3, 8, 48, 48), 4),
}


def model_options(rounds: int, shape: str) -> dict[str, float]:
    """Unfolded, folded at every call as a model in eval mode does (from FOLD_MIN_ELEMENTS), folded
    at every call at every size, the inference copy that the commands run (BN folded once, conv
    weights in bf16), and at full size the ReLU post-op as well."""
    width, clip, more = SHAPES[shape]
    torch.manual_seed(0)
    model = compile_file(ROOT / "examples" / "assemblenet50.anet").build_model(num_classes=339, width=width).eval()
    rgb = torch.rand(*clip)
    with torch.no_grad():
        flow = model.flow(rgb)
    plain_forward = layers.FrameConvBN.forward

    def with_fold(
        fold: Callable[..., Tensor], frame_forward: Callable[..., Tensor], threshold: int = layers.FOLD_MIN_ELEMENTS
    ) -> Callable[[], object]:
        def run() -> object:
            layers.ConvBN.conv_bn, layers.FrameConvBN.forward = fold, frame_forward  # type: ignore[method-assign]
            default, layers.FOLD_MIN_ELEMENTS = layers.FOLD_MIN_ELEMENTS, threshold
            try:
                return forward(model, rgb=rgb, flow=flow)
            finally:
                layers.ConvBN.conv_bn, layers.FrameConvBN.forward = FOLDED, plain_forward  # type: ignore[method-assign]
                layers.FOLD_MIN_ELEMENTS = default

        return run

    copy = inference_copy(model, torch.bfloat16)
    variants = {
        UNFOLDED: with_fold(unfolded, plain_forward),
        FOLD: with_fold(FOLDED, plain_forward),
        FOLD_ALL: with_fold(FOLDED, plain_forward, threshold=0),
        COPY: lambda: forward(copy, rgb=rgb, flow=flow),
    }
    if more == 1:
        variants[POST_OP] = with_fold(FOLDED, relu_post_op)
    print(f"bf16 forward with flow given, {shape}: {rounds * more} rounds", flush=True)
    return alternate(variants, rounds * more)


MEMORY_WORKER = """
import resource, statistics, sys
from benchmarks import inference_options as b
from benchmarks.common import seconds
from anet.host import keep_freed_memory
print("kept" if keep_freed_memory() else "not kept")
model, rgb = b.model_and_clip()
b.forward(model, rgb=rgb); b.forward(model, rgb=rgb)
times, faults = [], []
for _ in range(ROUNDS):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    times.append(seconds(lambda: b.forward(model, rgb=rgb)))
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(statistics.median(times), statistics.median(faults), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@dataclass(frozen=True)
class MemoryRun:
    """One fresh process's whole forward: median time, page faults per forward, peak memory."""

    kept: bool
    seconds: float
    faults: float
    peak_mb: float


def freed_memory(rounds: int) -> list[MemoryRun]:
    print(f"whole bf16 forward (flow computed), fresh process each, medians of {rounds} forwards", flush=True)
    runs = []
    for setting in ("0", "1", "0", "1"):
        env = os.environ | {"ANET_KEEP_FREED_MEMORY": setting}
        code = MEMORY_WORKER.replace("ROUNDS", str(rounds))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
        if done.returncode:
            raise SystemExit(done.stderr)
        state, figures = done.stdout.strip().splitlines()[-2:]
        median, faults, peak_kib = (float(v) for v in figures.split())
        runs.append(MemoryRun(state == "kept", median, faults, peak_kib / 1024))
    return runs


def block_iterations(
    w: Tensor, q: Tensor, grad_i: Tensor, step_coef: Tensor, rho_term: Tensor, lam_theta: float, tau: float, count: int
) -> tuple[Tensor, Tensor]:
    """The in-place loop's iterations (anet.runtime.flow.primal_dual_steps, eps 0) written without
    in-place operations, so that inductor can fuse each iteration's 16 memory passes."""
    for _ in range(count):
        step = (rho_term + step_coef[0] * w[0] + step_coef[1] * w[1]).clamp(-lam_theta, lam_theta)
        q_x, q_y = q[0], q[1]
        divergence = q_x - F.pad(q_x[..., :-1], (1, 0)) + q_y - F.pad(q_y[..., :-1, :], (0, 0, 1, 0))
        w = w + grad_i * step + divergence
        grad_x = F.pad(w[..., 1:] - w[..., :-1], (0, 1))
        grad_y = F.pad(w[..., 1:, :] - w[..., :-1, :], (0, 0, 0, 1))
        q = (q + tau * torch.stack((grad_x, grad_y))) / (torch.sqrt(grad_x * grad_x + grad_y * grad_y) + 1.0)
    return w, q


def compiled_steps() -> Callable[..., None]:
    """A drop-in for primal_dual_steps that runs a block's iterations as one compiled graph."""
    compiled = torch.compile(block_iterations, dynamic=False)

    def steps(
        w: Tensor,
        q: Tensor,
        grad_w: Tensor,
        grad_i: Tensor,
        step_coef: Tensor,
        rho_term: Tensor,
        step: Tensor,
        denom: Tensor,
        iterations: int,
        lam_theta: float,
        tau: float,
        eps: float = 0.0,
    ) -> None:
        if eps:
            raise ValueError("the compiled variant is for the single-scale layer (eps 0)")
        new_w, new_q = compiled(w, q, grad_i, step_coef, rho_term, lam_theta, tau, iterations)
        w.copy_(new_w)
        q.copy_(new_q)

    return steps


def with_steps(steps: Callable[..., None], first: Tensor, second: Tensor) -> Tensor:
    """tvl1_pairs with its in-place loop's iterations run by ``steps``."""
    eager, flow_module.primal_dual_steps = flow_module.primal_dual_steps, steps
    try:
        return tvl1_pairs(first, second)
    finally:
        flow_module.primal_dual_steps = eager


@dataclass
class FlowLayer:
    """The flow layer's medians (seconds) by variant, endpoint errors (px) by dtype, compile times (s)."""

    times: dict[str, float]
    epe: dict[str, float]
    layer_compile: float | None = None
    steps_compile: float | None = None


def flow_layer(rounds: int, compile_: bool) -> FlowLayer:
    first, second = torch.rand(31, 224, 224) * 255, torch.rand(31, 224, 224) * 255
    variants: dict[str, Callable[[], object]] = {
        "fp32": lambda: tvl1_pairs(first, second),
        "bf16": lambda: tvl1_pairs(first.bfloat16(), second.bfloat16()),
    }
    result = FlowLayer({}, {})
    if compile_:
        layer, rgb = RepresentationFlow(), torch.rand(1, 3, 32, 224, 224)
        compiled = torch.compile(layer)
        with torch.no_grad():
            result.layer_compile = seconds(lambda: compiled(rgb))
        variants["whole layer eager"] = lambda: layer(rgb)
        variants["whole layer compiled"] = lambda: compiled(rgb)
        steps = compiled_steps()
        with torch.no_grad():
            result.steps_compile = seconds(lambda: with_steps(steps, first, second))
            gap = (with_steps(steps, first, second) - tvl1_pairs(first, second)).abs().max().item()
        print(f"each block's iterations compiled: largest difference from the eager loop {gap:.1e} px")
        variants["iterations compiled"] = lambda: with_steps(steps, first, second)
    with torch.no_grad():
        result.times = alternate(variants, rounds)
    truth = motorcycle_pair(0.25)
    frames = torch.tensor(np.stack([truth.first, truth.second])).float().mean(-1)[None] / 255
    gray = normalise_clips(frames)
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        with torch.no_grad():
            flow = tvl1_pairs(gray[:, 0].to(dtype), gray[:, 1].to(dtype)).float()
        result.epe[name] = float(endpoint_errors(flow[:, 0].permute(1, 2, 0).numpy(), truth).mean())
    return result


@dataclass(frozen=True)
class WholeCompiled:
    compile_seconds: float
    eager: float
    compiled: float


def whole_model_compiled(rounds: int) -> WholeCompiled:
    import torch._inductor.config as inductor

    inductor.freezing = True
    model, rgb = model_and_clip()
    compiled = torch.compile(model)
    took = seconds(lambda: forward(compiled, rgb=rgb))
    times = alternate(
        {"eager": lambda: forward(model, rgb=rgb), "compiled": lambda: forward(compiled, rgb=rgb)}, rounds
    )
    return WholeCompiled(took, times["eager"], times["compiled"])


@dataclass(frozen=True)
class Options:
    """Everything the benchmark measured: medians in seconds."""

    folds: dict[str, dict[str, float]]  # by shape (SHAPES), by variant (UNFOLDED, FOLD, ...)
    memory: list[MemoryRun]
    flow: FlowLayer
    whole: WholeCompiled | None = None


def power_of_two(n: int) -> str:
    return f"2^{n.bit_length() - 1}" if n > 0 and n & (n - 1) == 0 else f"{n:,}"


def ms(seconds: float, digits: int = 0) -> str:
    return f"{seconds * 1e3:.{digits}f}"


def options_table(o: Options, fold_min_elements: int) -> Table:
    """The docs' table: each option's time, its gain over the plain variant, and whether anet keeps it."""
    full = o.folds[FULL]
    threshold = power_of_two(fold_min_elements)

    def against(name: str) -> str:
        return f"{ms(full[name])} ms ({full[UNFOLDED] / full[name]:.2f}x)"

    def four(shape: str) -> str:
        return " / ".join(ms(o.folds[shape][v], 1) for v in (UNFOLDED, FOLD, FOLD_ALL, COPY)) + " ms"

    def pairs(cell: Callable[[MemoryRun], str], unit: str = "") -> str:
        runs = o.memory
        return ", ".join(f"{cell(a)} / {cell(b)}{unit}" for a, b in zip(runs[::2], runs[1::2], strict=True))

    four_what = f"conv then BN / folded from {threshold} / folded at every size / inference copy"
    memory_what = f"whole forward, fresh processes, freed memory not kept / kept ({len(o.memory) // 2} pairs)"
    flow, epe = o.flow.times, o.flow.epe
    rows = [
        ("forward with flow given: conv then BN", f"{ms(full[UNFOLDED])} ms", ""),
        (f"the same, BN folded at every call from {threshold} output elements {EVAL_MODE}", against(FOLD), "yes"),
        ("the same, BN folded at every call at every size", against(FOLD_ALL), ""),
        ("the inference copy: BN folded once, conv weights in bf16 (what the commands run)", against(COPY), "yes"),
    ]
    if POST_OP in full:
        rows.append((f"BN folded at every call, plus ReLU as a oneDNN post-op {POST_OP_NAME}", against(POST_OP), "no"))
    rows += [
        (f"{MEDIUM}, flow given: {four_what}", four(MEDIUM), ""),
        (f"{PROXY}, flow given: the same four", four(PROXY), ""),
        (memory_what, pairs(lambda r: ms(r.seconds), " ms"), "kept"),
        ("page faults per forward, not kept / kept", pairs(lambda r: f"{r.faults:,.0f}"), ""),
        ("peak memory, not kept / kept", pairs(lambda r: f"{r.peak_mb:.0f}", " MB"), ""),
        ("flow layer, 31 pairs of 224 x 224: fp32 / bf16", f"{ms(flow['fp32'])} / {ms(flow['bf16'])} ms", "fp32"),
        (f"its endpoint error on {EPE_PAIR}: fp32 / bf16", f"{epe['fp32']:.2f} / {epe['bf16']:.2f} px", ""),
    ]
    rows += compiled_rows(o)
    return Table(["what", "time", "kept?"], rows, ["l", "r", "l"])


def compiled_rows(o: Options) -> list[tuple[str, str, str]]:
    """The torch.compile rows (``--compile``): the flow layer whole, its iterations, the whole model."""
    flow, rows = o.flow, []
    if flow.layer_compile is not None:
        eager, compiled = flow.times["whole layer eager"], flow.times["whole layer compiled"]
        what = f"flow layer eager / `torch.compile` ({flow.layer_compile:.0f} s to compile)"
        rows.append((what, f"{ms(eager)} / {ms(compiled)} ms", "eager"))
    if flow.steps_compile is not None:
        steps = flow.times["iterations compiled"]
        what = (
            "flow layer with each block's 40 iterations compiled as one graph "
            f"(fused by inductor; {flow.steps_compile:.0f} s to compile)"
        )
        rows.append((what, f"{ms(steps)} ms ({flow.times['fp32'] / steps:.2f}x)", "no"))
    if o.whole is not None:
        compile_s = o.whole.compile_seconds
        what = f"whole forward eager / `torch.compile` with inductor's freezing ({compile_s:.0f} s to compile)"
        rows.append((what, f"{ms(o.whole.eager)} / {ms(o.whole.compiled)} ms", "eager"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--compile", action="store_true", help="add torch.compile of the flow layer and the model")
    add_docs_option(parser, "inference_options")
    args = parser.parse_args()
    torch.set_num_threads(2)
    keep_freed_memory()  # as every command that runs a model (the freed-memory part compares both)
    print(describe_cpu())
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    folds = {shape: model_options(args.rounds, shape) for shape in SHAPES}
    memory = freed_memory(args.rounds)
    flow = flow_layer(args.rounds, args.compile)
    whole = whole_model_compiled(args.rounds) if args.compile else None
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end\n")
    table = options_table(Options(folds, memory, flow, whole), layers.FOLD_MIN_ELEMENTS)
    publish(args, "inference_options", table.markdown())


if __name__ == "__main__":
    main()
