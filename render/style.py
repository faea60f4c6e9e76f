"""Colours, pen widths and label helpers shared by every figure.

One place decides what a modality or a connection weight looks like, so the model figure, the
supergraph and the legend can never disagree. Values are plain strings (Graphviz attributes) and are
formatted with fixed precision: the same input always gives the same DOT text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

import graphviz

FeedClass = Literal["rgb", "flow", "object", "mixed", "none"]

FONT: Final = "Helvetica"


@dataclass(frozen=True)
class NodeColours:
    """Fill and outline of one feeding class; `name` is the legend text."""

    name: str
    fill: str
    line: str


# Pastel fills keep black labels readable; the outlines carry the hue in print and greyscale.
FEED_COLOURS: Final[dict[str, NodeColours]] = {
    "rgb": NodeColours("RGB only", "#fbd3c4", "#b03a2e"),
    "flow": NodeColours("flow only", "#cfe2f6", "#1f618d"),
    "object": NodeColours("object only", "#d4efd0", "#1e8449"),
    "mixed": NodeColours("mixed", "#e4d6f1", "#6c3483"),
    "none": NodeColours("no input", "#ffffff", "#7f7f7f"),
}
HEAD_COLOURS: Final = NodeColours("head", "#ececec", "#404040")

# Connection weights map onto a grey ramp and a pen width (the paper: "darker colours of
# connections indicate stronger connections"). A weight of 0 is still visible, just faint.
_LIGHTEST_GREY: Final = 0xCC
_MIN_PEN: Final = 0.5
_MAX_PEN: Final = 3.5
UNWEIGHTED_EDGE: Final[dict[str, str]] = {"color": "#404040", "penwidth": "1.2"}
HEAD_EDGE: Final[dict[str, str]] = {"color": "#000000", "penwidth": "1.6"}
UNUSED_EDGE: Final[dict[str, str]] = {
    "color": "#b4b4b4",
    "penwidth": "0.6",
    "style": "dashed",
    "arrowsize": "0.4",
}

MODALITY_NAMES: Final[dict[str, str]] = {"rgb": "RGB", "flow": "flow", "object": "object"}

# Attention (AssembleNet++) is another kind of connection: a peer's pooled features gate a block's
# inputs, they do not flow into its sum. It is drawn in its own hue (amber, far from the node
# colours and the grey data edges), dashed, with an open dot where it meets the block, and a
# peer's learned softmax weight maps onto pen width and depth of colour like an edge weight.
ATTENTION_COLOUR: Final = "#b9770e"
_PEER_LIGHT: Final = (0xF5, 0xCB, 0xA7)  # a peer the block ignores
_PEER_DARK: Final = (0x87, 0x36, 0x00)  # the peer the block listens to
PEER_EDGE: Final[dict[str, str]] = {
    "style": "dashed",
    "arrowhead": "odot",
    "arrowsize": "0.6",
    "constraint": "false",  # gates, not data: they leave the layout to the data edges
}


def feed_class(modalities: Iterable[str]) -> FeedClass:
    """The colour class of a node from the set of stem modalities that reach it."""
    found = sorted(set(modalities))
    if not found:
        return "none"
    if len(found) > 1:
        return "mixed"
    return found[0]  # type: ignore[return-value]


def weight_colour(weight: float) -> str:
    """Grey from light (weight 0) to black (weight 1); strictly darker for larger weights at the
    resolution of 8-bit colour."""
    w = min(max(weight, 0.0), 1.0)
    level = round(_LIGHTEST_GREY * (1.0 - w))
    return f"#{level:02x}{level:02x}{level:02x}"


def weight_penwidth(weight: float) -> str:
    """Pen width growing linearly with the weight, two decimals for deterministic text."""
    w = min(max(weight, 0.0), 1.0)
    return f"{_MIN_PEN + (_MAX_PEN - _MIN_PEN) * w:.2f}"


def weighted_edge(weight: float) -> dict[str, str]:
    """Graphviz attributes of an edge that carries a learned weight."""
    return {"color": weight_colour(weight), "penwidth": weight_penwidth(weight), "arrowsize": "0.6"}


def peer_colour(strength: float) -> str:
    """Amber from light (a peer the block ignores, strength 0) to dark brown (strength 1)."""
    w = min(max(strength, 0.0), 1.0)
    channels = (round(light + (dark - light) * w) for light, dark in zip(_PEER_LIGHT, _PEER_DARK, strict=True))
    return "#" + "".join(f"{c:02x}" for c in channels)


def peer_edge(strength: float | None) -> dict[str, str]:
    """Graphviz attributes of a peer -> block attention edge; `strength` in [0, 1] (0.5: weighted
    like the block's other peers), None when the peer has no learned weight yet."""
    if strength is None:
        return PEER_EDGE | {"color": ATTENTION_COLOUR, "penwidth": "1.0"}
    return PEER_EDGE | {"color": peer_colour(strength), "penwidth": weight_penwidth(strength)}


def esc(text: object) -> str:
    """Escape text for Graphviz HTML-like labels."""
    return html.escape(str(text), quote=True)


def format_weight(weight: float) -> str:
    """Short weight text for tooltips and labels (three significant decimals are plenty to read)."""
    return f"{weight:.3f}"


def swatch_key(colours: NodeColours, text: str | None = None, *, rounded: bool = True) -> str:
    """One row of a key: a small box in the node colours, then its name."""
    style = ' STYLE="rounded"' if rounded else ""
    box = (
        f'<TD FIXEDSIZE="TRUE" WIDTH="30" HEIGHT="14" CELLPADDING="0" BGCOLOR="{colours.fill}" COLOR="{colours.line}" '
        f'BORDER="1"{style}></TD>'
    )
    return box + _key_text(text or colours.name)


def weight_key(weight: float, text: str | None = None) -> str:
    """One row of a key: a bar in the edge colour, as thick as the edge's pen, then the weight."""
    height = max(1, round(float(weight_penwidth(weight)) * 1.33))
    bar = f'<TD FIXEDSIZE="TRUE" WIDTH="30" HEIGHT="{height}" CELLPADDING="0" BGCOLOR="{weight_colour(weight)}"></TD>'
    return bar + _key_text(text or f"weight {weight:.1f}")


def line_key(colour: str, text: str, *, dashed: bool = False) -> str:
    """One row of a key for a line drawn in one colour (dashed lines as dashes)."""
    glyphs = "- - - -" if dashed else "&#9472;&#9472;&#9472;"
    return f'<TD><FONT POINT-SIZE="10" COLOR="{colour}"><B>{glyphs}</B></FONT></TD>' + _key_text(text)


def _key_text(text: str) -> str:
    return f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{esc(text)}</FONT>  </TD>'


def key_label(sections: list[tuple[str, list[str]]]) -> str:
    """A boxed key for a legend node: sections side by side, each a heading over two-cell rows.

    A node, not part of the graph label: a table nested in the title would be stretched to the
    title's width, while a node's table keeps its natural size. Side by side keeps it low, so the
    rank it sits in does not grow much taller than its nodes.
    """
    shown = [(heading, entries) for heading, entries in sections if entries]
    height = max((len(entries) for _, entries in shown), default=0)
    heads = "".join(
        f'<TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="10"><B>{esc(heading)}</B></FONT></TD>' for heading, _ in shown
    )
    rows = [f"<TR>{heads}</TR>"]
    for i in range(height):
        cells = "".join(entries[i] if i < len(entries) else '<TD COLSPAN="2"></TD>' for _, entries in shown)
        rows.append(f"<TR>{cells}</TR>")
    return (
        '<<TABLE BORDER="1" COLOR="#c8c8c8" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" BGCOLOR="white">'
        f"{''.join(rows)}</TABLE>>"
    )


def legend_table(rows: list[str]) -> str:
    """An HTML table (no outer brackets) holding legend rows of cells; each row is its own table so
    rows with different numbers of cells do not stretch each other's columns."""
    inner = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>{}</TR></TABLE>'
    body = "".join(f'<TR><TD ALIGN="CENTER">{inner.format(row)}</TD></TR>' for row in rows if row)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{body}</TABLE>'


def title_label(title: str, lines: list[str], legend: str | None = None) -> str:
    """The graph label: bold title, info lines, then an optional legend table."""
    parts = [f'<FONT POINT-SIZE="18"><B>{esc(title)}</B></FONT>']
    parts += [f'<FONT POINT-SIZE="11">{line}</FONT>' for line in lines]
    rows = "".join(f"<TR><TD>{p}</TD></TR>" for p in parts)
    if legend:
        rows += f"<TR><TD>{legend}</TD></TR>"
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{rows}</TABLE>>'


# The house style of every figure: a graph of rounded, filled boxes in ranks, the label on top.
# The lineage (many small candidates) is denser than a network (few large nodes).
CAPTION_STYLE: Final = {"shape": "plaintext", "style": "", "fontcolor": "#555555"}  # "level 1", "round 3"


def new_graph(
    name: str,
    rankdir: str,
    *,
    nodesep: str = "0.22",
    ranksep: str = "0.9",
    fontsize: str = "12",
    penwidth: str = "1.4",
) -> graphviz.Digraph:
    """A Digraph with the house style; `newrank` keeps rank=same groups exact."""
    graph = graphviz.Digraph(name=name)
    graph.attr(
        "graph",
        rankdir=rankdir,
        newrank="true",
        nodesep=nodesep,
        ranksep=ranksep,
        fontname=FONT,
        labelloc="t",
        labeljust="c",
        bgcolor="white",
        pad="0.3",
        outputorder="edgesfirst",
    )
    graph.attr("node", fontname=FONT, fontsize=fontsize, shape="box", style="rounded,filled", penwidth=penwidth)
    graph.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.6")
    return graph
