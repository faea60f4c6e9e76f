"""How an architecture's nodes, levels and head are drawn; shared by the model and supergraph figures.

Both figures must place the same node at the same level with the same label and colour, so that a
reader can compare them side by side; they differ only in their edges. Levels become `rank=same`
subgraphs (the paper's columns), the head (sink) gets a rank of its own after level 4.
"""

from __future__ import annotations

from typing import Literal

import graphviz

from ..dsl import Block, Network, Stem
from .attention import attention_note, attention_tooltip
from .layout import Positions, pin_attrs
from .style import (
    ATTENTION_COLOUR,
    CAPTION_STYLE,
    FEED_COLOURS,
    HEAD_COLOURS,
    HEAD_EDGE,
    MODALITY_NAMES,
    esc,
    feed_class,
)

RankDir = Literal["LR", "BT", "TB", "RL"]
HEAD_ID = "__head__"
KEY_ID = "__key__"


def feeding_modalities(network: Network) -> dict[str, frozenset[str]]:
    """The stem modalities that reach each node through its inputs (a stem: its own modality).

    Inputs always sit above their block in the file and on a lower level, so one pass in file order
    sees every input before the block that reads it. Unknown sources contribute nothing rather than
    failing: a figure of a half-valid file is still useful.
    """
    feeds: dict[str, frozenset[str]] = {}
    for node in network.nodes:
        if isinstance(node, Stem):
            feeds[node.id] = frozenset({node.modality})
        else:
            reach: set[str] = set()
            for edge in node.inputs:
                reach |= feeds.get(edge.source, frozenset())
            feeds[node.id] = frozenset(reach)
    return feeds


def node_label(node: Stem | Block, attention: str | None = None) -> str:
    """HTML label: bold id, then C, r and (blocks) the spatial stride, as in the paper's Table 5;
    an object stem's C is its class count (it pools, it has no filters). `attention` (see
    `attention.attention_note`) is a third line in the attention colour.

    A table rather than line breaks: it keeps a descending `_` of the id off the numbers.
    """
    if isinstance(node, Stem):
        head = f"<B>{esc(node.id)}</B>  {esc(MODALITY_NAMES[node.modality])} stem"
        size = f"{node.channels} classes" if node.modality == "object" else f"C={node.channels}"
        details = f"{size}  r={node.r}"
    else:
        head = f"<B>{esc(node.id)}</B>"
        channels = "[" + ", ".join(map(str, node.filters)) + "]" if node.filters else node.channels
        details = f"C={channels}  r={node.r}  stride={node.stride}"
    rows = f'<TR><TD>{head}</TD></TR><TR><TD><FONT POINT-SIZE="10">{details}</FONT></TD></TR>'
    if attention is not None:
        rows += f'<TR><TD><FONT POINT-SIZE="9" COLOR="{ATTENTION_COLOUR}"><I>{esc(attention)}</I></FONT></TD></TR>'
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>'


def node_tooltip(node: Stem | Block, feeds: frozenset[str], attention: str | None = None) -> str:
    """Hover text in SVG output: the full node line plus what feeds it (and its attention)."""
    where = "stem" if isinstance(node, Stem) else f"level {node.level}"
    modal = "+".join(MODALITY_NAMES[m] for m in MODALITY_NAMES if m in feeds) or "nothing"
    attends = f", attention {attention}" if attention else ""
    return f"{node.id}: {where}, C={node.channels}, r={node.r}, fed by {modal}{attends}"


def level_name(level: int) -> str:
    return "stems" if level == 0 else f"level {level}"


def levels(network: Network) -> dict[int, list[Stem | Block]]:
    """Nodes per level in file order, only levels that have nodes, in increasing order."""
    by_level: dict[int, list[Stem | Block]] = {}
    for node in network.nodes:
        by_level.setdefault(node.level, []).append(node)
    return dict(sorted(by_level.items()))


def _pinned(positions: Positions | None, node_id: str) -> dict[str, str]:
    return pin_attrs(positions[node_id]) if positions and node_id in positions else {}


def add_levels(
    graph: graphviz.Digraph,
    network: Network,
    *,
    level_labels: bool = True,
    positions: Positions | None = None,
) -> dict[str, str]:
    """Draw every node in a `rank=same` group per level; return each node's feeding class.

    With `level_labels`, a plain-text caption ("stems", "level 1", ...) joins each rank and invisible
    edges keep those captions in order, so the columns read like the paper's figure. `positions`
    pins nodes where another layout put them (see `anet.render.layout`).
    """
    feeds = feeding_modalities(network)
    classes: dict[str, str] = {}
    previous_caption: str | None = None
    for level, nodes in levels(network).items():
        with graph.subgraph(name=f"level{level}") as rank:
            rank.attr(rank="same")
            caption = f"__level{level}__"
            if level_labels:
                rank.node(
                    caption,
                    label=f"<<B>{level_name(level)}</B>>",
                    fontsize="13",
                    **CAPTION_STYLE,
                    **_pinned(positions, caption),
                )
            for node in nodes:
                cls = feed_class(feeds[node.id])
                classes[node.id] = cls
                colours = FEED_COLOURS[cls]
                block = isinstance(node, Block)
                rank.node(
                    node.id,
                    label=node_label(node, attention_note(network, node) if block else None),
                    fillcolor=colours.fill,
                    color=colours.line,
                    tooltip=node_tooltip(node, feeds[node.id], attention_tooltip(network, node) if block else None),
                    **_pinned(positions, node.id),
                )
        if level_labels:
            if previous_caption is not None:
                graph.edge(previous_caption, caption, style="invis")
            previous_caption = caption
    return classes


def add_head(
    graph: graphviz.Digraph,
    network: Network,
    *,
    caption: bool = True,
    positions: Positions | None = None,
    key: str | None = None,
) -> None:
    """The sink node of the paper: pool over time and space, combine the level-4 outputs (mean when
    their channel counts agree, as the runtime does, else concatenation), FC.

    `key` (an HTML label) becomes a legend node beside the head, where the figure has room.
    """
    header = network.header
    top_blocks = network.top_level
    combine = "" if len(top_blocks) < 2 else ("mean, " if len({b.channels for b in top_blocks}) == 1 else "concat, ")
    with graph.subgraph(name="head") as rank:
        rank.attr(rank="same")
        if caption:
            rank.node(
                "__level_head__",
                label="<<B>head</B>>",
                fontsize="13",
                **CAPTION_STYLE,
                **_pinned(positions, "__level_head__"),
            )
        rank.node(
            HEAD_ID,
            label=(
                f'<<B>head</B><BR/><FONT POINT-SIZE="10">{header.pool}-pool, {combine}FC<BR/>'
                f"{header.classes} classes</FONT>>"
            ),
            shape="box",
            style="filled",
            fillcolor=HEAD_COLOURS.fill,
            color=HEAD_COLOURS.line,
            tooltip=f"head: {header.pool} pooling of every level-4 block, {combine}FC to {header.classes} classes",
            **_pinned(positions, HEAD_ID),
        )
        if key is not None:
            rank.node(KEY_ID, label=key, shape="plaintext", style="", margin="0", **_pinned(positions, KEY_ID))
    if key is not None:
        graph.edge(HEAD_ID, KEY_ID, style="invis")
    if caption:
        top = max(levels(network), default=0)
        graph.edge(f"__level{top}__", "__level_head__", style="invis")
    for block in network.top_level:
        graph.edge(block.id, HEAD_ID, tooltip=f"{block.id} -> head", **HEAD_EDGE)
