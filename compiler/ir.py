"""The compiler's intermediate representation: everything the template prints, computed here.

`lower(network)` decides names, constructor arguments, the order of `forward` and when each
intermediate value is released, and formats each statement. Every piece of text in it is a fixed
string, a name from `anet.compiler.names`, or a number: nothing from the .anet file passes through
as text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from anet import __version__
from anet.compiler.names import class_name, fusion_attribute, node_attribute, node_variable, source_label
from anet.compiler.pyformat import INDENT, Arg, PyList, call, signature, wrap
from anet.dsl import Block, Network, Stem, architecture_hash
from anet.dsl.constants import LEVEL_WIDTHS
from anet.dsl.printer import format_weight

# The runtime version this compiler's output needs (checked when the generated module loads).
RUNTIME_VERSION = 1
_STEMS = {"rgb": "rt.RGBStem", "flow": "rt.FlowStem", "object": "rt.ObjectStem"}
_INPUT_ARGUMENTS = {"rgb": "rgb", "flow": "flow", "object": "segmentation"}


@dataclass(frozen=True)
class Statement:
    """One node's lines in `__init__` and in `forward`, and where it came from."""

    node_id: str
    line: int | None
    init: tuple[str, ...]
    forward: tuple[str, ...]


@dataclass(frozen=True)
class ModelIR:
    source: str
    source_sha256: str
    architecture_hash: str
    anet_version: str
    runtime_version: int
    class_name: str
    network_name: str
    summary: str
    num_classes: int
    width: str
    uses_flow_layer: bool
    flow_required: bool
    forward_def: tuple[str, ...]
    build_def: tuple[str, ...]
    inputs_doc: str
    statements: tuple[Statement, ...]
    head_init: tuple[str, ...]
    head_forward: str


def _weights(block: Block) -> Arg:
    weights = block.weights
    return "None" if weights is None else PyList(tuple(format_weight(w) for w in weights))


def _node_lines(network: Network, node: Stem | Block) -> tuple[list[str], list[str]]:
    pad = INDENT * 2
    attr = f"self.{node_attribute(node.id)}"
    var = node_variable(node.id)
    if isinstance(node, Stem):
        args: list[tuple[str | None, Arg]] = [("channels", str(node.channels))]
        if node.modality != "object":
            args = [("channels", f"rt.scale_channels({node.channels}, width)")]
        if node.modality == "rgb":
            args.append(("r", str(node.r)))
        init = call(f"{attr} = {_STEMS[node.modality]}", args, pad)
        forward = [f"{pad}{var} = {attr}({_INPUT_ARGUMENTS[node.modality]})"]
        return init, forward
    sources = [f"self.{node_attribute(e.source)}.out_channels" for e in node.inputs]
    init: list[str] = []
    if len(node.inputs) == 1:
        in_channels = sources[0]
        inputs = node_variable(node.inputs[0].source)
    else:
        fuse = f"self.{fusion_attribute(node.id)}"
        trainable = "True" if network.header.edges == "learned" else "False"
        init += call(
            f"{fuse} = rt.Fusion",
            [("in_channels", PyList(tuple(sources))), ("weights", _weights(node)), ("trainable", trainable)],
            pad,
        )
        in_channels = f"{fuse}.out_channels"
        inputs = f"{fuse}([{', '.join(node_variable(e.source) for e in node.inputs)}])"
    init += call(
        f"{attr} = rt.Block",
        [
            ("in_channels", in_channels),
            ("channels", f"rt.scale_channels({node.channels}, width)"),
            ("mid_channels", f"rt.scale_channels({LEVEL_WIDTHS[node.level - 1]}, width)"),
            ("level", str(node.level)),
            ("r", str(node.r)),
            ("stride", str(node.stride)),
            ("repeats", str(network.header.repeats[node.level - 1])),
        ],
        pad,
    )
    forward_line = f"{pad}{var} = {attr}({inputs})"
    if len(forward_line) > 88 and len(node.inputs) > 1:
        fused = f"{var}_in"
        forward = call(
            f"{fused} = self.{fusion_attribute(node.id)}",
            [(None, PyList(tuple(node_variable(e.source) for e in node.inputs)))],
            pad,
        )
        forward.append(f"{pad}{var} = {attr}({fused})")
    else:
        forward = [forward_line]
    return init, forward


