"""Whole-graph rules of an architecture, in the NAS-Bench-101 `ModelSpec` spirit: every message
gives the value, the limit and the place, and `is_valid` answers the search's yes/no question.

The rules: node ids unique and not a raw input name; inputs name earlier nodes; every edge goes from
a lower to a strictly higher level; weights either on every input of a multi-input block or on
none, never on a single input, and everywhere when edges are fixed; peers (AssembleNet++) name
earlier nodes of a lower level, once each, weighted all or none, on blocks with peer attention
only; at least one level-4 block; per-level channel sums within the budget; lite blocks (filter
triples) exactly in `family lite` networks. A node that feeds no level-4 block is a warning: the
authors' TF code builds it (the published full_asnp50 structure has one), but the search never makes
one (`is_valid`).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import TYPE_CHECKING

from .ast import RESERVED_IDS, Block, Network, Stem
from .constants import RAW_INPUTS
from .diagnostics import Diagnostic, Span, error, warning

if TYPE_CHECKING:  # networkx loads where a graph is built: `anet check` does without it
    import networkx as nx


def _span(node: Stem | Block, key: str = "id") -> Span | None:
    return node.attr_spans.get(key) or node.span


class _Suggestions:
    """ "did you mean" for unknown node names at a bounded cost: each distinct name is looked up once,
    among the last `PER_LENGTH` nodes declared so far of about its length (a typo rarely changes the
    length by more than 2) and the raw inputs, and only the first `NAMES` distinct names get a hint.
    A generated file with thousands of bad references is then checked in linear time."""

    NAMES = 64
    PER_LENGTH = 32

    def __init__(self) -> None:
        self.by_length: dict[int, list[str]] = defaultdict(list)
        self.found: dict[str, str | None] = {}

    def declare(self, node_id: str) -> None:
        self.by_length[len(node_id)].append(node_id)

    def hint(self, name: str) -> str | None:
        if name not in self.found:
            if len(self.found) >= self.NAMES:
                return None
            near = range(len(name) - 2, len(name) + 3)
            pool = [c for n in near for c in self.by_length.get(n, [])[-self.PER_LENGTH :]] + list(RAW_INPUTS)
            close = difflib.get_close_matches(name, pool, n=1, cutoff=0.5)
            self.found[name] = f"did you mean '{close[0]}'?" if close else None
        return self.found[name]


def graph(network: Network) -> nx.DiGraph:
    """The architecture as a networkx DAG over node ids (edges whose source exists only)."""
    import networkx as nx

    g = nx.DiGraph()
    for node in network.nodes:
        g.add_node(node.id, level=node.level)
    for block in network.blocks:
        for edge in block.inputs:
            if edge.source in g and edge.source != block.id:
                g.add_edge(edge.source, block.id)
    return g


def validate(network: Network) -> list[Diagnostic]:
    """Every graph-level problem of `network`, in file order."""
    out: list[Diagnostic] = []
    first_seen: dict[str, Stem | Block] = {}
    declared: dict[str, Stem | Block] = {}
    later = {n.id: n for n in reversed(network.nodes)}  # the first node of each id
    suggestions = _Suggestions()
    for node in network.nodes:
        if node.id in RESERVED_IDS:
            out.append(
                error(
                    "E171",
                    f"`{node.id}` names a raw input and cannot be a node id",
                    _span(node),
                    "rename the node, e.g. to s0 or 0",
                )
            )
        if node.id in first_seen:
            where = first_seen[node.id].span
            out.append(
                error(
                    "E130",
                    f"node id {node.id} is used twice",
                    _span(node),
                    f"the first is at line {where.line}" if where else None,
                )
            )
        else:
            first_seen[node.id] = node
        if isinstance(node, Block):
            out += _check_inputs(network, node, declared, later, suggestions)
            out += _check_peers(network, node, declared, later)
            out += _check_family(network, node)
        if node.id not in declared:
            declared[node.id] = node
            suggestions.declare(node.id)
    out += _check_reachability(network)
    out += _check_budgets(network)
    return out


def _check_inputs(
    network: Network,
    block: Block,
    declared: dict[str, Stem | Block],
    later: dict[str, Stem | Block],
    suggestions: _Suggestions,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[str] = set()
    for edge in block.inputs:
        if edge.source in seen:
            out.append(error("E137", f"block {block.id} reads node {edge.source} twice", edge.span))
            continue
        seen.add(edge.source)
        source = declared.get(edge.source)
        if source is None:
            if edge.source in later:
                span = later[edge.source].span
                where = f" (line {span.line})" if span else ""
                out.append(
                    error(
                        "E132",
                        f"block {block.id} reads node {edge.source}, which comes later{where}",
                        edge.span,
                        "a block reads nodes written above it; move the line or the edge",
                    )
                )
            else:
                out.append(
                    error(
                        "E131",
                        f"block {block.id} reads unknown node {edge.source}",
                        edge.span,
                        suggestions.hint(edge.source),
                    )
                )
            continue
        if source.level >= block.level:
            out.append(
                error(
                    "E133",
                    f"edge {edge.source} -> {block.id} goes from level {source.level} to level "
                    f"{block.level}; edges must go to a strictly higher level",
                    edge.span,
                )
            )
    weighted = [e for e in block.inputs if e.weight is not None]
    if len(block.inputs) == 1 and weighted:
        out.append(
            error(
                "E160",
                f"block {block.id} has a single input; its weight would never be used",
                weighted[0].weight_span or weighted[0].span,
                "remove `@weight`: a single input is passed through",
            )
        )
    elif weighted and len(weighted) < len(block.inputs):
        missing = next(e for e in block.inputs if e.weight is None)
        out.append(
            error(
                "E161",
                f"block {block.id} gives weights for {len(weighted)} of its {len(block.inputs)} inputs",
                missing.span,
                "give a weight for every input (e.g. 3@0.5) or for none",
            )
        )
    elif not weighted and len(block.inputs) > 1 and network.header.edges == "fixed":
        out.append(
            error(
                "E162",
                f"block {block.id} fuses {len(block.inputs)} inputs without weights but edges are fixed",
                _span(block, "inputs"),
                "give every input a weight (e.g. 3@0.5) or set `edges learned`",
            )
        )
    return out


def dead_nodes(network: Network) -> list[Stem | Block]:
    """Nodes that feed no level-4 block through inputs (what a peer reads reaches the head only
    through attention gates), in file order."""
    inputs: dict[str, list[str]] = defaultdict(list)  # by id: a duplicated id (E130) has both nodes' inputs
    for b in network.blocks:
        inputs[b.id] += [e.source for e in b.inputs]
    alive = {b.id for b in network.top_level}
    todo = list(alive)
    while todo:  # every ancestor of a level-4 block
        for source in inputs.get(todo.pop(), []):
            if source not in alive:
                alive.add(source)
                todo.append(source)
    return [n for n in network.nodes if n.id not in alive]


def _check_reachability(network: Network) -> list[Diagnostic]:
    top = network.top_level
    if not top:
        return [
            error(
                "E141",
                "the network has no level-4 block, so the head has nothing to read",
                network.header.span,
                "add a `block ID level=4 ...` line",
            )
        ]
    out = []
    dead = dead_nodes(network)
    gates = _peer_readers(network, {n.id for n in dead}) if dead else {}
    for node in dead:
        readers = gates.get(node.id, [])
        blocks = f"block {readers[0]}" if len(readers) == 1 else f"blocks {', '.join(readers)}"
        gated = f"; only the peer attention of {blocks} reads it" if readers else ""
        what = f"node {node.id} does not feed any level-4 block"
        if node.level == 4:  # `family lite`: the head reads the first level-4 block only
            what = f"block {node.id} does not feed the head, which in a lite network reads block {top[0].id} only"
        out.append(
            warning(
                "W140",
                f"{what}, so its output is unused{gated}",
                _span(node),
                "it is built and trained all the same (as the authors' code does); connect it to a later "
                "block or delete it",
            )
        )
    return out


def _peer_readers(network: Network, ids: set[str]) -> dict[str, list[str]]:
    """The blocks, in file order, whose peer attention reads each of `ids`: one pass over the blocks
    (asking every block about every dead node took 14 s for 2,000 dead nodes among 10,000)."""
    readers: dict[str, list[str]] = defaultdict(list)
    for block in network.blocks:
        for source in dict.fromkeys(p.source for p in network.peers_of(block)):
            if source in ids:
                readers[source].append(block.id)
    return readers


def _check_peers(
    network: Network, block: Block, declared: dict[str, Stem | Block], later: dict[str, Stem | Block]
) -> list[Diagnostic]:
    if block.peers is None:
        return []
    mode = network.attention_of(block)
    if mode != "peer":
        return [
            error(
                "E163",
                f"block {block.id} lists peers but its attention is `{mode}`",
                _span(block, "peers"),
                "write attention=peer on the block, or `attention peer` in the header, or drop peers=[...]",
            )
        ]
    out: list[Diagnostic] = []
    if not block.peers:
        out.append(
            error(
                "E163",
                f"block {block.id} has peer attention but no peers",
                _span(block, "peers"),
                "list at least one lower-level node, leave peers=[...] out for all of them, or write attention=none",
            )
        )
    seen: set[str] = set()
    for peer in block.peers:
        source = declared.get(peer.source)
        if peer.source in seen:
            out.append(error("E137", f"block {block.id} lists peer {peer.source} twice", peer.span))
        elif peer.source == block.id:
            out.append(
                error("E138", f"block {block.id} lists itself as a peer; peers come from lower levels", peer.span)
            )
        elif source is None:
            known = peer.source in later
            out.append(
                error(
                    "E132" if known else "E131",
                    f"block {block.id} lists peer {peer.source}, which "
                    + ("comes later" if known else "is not a node"),
                    peer.span,
                    "a peer is a node written above the block" if known else None,
                )
            )
        elif source.level >= block.level:
            out.append(
                error(
                    "E138",
                    f"peer {peer.source} (level {source.level}) of block {block.id} (level {block.level}) is not "
                    "below it; peers come from lower levels",
                    peer.span,
                )
            )
        seen.add(peer.source)
    weighted = [p for p in block.peers if p.weight is not None]
    if weighted and len(weighted) < len(block.peers):
        missing = next(p for p in block.peers if p.weight is None)
        out.append(
            error(
                "E161",
                f"block {block.id} gives weights for {len(weighted)} of its {len(block.peers)} peers",
                missing.span,
                "give a weight for every peer (e.g. 3@0.25) or for none",
            )
        )
    return out


def _check_family(network: Network, block: Block) -> list[Diagnostic]:
    lite = network.header.family == "lite"
    if lite == (block.filters is not None):
        return []
    if lite:
        message = f"block {block.id} has C={block.channels}, but `family lite` blocks give three filter counts"
        hint = "write e.g. C=[27, 27, 12] (inverted bottleneck widths; the block outputs the last)"
    else:
        message = f"block {block.id} gives a filter triple, which only AssembleNet++lite blocks have"
        hint = "add `family lite` to the header, or give one C"
    return [error("E164", message, _span(block, "channels"), hint)]


def _check_budgets(network: Network) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for level in range(5):
        nodes = network.budget_nodes(level)
        budget = network.header.channel_budget(level)
        total = 0
        for node in nodes:
            total += node.budget_channels
            if total > budget:
                name = "the stems use" if level == 0 else f"level {level} uses"
                uses = sum(n.budget_channels for n in nodes)
                ids = ", ".join(n.id for n in nodes)
                out.append(
                    error(
                        "E150",
                        f"{name} {uses} channels (C of {ids}), budget {budget}",
                        _span(node, "channels"),
                        f"the sum passes the budget at node {node.id}; lower C or raise `budget`",
                    )
                )
                break
    return out


def check_hash(network: Network, computed: str) -> list[Diagnostic]:
    given = network.header.hash
    if given is None or given == computed:
        return []
    return [
        warning(
            "W170",
            f"hash {given} does not match the architecture (computed {computed})",
            network.header.span,
            "the file was edited after it was written; delete the line or run `anet fmt --rehash`",
        )
    ]


def is_valid(network: Network) -> bool:
    """The yes/no form the evolution engine uses to reject a child before writing it: no error and
    no node that feeds nothing (the search keeps every node useful)."""
    return not any(d.is_error or d.code == "W140" for d in validate(network))
