"""Attention operators (AssembleNet++): a block's attention switched on or off, and one peer of a
peer-attention block added or dropped. Drawn only in a search with an attention mode (`anet evolve
--attention self|peer`); a search without one never calls them, so its draws are those of before.

On is the run's mode, off is `none`; a block whose setting then equals the header's follows the
header again (the file states only what differs). A block switched on to peer attention listens to
every node below it, the authors' default.

Guided evolution reads the learned peer weights as equation (2) reads connection weights. A peer's
weight is a softmax probability, so a block's weights shrink as it gets more peers; what is compared
with B is the sigmoid of the peer's logit measured from the uniform one (`anet.paper.peer_strengths`):
0.5 for a peer weighted like all the others (as an untrained edge is 0.5), towards 1 for the peer the
block listens to and towards 0 for one it ignores. The lowest-weighted peer is dropped when that value
is at most B (kept when it exceeds B, as an edge is); else an absent candidate joins. Peers without a
learned weight count as uniform (a random one of equally low peers leaves).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..dsl.values import AttentionMode
from ..paper import peer_strengths
from .arch import Arch

PeerChange = Literal["add", "drop"]


def switchable(arch: Arch) -> list[str]:
    """Every block can switch: attention is a choice per block."""
    return [n.id for n in arch.blocks()]


def switch_attention(arch: Arch, block_id: str, mode: AttentionMode) -> AttentionMode:
    """`mode` (the run's) on a block without attention, none on one with; a switched block's written
    peers are dropped (back on, it listens to every node below). Returns the block's new mode."""
    node = arch.nodes[block_id]
    new: AttentionMode = mode if arch.attention_of(block_id) == "none" else "none"
    node.attention = None if new == arch.header.attention else new
    node.peers = None
    return new


def peer_changeable(arch: Arch) -> list[str]:
    """Blocks with peer attention and at least two candidates (with one, the sole peer can be
    neither dropped, a block keeps one, nor joined by another)."""
    return [n.id for n in arch.blocks() if arch.attention_of(n.id) == "peer" and len(arch.peer_candidates(n.id)) > 1]


def relative_weights(peers: dict[str, float | None]) -> dict[str, float]:
    """Each peer's weight against the uniform one (`anet.paper.peer_strengths`)."""
    return dict(zip(peers, peer_strengths(list(peers.values())), strict=True))


def change_peer(
    arch: Arch, block_id: str, rng: np.random.Generator, *, guided: bool, threshold: float | None = None
) -> tuple[PeerChange, str]:
    """One peer of a peer-attention block added or dropped, its list written out from then on.
    Guided: the lowest-weighted peer leaves when its relative weight is at most B (`threshold`, or
    B ~ U(0, 1)), else a random absent candidate joins. Unguided (the baselines): a random one of
    the possible changes. Returns what was done and to which node."""
    peers = arch.peers_of(block_id)
    absent = [c for c in arch.peer_candidates(block_id) if c not in peers]
    droppable = list(peers) if len(peers) > 1 else []
    if guided:
        relative = relative_weights(peers)
        least = min(relative.values())
        ties = [p for p, w in relative.items() if w == least]  # all of them, untrained: one at random
        lowest = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
        bound = threshold if threshold is not None else float(rng.random())
        drop = bool(droppable) and (relative[lowest] <= bound or not absent)
        change: tuple[PeerChange, str] = ("drop", lowest) if drop else ("add", absent[int(rng.integers(len(absent)))])
    else:
        changes: list[tuple[PeerChange, str]] = [("drop", p) for p in droppable] + [("add", a) for a in absent]
        change = changes[int(rng.integers(len(changes)))]
    action, node = change
    if action == "drop":
        del peers[node]
    else:
        peers[node] = None
    arch.nodes[block_id].peers = peers
    return change
