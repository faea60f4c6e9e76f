"""Converters between the AST and the authors' published flat-list format.

A published structure is a list: a stem is `[stem_code, r]` (-1 RGB, -2 flow, -3 object); a block is
`[level 0-3, [input positions], C, r, spatial_stride, 0]`, C a list of three filter counts in
AssembleNet++lite. Learned weights come in a parallel list (`[]`, or `[[sigmoid per input]]` for a
multi-input block), module repeats per level beside it. The list position of a node becomes its id,
so ids match the paper's Table 5. The lists say nothing about attention: the TF code takes it as a
build flag, and so does `from_published`.
"""

from __future__ import annotations

from typing import Any

from .ast import Block, Edge, Header, Network, Stem
from .constants import STEM_CODES
from .validate import validate

_MODALITIES = {code: name for name, code in STEM_CODES.items()}
LITE_STEM_FILTERS = 24  # AssembleNet++lite's stems, whatever their number


class PublishedFormatError(ValueError):
    """The JSON does not have the published shape; the message says where."""


def from_published(
    entry: dict[str, Any],
    *,
    name: str,
    classes: int = 400,
    object_classes: int | None = None,
    edges: str | None = None,
    attention: str = "none",
) -> Network:
    """Build a validated network (warnings, such as a node nothing reads, are left to the caller).
    Stems get 128 / (number of stems, object stems included) filters, as in the implementation, or
    AssembleNet++lite's 24; given weights make the edges `fixed` unless `edges` says otherwise."""
    try:
        structure = entry["structure"]
        weights = entry.get("edge_weights") or [[] for _ in structure]
        repeats = entry.get("repeats_per_level", [3, 4, 6, 3])
    except (TypeError, KeyError) as exc:
        raise PublishedFormatError(
            f"expected an object with `structure`, `edge_weights`, `repeats_per_level`: {exc}"
        ) from None
    if len(weights) != len(structure):
        raise PublishedFormatError(f"`edge_weights` has {len(weights)} entries for {len(structure)} nodes")
    stems = sum(1 for item in structure if isinstance(item, list) and item and item[0] in _MODALITIES)
    lite = any(isinstance(item, list) and len(item) == 6 and isinstance(item[2], list) for item in structure)
    nodes: list[Stem | Block] = []
    any_weights = False
    for position, (item, weight) in enumerate(zip(structure, weights, strict=True)):
        where = f"structure[{position}] = {item!r}"
        if isinstance(item, list) and len(item) == 2 and item[0] in _MODALITIES:
            modality = _MODALITIES[item[0]]
            if modality == "object":
                if object_classes is None:
                    raise PublishedFormatError(f"{where} is an object stem: give the number of segmentation classes")
                channels = object_classes
            else:
                channels = LITE_STEM_FILTERS if lite else 128 // stems
            nodes.append(Stem(id=str(position), modality=modality, channels=channels, r=item[1]))
        elif isinstance(item, list) and len(item) == 6 and isinstance(item[1], list):
            level, inputs, c, r, stride, _ = item
            if isinstance(c, list):
                c = tuple(c)
            sigmoids = weight[0] if weight else [None] * len(inputs)
            if len(sigmoids) != len(inputs):
                raise PublishedFormatError(f"{where} has {len(inputs)} inputs but {len(sigmoids)} weights")
            any_weights |= bool(weight)
            nodes.append(
                Block(
                    id=str(position),
                    level=level + 1,
                    channels=c,
                    r=r,
                    stride=stride,
                    inputs=tuple(Edge(source=str(i), weight=w) for i, w in zip(inputs, sigmoids, strict=True)),
                )
            )
        else:
            raise PublishedFormatError(
                f"{where} is neither a stem [code, r] nor a block [level, inputs, C, r, stride, 0]"
            )
    extra: dict[str, Any] = {"family": "lite"} if lite else {}  # settings left at their default stay unwritten
    if attention != "none":
        extra["attention"] = attention
    header = Header(
        name=name,
        classes=classes,
        depth=tuple(repeats),
        edges=edges or ("fixed" if any_weights else "learned"),
        **extra,
    )
    network = Network(header=header, nodes=tuple(nodes))
    problems = [d.message for d in validate(network) if d.is_error]
    if problems:
        raise PublishedFormatError("the structure is not a valid architecture: " + "; ".join(problems))
    return network


def to_published(network: Network) -> dict[str, Any]:
    """The entry of `published-structures.json` shape; ids become list positions."""
    position = {node.id: index for index, node in enumerate(network.nodes)}
    structure: list[list[Any]] = []
    weights: list[list[list[float]]] = []
    for node in network.nodes:
        if isinstance(node, Stem):
            structure.append([STEM_CODES[node.modality], node.r])
            weights.append([])
            continue
        c = list(node.channels) if isinstance(node.channels, tuple) else node.channels
        structure.append([node.level - 1, [position[e.source] for e in node.inputs], c, node.r, node.stride, 0])
        weights.append([list(node.weights)] if node.weights is not None and len(node.inputs) > 1 else [])
    return {"structure": structure, "edge_weights": weights, "repeats_per_level": list(network.header.repeats)}
