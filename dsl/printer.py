"""The canonical printer: AST -> .anet text, hand-written so that the layout is ours to define.

Canonical form: file comments, `network NAME`, the header settings indented by two spaces in a fixed
order (only those written in the source or differing from their defaults), one blank line, then one
line per node with attributes in Table 5 order (level, in, C, r, stride; stride=1 left out).
Comments stay attached to the line they precede or end. `parse(print(ast)) == ast` for every valid
AST and `print(parse(text)) == text` for canonical text; the tests check both.
"""

from __future__ import annotations

from anet.dsl.ast import Block, Edge, Header, Network, Stem, Trivia
from anet.dsl.builder import HEADER_ORDER
from anet.dsl.constants import DEPTH_REPEATS

INDENT = "  "


def format_weight(weight: float) -> str:
    """The shortest text that reads back as the same float32 (`0.13810565`); the float64 repr as a
    fallback keeps the round trip exact even in the rare double-rounding case."""
    import numpy as np  # here, not at the top: `anet check` never prints and starts faster without it

    text = np.format_float_positional(np.float32(weight), unique=True, trim="-")
    return text if float(np.float32(float(text))) == weight else repr(weight)


def format_edge(edge: Edge) -> str:
    return edge.source if edge.weight is None else f"{edge.source}@{format_weight(edge.weight)}"


def format_node(node: Stem | Block) -> str:
    if isinstance(node, Stem):
        return f"stem {node.id} in=[{node.modality}] C={node.channels} r={node.r}"
    inputs = ", ".join(format_edge(e) for e in node.inputs)
    stride = f" stride={node.stride}" if node.stride != 1 else ""
    return f"block {node.id} level={node.level} in=[{inputs}] C={node.channels} r={node.r}{stride}"


def _header_values(h: Header) -> dict[str, str]:
    """The text after each header keyword, for the settings that are printed."""
    written = h.model_fields_set
    defaults = Header.model_fields

    def shown(name: str) -> bool:
        return name in written or getattr(h, name) != defaults[name].default

    out: dict[str, str] = {"classes": str(h.classes)}
    if shown("depth"):
        out["depth"] = str(h.depth) if h.depth in DEPTH_REPEATS else "[" + ", ".join(map(str, h.depth)) + "]"
    for name in ("pool", "edges", "flow"):
        if shown(name):
            out[name] = str(getattr(h, name))
    clip = [f"{name}={getattr(h, name)}" for name in ("frames", "size") if shown(name)]
    if clip:
        out["clip"] = " ".join(clip)
    if shown("width"):
        out["width"] = repr(float(h.width))
    if h.budget is not None:
        out["budget"] = " ".join(
            f"{key}={value}"
            for key in ("stems", "l1", "l2", "l3", "l4")
            if (value := getattr(h.budget, key)) is not None
        )
    if h.parent is not None:
        out["parent"] = f'"{h.parent}"'
    if h.round is not None:
        out["round"] = str(h.round)
    if h.fitness is not None:
        out["fitness"] = repr(float(h.fitness))
    if h.mutations is not None:
        out["mutations"] = "[" + ", ".join(f"{m.kind}({', '.join(m.args)})" for m in h.mutations) + "]"
    if h.hash is not None:
        out["hash"] = h.hash
    return out


def _with_trivia(lines: list[str], text: str, trivia: Trivia | None, indent: str = "") -> None:
    if trivia is not None:
        lines.extend(indent + c if c else "" for c in trivia.before)
    note = f"  {trivia.note}" if trivia is not None and trivia.note else ""
    lines.append(indent + text + note)


def format_network(network: Network) -> str:
    h = network.header
    lines: list[str] = []
    _with_trivia(lines, f"network {h.name}", h.trivia.get("network"))
    values = _header_values(h)
    for key in HEADER_ORDER:
        if key in values:
            _with_trivia(lines, f"{key} {values[key]}", h.trivia.get(key), INDENT)
    lines.append("")
    for node in network.nodes:
        _with_trivia(lines, format_node(node), node.trivia)
    lines.extend(network.trailing)
    return "\n".join(lines) + "\n"
