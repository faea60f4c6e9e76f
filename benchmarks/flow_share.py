"""Share of AssembleNet-50's forward time spent in the representation-flow (TV-L1) layer.

The authors' layer took about 40 % of the forward time of AssembleNet-50 on a CPU; the target
for ours is under 25 %. The generated AssembleNet-50 (width 1, eval, no grad) runs on one clip of
1 x 3 x 32 x 224 x 224, and the share is measured three ways, interleaved over ``--repeats``
rounds so that load changes on a shared machine hit all of them alike:

* ``hooks``: forward pre/post hooks on ``model.flow`` time the layer inside each whole forward;
  share = time inside the layer / time of that forward;
* ``alone``: the flow layer called on its own on the same clip, against the whole forward;
* ``difference``: the whole forward minus the forward with the same flow passed in (``flow=``,
  which skips the layer), against the whole forward.

In the same rounds, for the layer's own cost: the layer on an input that requires a gradient (the
functional loop training runs, forward only) and a direct port of the authors' formulation
(``benchmarks/flow_layer.py``'s ``authors_formulation``; ``--no-baseline`` skips both).

Run from the repository root::

    python -m benchmarks.flow_share [--quick] [--threads 2] [--repeats 5] [--no-baseline] [--write-docs]

``--quick`` uses 1 x 3 x 8 x 112 x 112 and 3 repeats (well under a minute).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch
from torch import Tensor, nn

from anet.compiler import compile_file

from .common import Table, add_docs_option, load_line, publish, seconds
from .flow_layer import authors_formulation

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.25  # of the whole forward


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 x 3 x 8 x 112 x 112, 3 repeats")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 5, quick 3)")
    parser.add_argument("--frames", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the autograd path and the authors' port")
    add_docs_option(parser, "flow_share")
    return parser.parse_args()


def measure(model: nn.Module, rgb: Tensor, repeats: int, baseline: bool = True) -> dict[str, list[float]]:
    """Per round: the whole forward and the flow layer's time inside it (hooks), the forward with the
    flow given, the layer alone and (``baseline``) its autograd path and the authors' port; one
    warm-up round first."""
    inside: list[float] = []
    started: list[float] = []

    def before(_module: nn.Module, _args: tuple[Tensor, ...]) -> None:
        started.append(time.perf_counter())

    def after(_module: nn.Module, _args: tuple[Tensor, ...], _out: Tensor) -> None:
        inside.append(time.perf_counter() - started.pop())

    model.flow.register_forward_pre_hook(before)
    model.flow.register_forward_hook(after)
    with torch.no_grad():
        flow = model.flow(rgb)
    inside.clear()

    def whole() -> float:
        return seconds(lambda: model(rgb))

    def flow_given() -> float:
        return seconds(lambda: model(rgb, flow=flow))

    def flow_alone() -> float:
        return seconds(lambda: model.flow(rgb))

    leaf = rgb.clone().requires_grad_(True)  # selects the functional loop; no backward is run

    def autograd() -> float:
        with torch.enable_grad():
            return seconds(lambda: model.flow(leaf))

    def authors() -> float:
        return seconds(lambda: authors_formulation(rgb, iterations=model.flow.iterations))

    extra = {"autograd": autograd, "authors": authors} if baseline else {}
    times: dict[str, list[float]] = {"whole": [], "flow given": [], "flow alone": [], "hooks": []}
    times |= {name: [] for name in extra}
    with torch.no_grad():
        whole(), flow_given(), flow_alone(), *(run() for run in extra.values())  # warm-up
        inside.clear()
        for _ in range(repeats):
            times["whole"].append(whole())
            times["hooks"].append(inside.pop())
            times["flow given"].append(flow_given())
            times["flow alone"].append(flow_alone())
            inside.clear()
            for name, run in extra.items():
                times[name].append(run())
                inside.clear()
    return times


def shares(times: dict[str, list[float]]) -> dict[str, float]:
    """The flow layer's share of the whole forward, median over rounds, three ways (hooks, alone,
    difference)."""
    whole = times["whole"]
    return {
        "hooks": statistics.median(h / w for h, w in zip(times["hooks"], whole, strict=True)),
        "alone": statistics.median(times["flow alone"]) / statistics.median(whole),
        "difference": 1 - statistics.median(times["flow given"]) / statistics.median(whole),
    }


def percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def share_table(times: dict[str, list[float]], network: str = "AssembleNet-50") -> Table:
    """The docs' table: the share (hooks, median) against the target, and the layer's own times."""
    share = shares(times)["hooks"]
    ours = statistics.median(times["flow alone"])
    rows = [
        [
            f"share of {network}'s forward time in the flow layer (hooks, median)",
            f"{percent(share)} (target < {TARGET * 100:.0f} %: {'ok' if share < TARGET else '**missed**'})",
        ],
        ["flow layer alone, our tensor code (inference path)", f"{ours * 1e3:.0f} ms"],
    ]
    if "autograd" in times:
        autograd, authors = statistics.median(times["autograd"]), statistics.median(times["authors"])
        rows += [
            ["the same layer with autograd (training path, forward only)", f"{autograd * 1e3:.0f} ms"],
            [
                "a direct port of the authors' formulation (masks and convolutions per iteration)",
                f"{authors * 1e3:.0f} ms ({authors / ours:.1f}x ours)",
            ],
        ]
    return Table(["", ""], rows)


def report(times: dict[str, list[float]]) -> None:
    hook_shares = [h / w for h, w in zip(times["hooks"], times["whole"], strict=True)]
    w_min, w_med = min(times["whole"]), statistics.median(times["whole"])
    print(f"{'':40}{'min ms':>10}{'median ms':>12}")
    rows = [
        ("whole forward (flow computed)", times["whole"]),
        ("  flow layer inside it (hooks)", times["hooks"]),
        ("whole forward with flow= given", times["flow given"]),
        ("flow layer alone", times["flow alone"]),
    ]
    for label, values in rows:
        print(f"{label:40}{min(values) * 1e3:10.1f}{statistics.median(values) * 1e3:12.1f}")
    diff_min = w_min - min(times["flow given"])
    diff_med = w_med - statistics.median(times["flow given"])
    print("share of the forward time in the flow layer (target < 25 %):")
    print(f"  hooks:      {min(hook_shares):6.1%} (min)  {statistics.median(hook_shares):6.1%} (median)")
    print(
        f"  alone:      {min(times['flow alone']) / w_min:6.1%} (min)  "
        f"{statistics.median(times['flow alone']) / w_med:6.1%} (median)"
    )
    print(f"  difference: {diff_min / w_min:6.1%} (min)  {diff_med / w_med:6.1%} (median)")
    verdict = "ok" if statistics.median(hook_shares) < 0.25 else "ABOVE TARGET"
    print(f"verdict (median of the hook shares): {verdict}; load average at the end {os.getloadavg()[0]:.2f}")


def main() -> None:
    args = parse_args()
    repeats = args.repeats or (3 if args.quick else 5)
    frames = args.frames or (8 if args.quick else 32)
    size = args.size or (112 if args.quick else 224)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = compile_file(args.file).build_model().eval()
    rgb = torch.rand(1, 3, frames, size, size)
    print(
        f"{Path(args.file).name}: 1 x 3 x {frames} x {size} x {size}, eval, no grad, "
        f"{model.flow.iterations} TV-L1 iterations; torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{repeats} rounds after 1 warm-up{', QUICK size' if args.quick else ''}; {load_line()}"
    )
    times = measure(model, rgb, repeats, baseline=not args.no_baseline)
    report(times)
    network = "AssembleNet-50" if Path(args.file).name == "assemblenet50.anet" else f"`{Path(args.file).name}`"
    found = shares(times)
    note = f"Share by the layer alone: {percent(found['alone'])}; by the difference of whole forwards: "
    print()
    publish(args, "flow_share", f"{share_table(times, network).markdown()}\n\n{note}{percent(found['difference'])}.")


if __name__ == "__main__":
    main()
