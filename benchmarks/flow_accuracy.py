"""Optical flow on real ground truth, and what it costs: every flow setting anet offers, side by side.

Accuracy: the Middlebury motorcycle stereo pair read as two frames (anet.data.flow_truth, u = -disparity),
at quarter (185 x 125) and half (370 x 250) size: mean end-point error (EPE) and the fraction of
pixels off by more than 3 px, where the disparity is known, for

* the single-scale layer (`flow computed`, the authors' layer);
* the coarse-to-fine layer (`flow pyramid`, runtime.flow_pyramid.PyramidFlow) with its defaults
  (flow at half the input size), at full size, and computed in bfloat16 instead of float32;
* `anet flow extract`'s methods (tvl1 = OpenCV TV-L1 with 8 scales at step 0.5, pyramid, dis);
* OpenCV TV-L1 with its own default pyramid (5 scales at step 0.8) and DIS (fast preset).

Cost: time per 32-frame 224 x 224 clip (31 frame pairs) for each, and the forward time of
AssembleNet-50 (examples/assemblenet50.anet, width 1, eval, no grad, 1 x 3 x 32 x 224 x 224) with the
single-scale layer, with the coarse-to-fine layer swapped in (`model.flow = PyramidFlow()`), and with
the flow given (no layer), in float32 and under bfloat16 autocast, interleaved over ``--repeats``.
Targets: the coarse-to-fine layer's EPE within 1.2x of OpenCV TV-L1 (8 scales, 0.5) at both sizes;
`flow pyramid` adds at most 35 % to AssembleNet-50's forward time.

Run from the repository root (a few minutes on 2 cores; ``--quick`` skips the model and the clip
timing of OpenCV TV-L1; OpenCV's default TV-L1, the bfloat16 iteration and the full-size layer
are not timed per clip)::

    python -m benchmarks.flow_accuracy [--quick] [--threads 1] [--repeats 2] [--write-docs]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import torch

from anet.compiler import compile_file
from anet.data.flow_extract import FlowEstimator
from anet.data.flow_truth import FlowTruth, endpoint_errors, motorcycle_pair
from anet.runtime.flow import RepresentationFlow
from anet.runtime.flow_pyramid import PyramidFlow, pyramid_tvl1_pairs

from .common import Table, add_docs_option, load_line, publish, seconds

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.35  # what `flow pyramid` may add to AssembleNet-50's forward
# A method maps a sequence of uint8 RGB frames [H, W, 3] to the flow of each pair [N - 1, H, W, 2].
FlowMethod = Callable[[list[np.ndarray]], np.ndarray]


def layer_method(layer: torch.nn.Module) -> FlowMethod:
    def run(frames: list[np.ndarray]) -> np.ndarray:
        clip = torch.from_numpy(np.stack(frames)).float().div(255).permute(3, 0, 1, 2)[None]
        with torch.no_grad():
            return layer(clip)[0, :, :-1].permute(1, 2, 3, 0).numpy()

    return run


def bf16_method(frames: list[np.ndarray]) -> np.ndarray:
    """The coarse-to-fine iteration at full size with every tensor in bfloat16 (what fp32 avoids)."""
    gray = torch.from_numpy(np.stack(frames)).float().mean(-1)
    gray = ((gray - gray.min()) * (255 / (gray.max() - gray.min()))).bfloat16()
    with torch.no_grad():
        flow = pyramid_tvl1_pairs(gray[:-1], gray[1:], scales=8)
    return flow.float().permute(1, 2, 3, 0).numpy()


def opencv_method(algorithm: object) -> FlowMethod:
    def run(frames: list[np.ndarray]) -> np.ndarray:
        grays = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        return np.stack([algorithm.calc(a, b, None) for a, b in pairwise(grays)])  # type: ignore[attr-defined]

    return run


def extract_method(name: str) -> FlowMethod:
    estimator = FlowEstimator(name)  # type: ignore[arg-type]
    return lambda frames: estimator.pairs([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])


def methods() -> dict[str, FlowMethod]:
    dis_fast = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    return {
        COMPUTED: layer_method(RepresentationFlow()),
        PYRAMID: layer_method(PyramidFlow()),
        "`flow pyramid` + `pyramid resolution=1 scales=8`": layer_method(PyramidFlow(resolution=1.0, scales=8)),
        BF16: bf16_method,
        TVL1: extract_method("tvl1"),
        EXTRACT_PYRAMID: extract_method("pyramid"),
        EXTRACT_DIS: extract_method("dis"),
        "OpenCV TV-L1 with its default pyramid (5 levels at 0.8)": opencv_method(
            cv2.optflow.DualTVL1OpticalFlow_create()
        ),
        "OpenCV DIS, fast preset": opencv_method(dis_fast),
    }


COMPUTED, PYRAMID, BF16 = (
    "`flow computed`",
    "`flow pyramid` (defaults: computed at half size)",
    "the same iteration in bfloat16",
)
TVL1 = "`anet flow extract` (`--method tvl1`, OpenCV TV-L1, 8 levels at 0.5)"
EXTRACT_PYRAMID, EXTRACT_DIS = (
    "`anet flow extract --method pyramid`",
    "`anet flow extract --method dis` (DIS, medium preset)",
)
CLIP_TIMED = (COMPUTED, PYRAMID, TVL1, EXTRACT_PYRAMID, EXTRACT_DIS)  # full-size pyramid: as extract --method pyramid
SIZES = {"quarter": 0.25, "half": 0.5}


@dataclass
class Measured:
    """What the benchmark measured: errors by size and method, times in seconds."""

    errors: dict[str, dict[str, tuple[float, float]]]  # by size, by method: (mean EPE px, fraction > 3 px)
    zero: dict[str, float]  # by size: the EPE of predicting no motion
    clip: dict[str, float]  # by method: one 32-frame 224 x 224 clip
    forward: dict[str, dict[str, float]] = field(default_factory=dict)  # by precision: medians (model_share)


def accuracy(all_methods: dict[str, FlowMethod]) -> tuple[dict[str, dict[str, tuple[float, float]]], dict[str, float]]:
    errors, zero = {}, {}
    for label, scale in SIZES.items():
        truth: FlowTruth = motorcycle_pair(scale)
        zero[label] = float(endpoint_errors(np.zeros_like(truth.flow), truth).mean())
        height, width = truth.first.shape[:2]
        print(f"\nmotorcycle pair, {label} size ({width} x {height}); zero flow: EPE {zero[label]:.3f} px")
        errors[label] = {}
        for name, method in all_methods.items():
            start = time.perf_counter()
            found = endpoint_errors(method([truth.first, truth.second])[0], truth)
            errors[label][name] = (float(found.mean()), float((found > 3).mean()))
            epe, outliers = errors[label][name]
            print(f"  {name}: EPE {epe:.3f} px, {outliers:.1%} > 3 px ({(time.perf_counter() - start) * 1e3:.0f} ms)")
    return errors, zero


def clip_times(all_methods: dict[str, FlowMethod], quick: bool) -> dict[str, float]:
    rng = np.random.default_rng(0)
    # A real photo moving 3 px right and 1 px down per frame, 32 frames of 224 x 224.
    photo = cv2.resize(motorcycle_pair(0.5).first, (320, 320), interpolation=cv2.INTER_AREA)
    frames = [np.ascontiguousarray(photo[t : t + 224, 3 * t % 96 : 3 * t % 96 + 224]) for t in range(32)]
    frames = [np.clip(f + rng.normal(0, 1, f.shape), 0, 255).astype(np.uint8) for f in frames]
    print(f"\ntime per 32-frame 224 x 224 clip (31 pairs), {torch.get_num_threads()} torch threads:")
    times = {}
    for name in CLIP_TIMED:
        if not (quick and name == TVL1):
            times[name] = seconds(lambda name=name: all_methods[name](frames))
            print(f"  {name}: {times[name]:.2f} s")
    return times


def model_share(repeats: int) -> dict[str, dict[str, float]]:
    model = compile_file(ROOT / "examples" / "assemblenet50.anet").build_model().eval()
    rgb = torch.rand(1, 3, 32, 224, 224, generator=torch.Generator().manual_seed(0))
    single, pyramid = RepresentationFlow(), PyramidFlow()
    with torch.no_grad():
        given = model.flow(rgb)
    found = {}
    for precision in ("fp32", "bf16"):
        times: dict[str, list[float]] = {"flow computed": [], "flow pyramid": [], "flow given": [], "layer alone": []}
        # Under autocast the layer still computes in float32 (PyramidFlow's docstring says why).
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):

            def with_layer(layer: torch.nn.Module) -> float:
                model.flow = layer
                return seconds(lambda: model(rgb))

            with_layer(single), with_layer(pyramid)  # warm-up
            for _ in range(repeats):
                times["flow computed"].append(with_layer(single))
                times["flow pyramid"].append(with_layer(pyramid))
                times["flow given"].append(seconds(lambda: model(rgb, flow=given)))
                times["layer alone"].append(seconds(lambda: pyramid(rgb)))
        med = found[precision] = {k: statistics.median(v) for k, v in times.items()}
        print(f"\nAssembleNet-50, 1 x 3 x 32 x 224 x 224, {precision}, median of {repeats}:")
        for name, value in med.items():
            print(f"  forward, {name:24}{value:8.2f} s" if name != "layer alone" else f"  {name:34}{value:8.2f} s")
        # Two estimates of what the layer adds: the layer timed on its own (stable), and the difference
        # of two whole forwards (each of several seconds, so it moves with the load).
        alone = med["layer alone"] / med["flow given"]
        difference = med["flow pyramid"] / med["flow given"] - 1
        verdict = "ok" if alone <= TARGET else "ABOVE TARGET"
        print(
            f"  flow pyramid adds {alone:.1%} (layer alone / forward with flow given; target <= 35 %: {verdict}), "
            f"{difference:.1%} by the difference of whole forwards; flow computed adds "
            f"{med['flow computed'] / med['flow given'] - 1:.1%} by the difference"
        )
    return found


def number(value: float) -> str:
    return "NaN" if math.isnan(value) else f"{value:.2f}"


def pixels(epe: float) -> str:
    return "NaN" if math.isnan(epe) else f"{epe:.2f} px"


def accuracy_table(m: Measured) -> Table:
    """Per method and size: EPE and the share of pixels off by more than 3 px; EPE over OpenCV TV-L1's."""
    sizes = list(m.errors)
    header = ["setting", *(f"{size} size: EPE, > 3 px" for size in sizes), f"x OpenCV TV-L1 ({', '.join(sizes)})"]
    rows = []
    for name in m.errors[sizes[0]]:
        cells = [f"{pixels(m.errors[s][name][0])}, {m.errors[s][name][1] * 100:.1f} %" for s in sizes]
        ratio = ", ".join(number(m.errors[s][name][0] / m.errors[s][TVL1][0]) for s in sizes)
        rows.append([name, *cells, ratio])
    return Table(header, rows)


def duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def cost_table(m: Measured) -> Table:
    """Time per clip of each method, and what the layers add to AssembleNet-50's forward (``forward``)."""
    extract = [duration(m.clip[n]) if n in m.clip else "not timed" for n in (TVL1, EXTRACT_PYRAMID, EXTRACT_DIS)]
    rows = [
        [f"32-frame 224 x 224 clip (31 pairs): {COMPUTED}", duration(m.clip[COMPUTED])],
        ["the same clip: `flow pyramid` (defaults)", duration(m.clip[PYRAMID])],
        ["the same clip: `anet flow extract`, tvl1 / pyramid / dis", " / ".join(extract)],
    ]
    if m.forward:
        fp32, bf16 = m.forward["fp32"], m.forward["bf16"]

        def both(share: Callable[[dict[str, float]], float]) -> str:
            return f"{share(fp32) * 100:.1f} % / {share(bf16) * 100:.1f} %"

        rows += [
            [
                "AssembleNet-50 forward, 1 x 3 x 32 x 224 x 224, with flow given (no layer), fp32 / bf16 autocast",
                f"{duration(fp32['flow given'])} / {duration(bf16['flow given'])}",
            ],
            [
                f"what `flow pyramid` adds to it (the layer alone), fp32 / bf16 (target <= {TARGET * 100:.0f} %)",
                both(lambda t: t["layer alone"] / t["flow given"]),
            ],
            [
                "the same, as the difference of whole forwards (flow pyramid minus flow given), fp32 / bf16",
                both(lambda t: t["flow pyramid"] / t["flow given"] - 1),
            ],
        ]
    return Table(["", "time"], rows)


