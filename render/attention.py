"""How AssembleNet++ attention is drawn, the same in the model figure and in the supergraph.

A block's attention is written on the block (a line under its numbers, in the attention colour:
"self-attention", or "peer: 12 of 14 below", how many nodes of the lower levels it listens to, or
"peer: all 14 below"). Peers
are drawn as peer -> block edges in that colour, dashed, with an open dot at the block; a learned
softmax weight sets pen width and depth of colour (`anet.paper.peer_strengths`: a peer weighted
like the others looks like an edge of weight 0.5). At most `MAX_PEER_EDGES` per block are drawn,
its strongest peers, and with weights only those above uniform, which say which modality or level
the block listens to. Every peer as an edge would bury the figure: AssembleNet++-50 has 85 peers
(every node below each block, the authors' default) over 45 data connections. The default list is
not drawn at all (the note says it all), nor a written list without weights longer than the limit
(nothing ranks its peers); SVG output lists every peer and weight in the block's tooltip. Peer edges
do not constrain the layout (they gate, they are not data).
"""

from __future__ import annotations

import graphviz

from ..dsl import Block, Network
from ..dsl.ast import Peer
from ..paper import peer_strengths
from .style import ATTENTION_COLOUR, esc, format_weight, line_key, peer_edge

MAX_PEER_EDGES = 3


def attention_note(network: Network, block: Block) -> str | None:
    """The line written on a block with attention, None without."""
    mode = network.attention_of(block)
    if mode == "none":
        return None
    if mode == "self":
        return "self-attention"
    below = len(network.peer_candidates(block))
    if block.peers is None or len(block.peers) == below:
        return f"peer: all {below} below"
    return f"peer: {len(block.peers)} of {below} below"


def attention_tooltip(network: Network, block: Block) -> str | None:
    """The block's attention for its hover text: the mode, and every peer with its weight."""
    mode = network.attention_of(block)
    if mode != "peer":
        return None if mode == "none" else mode
    peers = ", ".join(
        p.source if p.weight is None else f"{p.source}@{format_weight(p.weight)}" for p in network.peers_of(block)
    )
    return f"peer [{peers}]"


def shown_peers(network: Network, block: Block) -> list[tuple[Peer, float | None]]:
    """The peers drawn as edges, with their strengths (None without a learned weight)."""
    if network.attention_of(block) != "peer" or block.peers is None:
        return []
    peers = block.peers
    if any(p.weight is None for p in peers):
        return [(p, None) for p in peers] if len(peers) <= MAX_PEER_EDGES else []
    strengths = peer_strengths([p.weight for p in peers])
    ranked = sorted(zip(peers, strengths, strict=True), key=lambda ps: -ps[1])  # stable: file order among equals
    return [(p, s) for p, s in ranked[:MAX_PEER_EDGES] if s > 0.5 or len(peers) <= MAX_PEER_EDGES]


def add_peer_edges(graph: graphviz.Digraph, network: Network, *, label_weights: bool = False) -> int:
    """The shown peers' edges; returns how many. `label_weights` writes each learned softmax
    weight on its edge; SVG output always has it, and the uniform one, as the tooltip."""
    count = 0
    for block in network.blocks:
        shown = shown_peers(network, block)
        uniform = 1 / len(block.peers or [None])
        for peer, strength in shown:
            attrs = peer_edge(strength)
            tip = f"peer {peer.source} -> {block.id}"
            if peer.weight is not None:
                tip += f": softmax weight {peer.weight!r} (uniform {uniform:.3f})"
                if label_weights:
                    attrs["label"] = format_weight(peer.weight)
                    attrs["fontcolor"] = ATTENTION_COLOUR
            graph.edge(peer.source, block.id, tooltip=tip, **attrs)
            count += 1
    return count


def attention_summary(network: Network) -> str | None:
    """A caption line: which blocks attend, and how peers are drawn; None without attention."""
    modes = [network.attention_of(b) for b in network.blocks]
    if all(m == "none" for m in modes):
        return None
    parts = [f"{mode} on {modes.count(mode)}" for mode in ("peer", "self") if mode in modes]
    text = f"attention: {', '.join(parts)} of {len(modes)} blocks"
    if any(shown_peers(network, b) for b in network.blocks):
        text += f" · dashed amber: peer → block (at most its {MAX_PEER_EDGES} strongest), darker = higher weight"
    elif "peer" in modes:
        text += " · “peer: … below”: the lower-level nodes whose pooled features gate the block's inputs"
    return esc(text)


def attention_key(network: Network) -> list[str]:
    """Rows for a figure's key: the peer edge, when some is drawn."""
    shown = [s for b in network.blocks for _, s in shown_peers(network, b)]
    if not shown:
        return []
    text = "peer (attention), weighted" if any(s is not None for s in shown) else "peer (attention)"
    return [line_key(ATTENTION_COLOUR, text, dashed=True)]
