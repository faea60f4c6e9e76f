"""The compiler's intermediate representation: what the generated module holds, as typed values.

`lower(network)` decides names, constructor arguments, the order of `forward` and when each
intermediate value is released; the template only places these values, and `pyformat` lays them
out as lines. Every expression is built from the compiler's own names (`anet.compiler.names`), the
validated ids and numbers of the network, and fixed strings: nothing from the .anet file passes
through as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from .. import __version__
from ..dsl import Block, Network, Stem, architecture_hash
from ..dsl.header import Header
from ..dsl.printer import format_node, format_weight
from ..paper import STEM_INPUTS, Input
from .lite import is_lite, lite_block, lite_flow_layer, lite_head, lite_head_input, lite_stem
from .names import class_name, fusion_attribute, mean_variable, node_attribute, node_variable, source_label
from .pyformat import Call, Code, DictOf, Expr, ListOf, Text, wrap

# The newest runtime version this compiler's output may need (checked when the generated module
# loads); a network that uses nothing newer asks for version 2, so that its code stays as it was.
RUNTIME_VERSION = 3
# What runtime version 3 added (runtime/version.py), by the name the generated code calls or the
# keyword it passes: code that uses none of them keeps asking for version 2.
_SINCE_VERSION = {"rt.AttendedFusion": 3, "objects": 3, "rt.LiteStem": 3, "rt.InvertedBottleneckBlock": 3}
_STEMS = {"rgb": "rt.RGBStem", "flow": "rt.FlowStem", "object": "rt.ObjectStem"}
# What each input is, for the module's docstring.
_INPUT_DOCS = {
    "rgb": "rgb [B, 3, T, H, W] floats in [0, 1]",
    "flow": "flow [B, 2, T, H, W] in pixels",
    "segmentation": "segmentation [B, classes, T, H, W], one channel per segmentation class",
}


@dataclass(frozen=True)
class FusionIR:
    """The weighted sum in front of a block with several inputs, or the attention gating a block's
    connections (AssembleNet++), with the locals holding its peers' per-frame means."""

    attribute: str
    constructor: Call
    peers: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeIR:
    """One node: its submodule (`self.<attribute> = <constructor>`), the local holding its output
    (and its per-frame means when it is a peer), the values it reads, the values released after
    it, and its canonical .anet line."""

    node_id: str
    attribute: str
    variable: str
    constructor: Call
    fusion: FusionIR | None
    inputs: tuple[str, ...]
    released: tuple[str, ...]
    source_line: str
    location: str | None  # `model.anet:7`, None for a network built in Python
    mean: str | None = None  # a peer's: taken once, right after the node, for every block it gates

    @property
    def mean_call(self) -> Call:
        return Call("rt.frame_mean", (Code(self.variable),))

    @property
    def comment(self) -> str:
        return f"{self.location}: {self.source_line}" if self.location else self.source_line

    @property
    def call(self) -> Call:
        """The node's line in `forward_features`: its block applied to its input or fused inputs."""
        if self.fusion is None:
            return Call(f"self.{self.attribute}", (Code(self.inputs[0]),))
        peers = (("peers", ListOf(tuple(Code(v) for v in self.fusion.peers))),) if self.fusion.peers else ()
        fused = Call(f"self.{self.fusion.attribute}", (ListOf(tuple(Code(v) for v in self.inputs)),), peers)
        return Call(f"self.{self.attribute}", (fused,))


@dataclass(frozen=True)
class InputIR:
    """A keyword argument of `forward`: required, or None by default (flow computed from RGB)."""

    name: str
    channels: int
    required: bool
    doc: str

    @property
    def parameter(self) -> str:
        return f"{self.name}: torch.Tensor" if self.required else f"{self.name}: torch.Tensor | None = None"

    @property
    def record(self) -> Call:
        """Its entry in the module's `INPUTS`."""
        return Call(
            "rt.Input", kwargs=(("name", Text(self.name)), ("channels", self.channels), ("required", self.required))
        )


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
    inputs_doc: str
    num_classes: int
    width: float
    flow_layer: Call | None  # the layer that computes flow from RGB when none is given
    inputs: tuple[InputIR, ...]
    nodes: tuple[NodeIR, ...]
    head: Call
    features: ListOf
    edge_weights: DictOf
    peer_weights: DictOf  # empty without peer attention: the module then has no `peer_weights()`
    node_modules: DictOf

    @property
    def parameters(self) -> list[str]:
        """Required inputs first and without a default, then the optional ones (None: computed).
        Not keyword-only: `torch.jit.trace` cannot trace keyword-only arguments and the ONNX
        exporter passes an absent optional input as a positional None."""
        required = [i.parameter for i in self.inputs if i.required]
        optional = [i.parameter for i in self.inputs if not i.required]
        return ["self", *required, *optional]

    @property
    def build_parameters(self) -> list[str]:
        return ["num_classes: int | None = None", "width: float | None = None"]

    @property
    def input_records(self) -> ListOf:
        return ListOf(tuple(i.record for i in self.inputs))

    @property
    def forward_call(self) -> Call:
        features = Call("self.forward_features", kwargs=tuple((i.name, Code(i.name)) for i in self.inputs))
        return Call("self.forward_head", (features,))


