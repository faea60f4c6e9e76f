"""The canonical printer: AST -> .anet text, hand-written so that the layout is ours to define.

Canonical form: file comments, `network NAME`, the header settings indented by two spaces in the
order of `header.HEADER_FIELDS` (only those written in the source or differing from their defaults),
one blank line, then one line per node with attributes in Table 5 order (level, in, C, r, stride;
stride=1 left out), then AssembleNet++'s attention and peers where the file sets them.
Comments stay attached to the line they precede or end. `parse(print(ast)) == ast` for every valid
AST and `print(parse(text)) == text` for canonical text; the tests check both.
"""

from __future__ import annotations

from .ast import Block, Edge, Network, Peer, Stem, Trivia
from .header import HEADER_FIELDS

INDENT = "  "


def format_weight(weight: float) -> str:
    """The shortest text that reads back as the same float32 (`0.13810565`); the float64 repr as a
    fallback keeps the round trip exact even in the rare double-rounding case."""
    import numpy as np  # here, not at the top: `anet check` never prints and starts faster without it

    text = np.format_float_positional(np.float32(weight), unique=True, trim="-")
    return text if float(np.float32(float(text))) == weight else repr(weight)


def format_edge(edge: Edge | Peer) -> str:
    return edge.source if edge.weight is None else f"{edge.source}@{format_weight(edge.weight)}"


def _channels(channels: int | tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, channels)) + "]" if isinstance(channels, tuple) else str(channels)


def format_node(node: Stem | Block) -> str:
    if isinstance(node, Stem):
        return f"stem {node.id} in=[{node.modality}] C={node.channels} r={node.r}"
    inputs = ", ".join(format_edge(e) for e in node.inputs)
    line = f"block {node.id} level={node.level} in=[{inputs}] C={_channels(node.channels)} r={node.r}"
    if node.stride != 1:
        line += f" stride={node.stride}"
    if node.attention is not None:
        line += f" attention={node.attention}"
    if node.peers is not None:
        line += " peers=[" + ", ".join(format_edge(p) for p in node.peers) + "]"
    return line


def _with_trivia(lines: list[str], text: str, trivia: Trivia | None, indent: str = "") -> None:
    if trivia is not None:
        lines.extend(indent + c if c else "" for c in trivia.before)
    note = f"  {trivia.note}" if trivia is not None and trivia.note else ""
    lines.append(indent + text + note)


def format_network(network: Network) -> str:
    h = network.header
    lines: list[str] = []
    _with_trivia(lines, f"network {h.name}", h.trivia.get("network"))
    for field in HEADER_FIELDS:
        value = field.show(h)
        if value is not None:
            _with_trivia(lines, f"{field.keyword} {value}", h.trivia.get(field.keyword), INDENT)
    lines.append("")
    for node in network.nodes:
        _with_trivia(lines, format_node(node), node.trivia)
    lines.extend(network.trailing)
    return "\n".join(lines) + "\n"
