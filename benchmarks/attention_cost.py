"""What AssembleNet++ attention costs: AssembleNet-50's forward without attention, with self-attention
and with peer-attention, side by side in one run.

The three variants are the published AssembleNet-50 (`examples/assemblenet50.anet`) with the header's
`attention` set to `none`, `self` or `peer` (peers: every node of a lower level, as published for
AssembleNet++). Batch 1, eval, no grad, fp32, flow passed in precomputed (the flow layer is the same
in all three: `benchmarks/flow_share.py` measures it). The rounds interleave the variants (none,
self, peer, none, ...) so that a slower stretch of a shared machine hits them alike; each time is
the minimum and the median of `--repeats` rounds after one warm-up round, and the ratios are
against `none` in the same run. FLOPs are torch's counter's (convolutions and matrix products,
multiply-add = 2), counted on the warm-up forward.

What attention adds to the forward: per block, a spatial mean of every peer (peer-attention) or
every connection (self-attention) per frame, dense layers on those vectors, and one multiplication of
every connection by its gate; the dense layers are small, the means and the multiplications read
every connection's activations once more.

Run from the repository root::

    python -m benchmarks.attention_cost [--frames 32] [--size 224] [--repeats 3] [--threads 2] [--write-docs]
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from anet.compiler import compile_to_module
from anet.dsl import Network, format_network, load

from .common import Table, add_docs_option, load_line, machine, publish, seconds

ROOT = Path(__file__).resolve().parents[1]
MODES = ("none", "self", "peer")


@dataclass(frozen=True)
class Variant:
    mode: str
    parameters: int
    flops: int
    times: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def with_attention(network: Network, mode: str) -> Network:
    return network.model_copy(update={"header": network.header.model_copy(update={"attention": mode})})


def build(network: Network, mode: str) -> torch.nn.Module:
    variant = with_attention(network, mode)
    torch.manual_seed(0)
    return compile_to_module(variant, format_network(variant), f"assemblenet50_{mode}.anet").build_model().eval()


def measure(network: Network, frames: int, size: int, repeats: int) -> list[Variant]:
    """One warm-up forward per variant (counting its FLOPs), then `repeats` interleaved rounds."""
    models = {mode: build(network, mode) for mode in MODES}
    generator = torch.Generator().manual_seed(0)
    inputs = {
        "rgb": torch.rand(1, 3, frames, size, size, generator=generator),
        "flow": torch.randn(1, 2, frames, size, size, generator=generator),
    }
    flops = {}
    with torch.no_grad():
        for mode, model in models.items():
            counter = FlopCounterMode(display=False)
            with counter:
                model(**inputs)
            flops[mode] = counter.get_total_flops()
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(repeats):
            for mode, model in models.items():
                times[mode].append(seconds(lambda model=model: model(**inputs)))
    return [
        Variant(mode, sum(p.numel() for p in models[mode].parameters()), flops[mode], tuple(times[mode]))
        for mode in MODES
    ]


def table(variants: list[Variant]) -> Table:
    base = variants[0]
    rows = [
        [
            f"`attention {v.mode}`",
            f"{v.parameters:,}",
            f"{v.flops / 1e9:.1f}",
            f"{v.best * 1000:.0f}",
            f"{v.median * 1000:.0f}",
            f"{v.best / base.best:.3f}",
            f"{v.median / base.median:.3f}",
        ]
        for v in variants
    ]
    header = ["AssembleNet-50", "parameters", "GFLOPs", "min ms", "median ms", "min / none", "median / none"]
    return Table(header, rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds of the three variants")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    add_docs_option(parser, "attention_cost")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    network = load(args.file)
    line = machine()
    print(
        f"{Path(args.file).name} with attention none / self / peer: 1 x {args.frames} x {args.size} x {args.size}, "
        f"eval, no grad, fp32, flow given; {torch.get_num_threads()} threads, {args.repeats} interleaved rounds "
        f"after 1 warm-up; {load_line()}\n{line}"
    )
    variants = measure(network, args.frames, args.size, args.repeats)
    peer = variants[-1]
    note = (
        f"Batch 1 x {args.frames} frames x {args.size}x{args.size}, eval, fp32, {torch.get_num_threads()} threads, "
        f"flow given; {args.repeats} interleaved rounds. Peer-attention makes the forward "
        f"{peer.median / variants[0].median:.2f}x as long (median) for "
        f"{(peer.parameters - variants[0].parameters) / 1e6:.1f} M more parameters."
    )
    publish(args, "attention_cost", f"{table(variants).markdown()}\n\n{note}", machine_line=line)


if __name__ == "__main__":
    main()