def _has_fusion(network: Network, node: Stem | Block) -> bool:
    """Whether a fusion module precedes the node: several inputs, or attention on its one input."""
    return isinstance(node, Block) and (len(node.inputs) > 1 or network.attention_of(node) != "none")


def _constructor(network: Network, node: Stem | Block) -> Call:
    if isinstance(node, Stem):
        if node.modality == "object":  # C counts segmentation classes: never narrowed
            return Call(_STEMS["object"], kwargs=(("channels", node.channels),))
        if is_lite(network):
            return lite_stem(node)
        kwargs: tuple[tuple[str, Expr], ...] = (("channels", node.channels),)
        if node.modality == "rgb":
            kwargs += (("r", node.r),)
        return Call(_STEMS[node.modality], kwargs=(*kwargs, ("width", Code("width"))))
    if _has_fusion(network, node):
        in_channels = Code(f"self.{fusion_attribute(node.id)}.out_channels")
    else:
        in_channels = Code(f"self.{node_attribute(node.inputs[0].source)}.out_channels")
    if is_lite(network):
        return lite_block(network, node, in_channels)
    return Call(
        "rt.Block",
        kwargs=(
            ("in_channels", in_channels),
            ("channels", node.channels),
            ("level", node.level),
            ("r", node.r),
            ("stride", node.stride),
            ("repeats", network.header.repeats[node.level - 1]),
            ("width", Code("width")),
        ),
    )


def _channels(sources: Iterable[str]) -> ListOf:
    return ListOf(tuple(Code(f"self.{node_attribute(s)}.out_channels") for s in sources))


def _weights(weights: Iterable[float] | None) -> ListOf | None:
    return None if weights is None else ListOf(tuple(Code(format_weight(w)) for w in weights))


def _fusion(network: Network, node: Stem | Block) -> FusionIR | None:
    """`rt.Fusion` for several inputs without attention; `rt.AttendedFusion` with attention. Object
    stems' inputs are numbered (`objects=`) so that their class count never sets the fused width."""
    if isinstance(node, Stem) or not _has_fusion(network, node):
        return None
    kwargs: tuple[tuple[str, Expr], ...] = (("in_channels", _channels(e.source for e in node.inputs)),)
    if len(node.inputs) > 1:
        kwargs += (("weights", _weights(node.weights)), ("trainable", network.header.edges == "learned"))
        objects = tuple(i for i, e in enumerate(node.inputs) if _is_object(network, e.source))
        if objects:
            kwargs += (("objects", ListOf(objects)),)
    mode = network.attention_of(node)
    if mode == "none":
        return FusionIR(fusion_attribute(node.id), Call("rt.Fusion", kwargs=kwargs))
    kwargs += (("attention", Text(mode)),)
    peers = network.peers_of(node)
    if peers:
        weights = None if any(p.weight is None for p in peers) else tuple(p.weight for p in peers)
        kwargs += (
            ("peer_channels", _channels(p.source for p in peers)),
            ("peer_weights", _weights(weights)),  # type: ignore[arg-type]
            ("peer_trainable", weights is None or network.header.edges == "learned"),
        )
    call = Call("rt.AttendedFusion", kwargs=kwargs)
    return FusionIR(fusion_attribute(node.id), call, tuple(mean_variable(p.source) for p in peers))


def _is_object(network: Network, node_id: str) -> bool:
    node = network.node(node_id)
    return isinstance(node, Stem) and node.modality == "object"


def _peers(network: Network) -> set[str]:
    """The nodes some block reads as a peer: their per-frame means are taken once."""
    return {p.source for b in network.blocks for p in network.peers_of(b)}


def _released(network: Network) -> dict[str, tuple[str, ...]]:
    """The values each node is the last to read: released after it (torch.fx does the same). A
    node's output is read by the blocks it feeds and by its own means when it is a peer; the means
    by the blocks it gates. The head's inputs are kept; a node nothing reads (a dead node, computed
    as TF computes it) is released right after it is made."""
    top = {b.id for b in network.top_level}
    last_use: dict[str, str] = {}
    for block in network.blocks:
        for edge in block.inputs:
            last_use[node_variable(edge.source)] = block.id
        for peer in network.peers_of(block):
            last_use[mean_variable(peer.source)] = block.id
    for node in network.nodes:  # read by no block: by its own means at most
        last_use.setdefault(node_variable(node.id), node.id)
    kept = {node_variable(n) for n in top}
    released: dict[str, list[str]] = {}
    for value, reader in last_use.items():
        if value not in kept:
            released.setdefault(reader, []).append(value)
    return {k: tuple(v) for k, v in released.items()}


