"""anet's AssembleNet++ against the authors' TensorFlow, weight by weight: the parity table of issue 24.

anet compiles the structures `tf_plus_parity` built in TensorFlow (AssembleNet-50 without, with
self and with peer attention; the published AssembleNet++-50 with its object stem), counts its
trainable parameters by what they are, and puts them beside TensorFlow's counts recorded in
benchmarks/tf_plus_counts.json: the Model Garden's TF2 build as it is, and the same build with the
authors' original (TF1) behaviour patched in where TF2 deviates, which anet follows. No TensorFlow
is needed here (it is needed to regenerate the JSON: see `benchmarks.tf_plus_parity`). Trainable
parameters are compared: TensorFlow also counts batch norm's moving statistics, which are buffers
in PyTorch. A second table lists each TF2 deviation and the parameters it changes.

    python -m benchmarks.plus_parity [--write-docs]
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .common import Table, add_docs_option, publish
from .tf_plus_parity import CATEGORIES, Category, TfCounts, TfModel, deviations, load_counts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# What a category holds, as one word for the table (TF splits conv and batch norm; both count here).
GROUPS: dict[str, tuple[Category, ...]] = {
    "stems": ("stem_conv", "stem_bn"),
    "blocks": ("block_conv", "block_bn"),
    "fusion 1x1": ("fusion_conv",),
    "edge weights": ("edge_weights",),
    "peer projections": ("peer_projection",),
    "attention gates": ("attention_gate",),
    "peer softmax": ("peer_softmax",),
    "head": ("head",),
}
assert {c for cs in GROUPS.values() for c in cs} == set(CATEGORIES) - {"flow_constants"}


@dataclass(frozen=True)
class Build:
    """One row: an anet file (with the header's attention replaced) and its two TensorFlow builds."""

    label: str
    example: str
    attention: str
    tf2: str  # the Model Garden build as it is
    tf1: str  # the same with the authors' TF1 behaviour patched in

    def network(self):
        from anet.dsl import load

        network = load(EXAMPLES / self.example)
        header = network.header.model_copy(update={"attention": self.attention, "classes": 157})
        return network.model_copy(update={"header": header})


BUILDS = (
    Build("AssembleNet-50", "assemblenet50.anet", "none", "asn50_assemblenet", "asn50_assemblenet"),
    Build("AssembleNet-50, self-attention", "assemblenet50.anet", "self", "asn50_self", "asn50_self+tf1"),
    Build("AssembleNet-50, peer-attention", "assemblenet50.anet", "peer", "asn50_peer", "asn50_peer+tf1"),
    Build(
        "AssembleNet++-50 (objects, peer)",
        "assemblenet_plus50.anet",
        "peer",
        "full_asnp50_peer",
        "full_asnp50_peer+tf1",
    ),
)


def category(name: str, stems: set[str]) -> str:
    """The group of one of anet's parameters, from its name in the compiled module."""
    first, rest = name.split(".", 1)
    if first == "head":
        return "head"
    if first.startswith("node_"):
        return "stems" if first.removeprefix("node_") in stems else "blocks"
    if first.startswith("fuse_"):
        if ".lifts." in f".{rest}":
            return "fusion 1x1"
        if rest.startswith("projections."):
            return "peer projections"
        if rest.startswith("gates."):
            return "peer softmax" if rest.endswith(".logits") else "attention gates"
        if rest.endswith("logits"):
            return "edge weights"
    raise ValueError(f"no category for parameter {name}")


def anet_counts(build: Build) -> Counter[str]:
    from anet.compiler import compile_to_module
    from anet.dsl import format_network

    network = build.network()
    model = compile_to_module(network, format_network(network)).build_model()
    stems = {s.id for s in network.stems}
    counts: Counter[str] = Counter()
    for name, parameter in model.named_parameters():
        counts[category(name, stems)] += parameter.numel()
    return counts


def tf_trainable(model: TfModel) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in model.rows:
        for group, members in GROUPS.items():
            if row.in_model and row.category in members:
                counts[group] += row.trainable
    return counts


def parity_tables(tf: TfCounts) -> str:
    models = {m.spec.name: m for m in tf.models}
    rows, parts = [], []
    for build in BUILDS:
        ours = anet_counts(build)
        tf1 = tf_trainable(models[build.tf1])
        total = sum(ours.values())
        rows.append(
            [
                build.label,
                f"{models[build.tf2].trainable:,}",
                f"{models[build.tf1].trainable:,}",
                f"{total:,}",
                f"{total - models[build.tf1].trainable:+,}",
            ]
        )
        mismatched = [f"{g} {ours[g]:,} vs {tf1[g]:,}" for g in GROUPS if ours[g] != tf1[g]]
        parts.append(f"{build.label}: " + ("every group equal" if not mismatched else "; ".join(mismatched)))
    header = ["network (157 classes)", "TF2 Model Garden", "TF with the TF1 behaviour", "anet", "anet - TF1 behaviour"]
    main = Table(header, rows).markdown()
    dev_rows = [[str(d.number), d.model, d.title, f"{d.anet_minus_tf:+,}", d.counted] for d in deviations(tf)]
    dev = Table(["#", "network", "TF2 deviation", "anet - TF2", "counted"], dev_rows, ["r", "l", "l", "r", "l"])
    return (
        f"Trainable parameters (TensorFlow {tf.tensorflow} counts from benchmarks/tf_plus_counts.json):\n\n{main}\n\n"
        "By part (stems, blocks, fusion 1x1, edge weights, peer projections, attention gates, peer softmax, head): "
        + "; ".join(parts)
        + ".\n\n"
        + dev.markdown()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    add_docs_option(parser, "plus_parity")
    args = parser.parse_args()
    publish(args, "plus_parity", parity_tables(load_counts()), machine_line="Parameter counts (no timing)")


if __name__ == "__main__":
    main()
