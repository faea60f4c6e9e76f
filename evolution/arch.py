"""A mutable working copy of an architecture for the search operators.

The AST is immutable and ordered like a file; operators think in nodes and edges. `Arch` holds
the nodes (with level, C, r, stride, and a block's attention and peers) and the edge set with learned
weights, and converts back to a validated `Network` in file order (stems, then levels 1-4), keeping
the header.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import networkx as nx

from ..dsl import Block, Edge, Header, Network, Stem
from ..dsl.ast import Peer
from ..dsl.values import AttentionMode
from ..paper import allowed_edges, counts_toward_budget

EdgeKey = tuple[str, str]  # (source id, block id)


@dataclass
class NodeSpec:
    id: str
    level: int
    channels: int | tuple[int, ...]  # a lite block's filter triple (AssembleNet++lite)
    r: int
    stride: int = 1
    modality: str | None = None  # stems only
    attention: AttentionMode | None = None  # blocks only; None: the header's
    peers: dict[str, float | None] | None = None  # peer id -> learned softmax weight; None: every lower node

    @property
    def is_stem(self) -> bool:
        return self.modality is not None


@dataclass
class Arch:
    header: Header
    nodes: dict[str, NodeSpec]
    edges: dict[EdgeKey, float | None] = field(default_factory=dict)  # (src, dst) -> learned weight

    # -- conversion -------------------------------------------------------------------------

    @classmethod
    def from_network(cls, network: Network) -> Arch:
        nodes: dict[str, NodeSpec] = {}
        edges: dict[EdgeKey, float | None] = {}
        for node in network.nodes:
            if isinstance(node, Stem):
                nodes[node.id] = NodeSpec(node.id, 0, node.channels, node.r, modality=node.modality)
            else:
                peers = None if node.peers is None else {p.source: p.weight for p in node.peers}
                nodes[node.id] = NodeSpec(
                    node.id, node.level, node.channels, node.r, node.stride, attention=node.attention, peers=peers
                )
                for e in node.inputs:
                    edges[(e.source, node.id)] = e.weight
        return cls(network.header, nodes, edges)

    def to_network(self, *, keep_weights: bool = True) -> Network:
        """File order: stems, then blocks by level, each level in insertion order; inputs sorted
        by that order, and so are peers. Weights are kept only where every input (every peer) of a
        block has one."""
        order = sorted(self.nodes.values(), key=lambda n: n.level)  # stable: insertion order within a level
        position = {n.id: i for i, n in enumerate(order)}
        out: list[Stem | Block] = []
        for n in order:
            if n.is_stem:
                out.append(Stem(id=n.id, modality=n.modality, channels=n.channels, r=n.r))  # type: ignore[arg-type]
                continue
            sources = sorted(self.inputs(n.id), key=position.__getitem__)
            weights = [self.edges[(s, n.id)] for s in sources]
            weighted = keep_weights and len(sources) > 1 and all(w is not None for w in weights)
            inputs = tuple(
                Edge(source=s, weight=w if weighted else None) for s, w in zip(sources, weights, strict=True)
            )
            peers = None if n.peers is None else self._peers(n.peers, position, keep_weights=keep_weights)
            out.append(
                Block(
                    id=n.id,
                    level=n.level,
                    inputs=inputs,
                    channels=n.channels,
                    r=n.r,
                    stride=n.stride,
                    attention=n.attention,
                    peers=peers,
                )
            )
        return Network(header=self.header, nodes=tuple(out))

    @staticmethod
    def _peers(peers: dict[str, float | None], position: dict[str, int], *, keep_weights: bool) -> tuple[Peer, ...]:
        sources = sorted(peers, key=position.__getitem__)
        weighted = keep_weights and all(peers[s] is not None for s in sources)
        return tuple(Peer(source=s, weight=peers[s] if weighted else None) for s in sources)

    def copy(self) -> Arch:
        return Arch(self.header, copy.deepcopy(self.nodes), dict(self.edges))

    # -- queries ----------------------------------------------------------------------------

    def blocks(self) -> list[NodeSpec]:
        return [n for n in self.nodes.values() if not n.is_stem]

    def inputs(self, node_id: str) -> list[str]:
        return [s for (s, d) in self.edges if d == node_id]

    def outputs(self, node_id: str) -> list[str]:
        return [d for (s, d) in self.edges if s == node_id]

    def attention_of(self, node_id: str) -> AttentionMode:
        """A block's own attention setting, else the header's (`Network.attention_of`)."""
        own = self.nodes[node_id].attention
        return own if own is not None else self.header.attention

    def peer_candidates(self, node_id: str) -> list[str]:
        """Every node of a lower level, in file order (`Network.peer_candidates`)."""
        level = self.nodes[node_id].level
        return [n.id for n in sorted(self.nodes.values(), key=lambda n: n.level) if n.level < level]

    def peers_of(self, node_id: str) -> dict[str, float | None]:
        """The block's peers with their learned weights: none without peer attention, else the
        written ones or every candidate (unweighted)."""
        if self.attention_of(node_id) != "peer":
            return {}
        peers = self.nodes[node_id].peers
        return dict(peers) if peers is not None else dict.fromkeys(self.peer_candidates(node_id))

    def allowed_edges(self) -> list[EdgeKey]:
        """Every edge the search space allows between these nodes, in a fixed order so that random
        draws are reproducible (`anet.paper.allowed_edges`)."""
        return allowed_edges((n.id, n.level) for n in self.nodes.values())

    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from(self.edges)
        return g

    def depth(self) -> int:
        """Blocks on the longest path from a stem (the paper's graph depth): 4 when some path climbs
        through every level."""
        return nx.dag_longest_path_length(self.graph()) if self.edges else 0

    def level_sum(self, level: int) -> int:
        return sum(
            n.channels if isinstance(n.channels, int) else n.channels[-1]
            for n in self.nodes.values()
            if n.level == level and counts_toward_budget(n.modality)
        )

    def new_id(self) -> str:
        """A fresh id: one more than the largest numeric id (ids stay short and readable)."""
        numbers = [int(i) for i in self.nodes if i.isdigit()]
        candidate = max(numbers, default=len(self.nodes) - 1) + 1
        while str(candidate) in self.nodes:
            candidate += 1
        return str(candidate)