def _input(record: Input, flow_layer: bool) -> InputIR:
    doc = _INPUT_DOCS[record.name]
    if record.name == "flow" and flow_layer:
        doc += " (computed from rgb when not given)"
    return InputIR(record.name, record.channels, record.required, doc)


def _flow_layer(header: Header) -> Call:
    """`flow computed`: the authors' single-scale layer (with the lite network's iterations in
    `family lite`); `flow pyramid`: the coarse-to-fine one, with the settings the file gives (the
    others keep the layer's measured defaults)."""
    if header.flow == "pyramid":
        settings = header.pyramid.settings() if header.pyramid else {}
        return Call("rt.PyramidFlow", kwargs=tuple(settings.items()))
    if header.family == "lite":
        return lite_flow_layer()
    return Call("rt.RepresentationFlow")


def _runtime_version(exprs: Iterable[Expr]) -> int:
    """The oldest runtime that has every name and keyword these constructor expressions use."""
    version = 2
    for expr in exprs:
        match expr:
            case Call(function, args, kwargs):
                names = [function, *(k for k, _ in kwargs)]
                inner = _runtime_version((*args, *(v for _, v in kwargs)))
                version = max(version, inner, *(_SINCE_VERSION.get(n, 2) for n in names))
            case ListOf(items):
                version = max(version, _runtime_version(items))
    return version


def _attention_summary(network: Network) -> str:
    """`, peer attention on 10 blocks` (AssembleNet++), or nothing for a network without attention."""
    modes = [network.attention_of(b) for b in network.blocks]
    counts = [f"{mode} attention on {modes.count(mode)} blocks" for mode in ("peer", "self") if mode in modes]
    return "".join(f",\n{c}" if i == 0 else f", {c}" for i, c in enumerate(counts))


def _head(network: Network, top: tuple[Block, ...]) -> Call:
    """The classifier over the blocks it reads (`top`)."""
    if is_lite(network):
        return lite_head(network)
    return Call(
        "rt.Head",
        kwargs=(
            ("in_channels", ListOf(tuple(Code(f"self.{node_attribute(b.id)}.out_channels") for b in top))),
            ("num_classes", Code("num_classes")),
            ("pool", Text(network.header.pool)),
        ),
    )


def lower(network: Network, source_text: str, source_path: str | None = None) -> ModelIR:
    """The IR of a validated network. `source_text` is hashed into the header, never copied."""
    h = network.header
    label = source_label(source_path)
    released, peers = _released(network), _peers(network)
    nodes = tuple(
        NodeIR(
            node_id=node.id,
            attribute=node_attribute(node.id),
            variable=node_variable(node.id),
            constructor=_constructor(network, node),
            fusion=_fusion(network, node),
            inputs=(STEM_INPUTS[node.modality],)
            if isinstance(node, Stem)
            else tuple(node_variable(e.source) for e in node.inputs),
            released=released.get(node.id, ()),
            source_line=format_node(node),
            location=f"{label}:{node.span.line}" if node.span else None,
            mean=mean_variable(node.id) if node.id in peers else None,
        )
        for node in network.nodes
    )
    computes_flow = any(i.name == "flow" and not i.required for i in network.inputs)
    inputs = tuple(_input(i, computes_flow) for i in network.inputs)
    top = (lite_head_input(network),) if is_lite(network) else network.top_level
    summary = (
        f"{len(network.stems)} stems, {len(network.blocks)} blocks, module repeats "
        f"{', '.join(map(str, h.repeats))},\n{h.pool} pooling over time, {h.edges} edge weights"
        f"{_attention_summary(network)}"
    )
    return ModelIR(
        source=label,
        source_sha256=hashlib.sha256(source_text.encode()).hexdigest(),
        architecture_hash=architecture_hash(network),
        anet_version=__version__,
        runtime_version=_runtime_version(c for n in nodes for c in (n.constructor, n.fusion and n.fusion.constructor)),
        class_name=class_name(h.name),
        network_name=h.name,
        summary=summary,
        inputs_doc=wrap("Inputs: " + "; ".join(i.doc for i in inputs) + "."),
        num_classes=h.classes,
        width=float(h.width),
        flow_layer=_flow_layer(h) if computes_flow else None,
        inputs=inputs,
        nodes=nodes,
        head=_head(network, top),
        features=ListOf(tuple(Code(node_variable(b.id)) for b in top)),
        edge_weights=DictOf(
            tuple(
                (Text(n.node_id), Call(f"self.{n.fusion.attribute}.edge_weights"))
                for n in nodes
                if n.fusion and len(n.inputs) > 1
            )
        ),
        peer_weights=DictOf(
            tuple(
                (Text(n.node_id), Call(f"self.{n.fusion.attribute}.peer_weights"))
                for n in nodes
                if n.fusion and n.fusion.peers
            )
        ),
        node_modules=DictOf(
            tuple(
                (
                    Text(n.node_id),
                    ListOf(
                        tuple(Code(f"self.{a}") for a in ((n.fusion.attribute,) if n.fusion else ()) + (n.attribute,))
                    ),
                )
                for n in nodes
            )
        ),
    )