def lower(network: Network, source_text: str, source_path: str | None = None) -> ModelIR:
    """The IR of a validated network. `source_text` is hashed into the header, never copied."""
    h = network.header
    top = {b.id for b in network.top_level}
    # The last node reading each value: after it, the value is released (torch.fx does the same).
    last_use: dict[str, str] = {}
    for block in network.blocks:
        for edge in block.inputs:
            last_use[edge.source] = block.id
    releases: dict[str, list[str]] = {}
    for value, reader in last_use.items():
        if value not in top:
            releases.setdefault(reader, []).append(node_variable(value))
    label = source_label(source_path)
    statements = []
    for node in network.nodes:
        init, forward = _node_lines(network, node)
        freed = releases.get(node.id, [])
        if freed:
            forward.append(f"{INDENT * 2}del {', '.join(freed)}")
        comment = f"{INDENT * 2}# {label}:{node.span.line}" if node.span else f"{INDENT * 2}# node {node.id}"
        statements.append(Statement(node.id, node.span.line if node.span else None, tuple(init), (comment, *forward)))
    modalities = {s.modality for s in network.stems}
    flow_stems = "flow" in modalities
    uses_flow_layer = flow_stems and h.flow == "computed"
    params = ["self"]
    inputs_doc = []
    if "rgb" in modalities or uses_flow_layer:
        params.append("rgb: torch.Tensor")
        inputs_doc.append("rgb [B, 3, T, H, W] floats in [0, 1]")
    if flow_stems:
        params.append("flow: torch.Tensor | None = None")
        inputs_doc.append(
            "flow [B, 2, T, H, W] in pixels" + (" (computed from rgb when not given)" if uses_flow_layer else "")
        )
    if "object" in modalities:
        params.append("segmentation: torch.Tensor | None = None")
        inputs_doc.append("segmentation [B, classes, T, H, W], one channel per segmentation class")
    cls = class_name(h.name)
    top_vars = PyList(tuple(node_variable(b.id) for b in network.top_level))
    top_channels = PyList(tuple(f"self.{node_attribute(b.id)}.out_channels" for b in network.top_level))
    head_init = call(
        "self.head = rt.Head",
        [("in_channels", top_channels), ("num_classes", "num_classes"), ("pool", f'"{h.pool}"')],
        INDENT * 2,
    )
    head_forward = call("return self.head", [(None, top_vars)], INDENT * 2)
    summary = (
        f"{len(network.stems)} stems, {len(network.blocks)} blocks, module repeats "
        f"{', '.join(map(str, h.repeats))},\n{h.pool} pooling over time, {h.edges} edge weights"
    )
    return ModelIR(
        source=label,
        source_sha256=hashlib.sha256(source_text.encode()).hexdigest(),
        architecture_hash=architecture_hash(network),
        anet_version=__version__,
        runtime_version=RUNTIME_VERSION,
        class_name=cls,
        network_name=h.name,
        summary=summary,
        num_classes=h.classes,
        width=repr(float(h.width)),
        uses_flow_layer=uses_flow_layer,
        flow_required=flow_stems and h.flow == "input",
        forward_def=tuple(signature("forward", params, "torch.Tensor", INDENT)),
        build_def=tuple(
            signature("build_model", ["num_classes: int | None = None", "width: float | None = None"], cls, "")
        ),
        inputs_doc=wrap("Inputs: " + "; ".join(inputs_doc) + "."),
        statements=tuple(statements),
        head_init=tuple(head_init),
        head_forward="\n".join(head_forward),
    )