def accuracy_body(m: Measured, threads: int) -> str:
    zero = " / ".join(f"{m.zero[s]:.2f}" for s in m.zero)
    intro = (
        "Mean end-point error (EPE) and pixels off by more than 3 px, where the disparity is known (predicting\n"
        f"zero motion gives {zero} px):"
    )
    cost = f"Cost ({threads} torch thread{'s' if threads > 1 else ''}):"
    parts = [intro, accuracy_table(m).markdown(), cost, cost_table(m).markdown()]
    if m.forward:
        parts.append("(The layer always computes in float32, so it is a larger share of the faster bf16 forward.)")
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="no model timing, no OpenCV TV-L1 clip timing")
    parser.add_argument("--threads", type=int, default=1, help="1: timings that do not wait on a busy second core")
    parser.add_argument("--repeats", type=int, default=2, help="timed rounds of the model forwards")
    add_docs_option(parser, "flow_accuracy")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    print(
        f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
        f"{args.threads} threads, OpenCV {cv2.__version__}; "
        + load_line(busy_above=1, warning="timings are unreliable, ratios less so")
    )
    all_methods = methods()
    measured = Measured(*accuracy(all_methods), clip_times(all_methods, args.quick))
    if not args.quick:
        measured.forward = model_share(args.repeats)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}\n")
    publish(args, "flow_accuracy", accuracy_body(measured, args.threads))


if __name__ == "__main__":
    main()
