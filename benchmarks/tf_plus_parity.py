"""AssembleNet++'s weights as the authors' TensorFlow code builds them, counted by what each weight is,
and the parameters each known deviation of the TF2 code changes (issue 24).

The TensorFlow Model Garden's `assemblenet_plus` is built (8 frames of 64 x 64: no weight depends on
the clip size) with the published structures: AssembleNet-50 (`asn50_structure`) with peer, self and
no attention, and AssembleNet++-50 (`full_asnp50_structure`, 151 object classes) with peer attention;
the TF2 AssembleNet for reference; and variants with one TF1 behaviour patched in at run time (the
TF code itself is not changed), whose difference from the unpatched build is what that deviation
changes. Every weight is attributed to a stem, a block, a fusion 1x1 conv, the edge weights, a peer
projection, an attention gate, the peer softmax weights or the head; a layer TF creates but leaves
out of the built graph is kept, marked as not in the model. The records are written to
benchmarks/tf_plus_counts.json (`--write-json`), which the anet side compares against.

TensorFlow is not a dependency of anet: it runs in its own virtual environment, and the Model
Garden's `official/projects/assemblenet` folder is not in the `tf-models-official` wheel. Set up::

    python3.11 -m venv /some/tfvenv
    /some/tfvenv/bin/pip install "tensorflow-cpu==2.20.*" "tf-models-official==2.20.*"
    # copy tensorflow/models' official/projects/assemblenet/{configs,modeling}/*.py into
    # /some/tf_code/official/projects/assemblenet/ (with empty __init__.py files; under Python 3.11
    # the config dataclasses' nested defaults need dataclasses.field(default_factory=...))

then, from the repository root::

    python -m benchmarks.tf_plus_parity --tf-python /some/tfvenv/bin/python --tf-code /some/tf_code [--write-json]

(or set ANET_TF_PYTHON and ANET_TF_CODE). Without them, or when that TensorFlow cannot import the
code, it prints these instructions and exits 0. The worker (benchmarks/tf_workers/) sets
TF_USE_LEGACY_KERAS=1: the Model Garden's assemblenet.py says `tf.keras` and means Keras 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

# This file is imported by the TensorFlow worker too, in TensorFlow's own venv (no anet, no package):
# stdlib only at the top.

ROOT = Path(__file__).resolve().parents[1]
JSON_PATH = ROOT / "benchmarks" / "tf_plus_counts.json"
WORKER = ROOT / "benchmarks" / "tf_workers" / "assemblenet_plus_counts.py"
CHARADES = 157

Category = Literal[
    "stem_conv",  # RGB and flow stems' convolutions (the object stem has no weights: a max-pool)
    "stem_bn",
    "flow_constants",  # RepresentationFlow's fixed filters and hyper-parameters (never trained)
    "block_conv",  # the residual blocks, projection shortcut included
    "block_bn",
    "fusion_conv",  # 1x1 convs lifting a connection to the block's input channels
    "edge_weights",  # one sigmoid weight per connection (blocks of two inputs or more)
    "peer_projection",  # Dense(units=largest channels) of each peer, per block and peer
    "attention_gate",  # Dense(units=C_j) per connection: self- or peer-attention
    "peer_softmax",  # softmax weights over the peers, per connection (TF1; constants in TF2)
    "head",
]
CATEGORIES: tuple[Category, ...] = Category.__args__  # type: ignore[attr-defined]
Fix = Literal[  # TF1's behaviour where TF2 deviates, patched into the TF2 build (issue 24's numbering)
    "trainable_peer_weights",  # 1
    "sum_same_channels",  # 2
    "objects_not_largest",  # 4
    "published_edge_weights",  # 5 (found here)
]
DEVIATION_OF: dict[Fix, int] = {
    "trainable_peer_weights": 1,
    "sum_same_channels": 2,
    "objects_not_largest": 4,
    "published_edge_weights": 5,
}


@dataclass(frozen=True)
class ModelSpec:
    """One build: which TF code, structure and settings, and which TF1 behaviours are patched in."""

    name: str
    code: Literal["tf2_assemblenet_plus", "tf2_assemblenet"]
    structure: str  # the name in the Model Garden's configs/assemblenet.py
    structure_weights: str
    attention: Literal["peer", "self", "None"] | None  # "None": the config's default, a truthy string
    objects: bool = False
    classes: int = CHARADES
    fixes: tuple[Fix, ...] = ()


def _asn50(name: str, attention: Literal["peer", "self", "None"] | None) -> ModelSpec:
    return ModelSpec(name, "tf2_assemblenet_plus", "asn50_structure", "asn_structure_weights", attention)


BASES = [
    _asn50("asn50_peer", "peer"),
    _asn50("asn50_self", "self"),
    _asn50("asn50_none", None),
    _asn50("asn50_none_string", "None"),
    ModelSpec("asn50_assemblenet", "tf2_assemblenet", "asn50_structure", "asn_structure_weights", None),
    ModelSpec(
        "full_asnp50_peer", "tf2_assemblenet_plus", "full_asnp50_structure", "full_asnp_structure_weights", "peer", True
    ),
]
TF1_FIXES: dict[str, tuple[Fix, ...]] = {  # what TF1 (anet's default) does differently, per base model
    "asn50_peer": ("trainable_peer_weights", "sum_same_channels", "published_edge_weights"),
    "asn50_self": ("sum_same_channels", "published_edge_weights"),
    "full_asnp50_peer": (
        "trainable_peer_weights",
        "sum_same_channels",
        "objects_not_largest",
        "published_edge_weights",
    ),
}


def _variants() -> list[ModelSpec]:
    """Each base with one TF1 behaviour patched in (edge weights aside: their rows say it), then with all."""
    found = []
    for base in BASES:
        fixes = TF1_FIXES.get(base.name, ())
        found += [replace(base, name=f"{base.name}+{fix}", fixes=(fix,)) for fix in fixes if DEVIATION_OF[fix] != 5]
        if fixes:
            found.append(replace(base, name=f"{base.name}+tf1", fixes=fixes))
    return found


MODELS = BASES + _variants()


ROW_FIELDS = ("node", "category", "source", "in_model", "trainable", "non_trainable")


@dataclass(frozen=True)
class WeightRow:
    """The weights of one kind that one node holds for one source (the peer a projection reads, the
    input a gate, softmax or fusion conv belongs to; None for the node's own weights)."""

    node: int | None  # None: the head and RepresentationFlow
    category: Category
    source: int | None
    in_model: bool  # False: TF created the layer but no path of the built graph uses it
    trainable: int
    non_trainable: int

    @property
    def parameters(self) -> int:
        return self.trainable + self.non_trainable

    def order(self) -> tuple[int, int, int, bool]:
        return (
            -1 if self.node is None else self.node,
            CATEGORIES.index(self.category),
            self.source or 0,
            self.in_model,
        )


@dataclass(frozen=True)
class TfModel:
    """One built model: its totals (Keras' own count), per-node rows, and what the rows need read."""

    spec: ModelSpec
    trainable: int
    non_trainable: int
    stem_filters: int  # 128 // (number of stems, the object stem included)
    channels: list[int]  # output channels of every node, in file order
    peers: dict[int, list[int]]  # TF's candidate peers of each block, in its order (level by level)
    rows: list[WeightRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def by_category(self, *, in_model: bool = True) -> dict[Category, int]:
        sums: dict[Category, int] = defaultdict(int)
        for row in self.rows:
            if row.in_model == in_model:
                sums[row.category] += row.parameters
        return {c: sums[c] for c in CATEGORIES if c in sums}


@dataclass(frozen=True)
class TfCounts:
    """Everything one run of the worker measured."""

    tensorflow: str
    frames: int
    size: int
    models: list[TfModel]

    def model(self, name: str) -> TfModel:
        for model in self.models:
            if model.spec.name == name:
                return model
        raise KeyError(f"no model {name!r} in the TF counts (have {[m.spec.name for m in self.models]})")

    def to_json(self) -> dict[str, Any]:
        """The records as JSON, each weight row a list in ROW_FIELDS' order (2,000 rows)."""
        data = asdict(self)
        for model in data["models"]:
            model["rows"] = [[row[name] for name in ROW_FIELDS] for row in model["rows"]]
        return data

    def to_text(self) -> str:
        """to_json's document with every innermost list and object on one line: readable, and a diff
        shows which row changed."""
        text = json.dumps(self.to_json(), indent=1)
        for innermost in (r"(\[)([^{}\[\]]*?)(\])", r"(\{)([^{}\[\]]*?)(\})"):
            text = re.sub(innermost, lambda m: m[1] + re.sub(r"\n\s*", " ", m[2]).strip() + m[3], text)
        return text + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TfCounts:
        models = []
        for m in data["models"]:
            spec = ModelSpec(**{**m["spec"], "fixes": tuple(m["spec"]["fixes"])})
            rows = [WeightRow(*row) for row in m["rows"]]
            peers = {int(k): v for k, v in m["peers"].items()}
            models.append(TfModel(**{**m, "spec": spec, "rows": rows, "peers": peers}))
        return cls(data["tensorflow"], data["frames"], data["size"], models)


def load_counts(path: Path = JSON_PATH) -> TfCounts:
    return TfCounts.from_json(json.loads(path.read_text()))


@dataclass(frozen=True)
class Deviation:
    """What one difference of the TF2 code from TF1 (anet's default) changes in one model, in
    parameters: anet's count minus TF2's (positive: TF2 has fewer). `counted` says whether the
    total or only the trainable count moves."""

    number: int  # as issue 24 lists them; 5: found here, not in the issue
    model: str
    title: str
    anet_minus_tf: int
    counted: Literal["total", "trainable"]


def dropped(model: TfModel, category: Category) -> int:
    return sum(r.parameters for r in model.rows if r.category == category and not r.in_model)


def in_model(model: TfModel, category: Category) -> int:
    return sum(r.parameters for r in model.rows if r.category == category and r.in_model)


def deviations(counts: TfCounts) -> list[Deviation]:
    """Each deviation's parameters, read from the built models (not computed from formulas): a base
    against the same build with that one TF1 behaviour patched in. They interact, so they do not add
    up: a base's `+tf1` build has all of them (the peer softmax weights of the connections deviation 2
    drops, for one, exist only there)."""
    m = counts.model
    found = []
    titles = {
        1: "peer softmax weights are a constant, not trainable",
        2: "same-channel inputs after the first are dropped (with their attention gates)",
        4: "the object stem's 151 channels count as the largest an input is lifted to",
    }
    for base, fixes in TF1_FIXES.items():
        for fix in fixes:
            number = DEVIATION_OF[fix]
            if number != 5:
                found.append(Deviation(number, base, titles[number], m(f"{base}+{fix}").total - m(base).total, "total"))
    title = "attention_mode=None still gives single-input blocks self-attention"
    found.append(Deviation(3, "asn50_none", title, -in_model(m("asn50_none"), "attention_gate"), "total"))
    title = "the config's default attention_mode 'None' is truthy: self-attention everywhere"
    none_string = m("asn50_assemblenet").total - m("asn50_none_string").total
    found.append(Deviation(3, "asn50_none_string", title, none_string, "total"))
    for base in ("asn50_peer", "asn50_self", "asn50_none", "full_asnp50_peer"):
        title = "published edge weights not passed to the fusion: trainable, randomly initialised"
        edges = sum(r.trainable for r in m(base).rows if r.category == "edge_weights")
        found.append(Deviation(5, base, title, -edges, "trainable"))
    return sorted(found, key=lambda d: d.number)


def tf_problem(python: str | None, code: str | None) -> str | None:
    """Why this TensorFlow set-up cannot build the models, or None when it can."""
    if not python or not code:
        return "no TensorFlow given (--tf-python and --tf-code, or ANET_TF_PYTHON and ANET_TF_CODE)"
    probe = (
        "import os, sys; os.environ['TF_USE_LEGACY_KERAS'] = '1'; import official.projects; "
        "official.projects.__path__.append(sys.argv[1] + '/official/projects'); "
        "from official.projects.assemblenet.modeling import assemblenet_plus"
    )
    done = subprocess.run([python, "-c", probe, code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"{python} cannot import the Model Garden's AssembleNet++ from {code} ({last})"
    return None


def tf_counts(python: str, code: str) -> TfCounts:
    """Builds every model of MODELS in TensorFlow's venv and reads back the counts."""
    done = subprocess.run(
        [python, str(WORKER), "--tf-code", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"the TensorFlow worker failed:\n{done.stderr[-4000:]}")
    counts = TfCounts.from_json(json.loads(done.stdout))
    for model in counts.models:
        kept = sum(r.parameters for r in model.rows if r.in_model)
        if kept != model.total:  # every weight Keras counts is attributed once
            raise SystemExit(f"{model.spec.name}: rows hold {kept:,} parameters, Keras counts {model.total:,}")
    return counts


def report(counts: TfCounts) -> str:
    lines = [f"TensorFlow {counts.tensorflow}, {counts.frames} frames of {counts.size} x {counts.size}"]
    for model in counts.models:
        parts = ", ".join(f"{c} {n:,}" for c, n in model.by_category().items())
        lines.append(
            f"\n{model.spec.name}: {model.total:,} ({model.trainable:,} trainable, {model.non_trainable:,} not); "
            f"stem filters {model.stem_filters}\n  {parts}"
        )
        if lost := model.by_category(in_model=False):
            lines.append("  created but not in the model: " + ", ".join(f"{c} {n:,}" for c, n in lost.items()))
    lines.append("\nDeviations (anet minus TF2, parameters):")
    for d in deviations(counts):
        lines.append(f"  {d.number}. {d.model}: {d.anet_minus_tf:+,} ({d.counted}) - {d.title}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tf-python", default=os.environ.get("ANET_TF_PYTHON"), help="the TensorFlow venv's python")
    parser.add_argument(
        "--tf-code", default=os.environ.get("ANET_TF_CODE"), help="folder holding official/projects/..."
    )
    parser.add_argument("--write-json", action="store_true", help=f"write {JSON_PATH.relative_to(ROOT)}")
    args = parser.parse_args()
    problem = tf_problem(args.tf_python, args.tf_code)
    if problem:
        print(f"{problem}: nothing to count.\n")
        print(__doc__[__doc__.index("TensorFlow is not a dependency") :])
        return
    counts = tf_counts(args.tf_python, args.tf_code)
    print(report(counts))
    if args.write_json:
        JSON_PATH.write_text(counts.to_text())
        print(f"\nwrote {JSON_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
