"""A child from a parent: first the edges (guided by the parent's learned weights, or changed at
random for the 'standard' baseline), then 0-4 random node mutations (split, merge, change of r, and
in a search with attention a block's attention switched or one of its peers changed), then repair.
Returns the child and the mutations, as recorded in the child's file."""

from __future__ import annotations

import numpy as np

from ..dsl import Header, Mutation, Network, is_valid
from ..dsl.header import DESCENDANT_METADATA
from ..dsl.values import AttentionMode
from .arch import Arch
from .attention import change_peer, peer_changeable, switch_attention, switchable
from .config import Strategy
from .edges import clear_weights, guided_edges, random_edges
from .nodes import change_dilation, dilatable, merge, mergeable, split, splittable
from .repair import repair


class ChildError(RuntimeError):
    """No valid child could be made (should not happen: repair only adds edges)."""


def _node_mutation(
    arch: Arch, rng: np.random.Generator, attention: AttentionMode, *, guided: bool, threshold: float | None
) -> Mutation:
    kinds = []
    if splittable(arch):
        kinds.append("split")
    if mergeable(arch):
        kinds.append("merge")
    kinds.append("dilation")
    if attention != "none":  # without, the draws are those of a search before attention existed
        kinds.append("attention")
        if peer_changeable(arch):
            kinds.append("peers")
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "attention":
        candidates = switchable(arch)
        block = candidates[int(rng.integers(len(candidates)))]
        return Mutation(kind="attention", args=(block, switch_attention(arch, block, attention)))
    if kind == "peers":
        candidates = peer_changeable(arch)
        block = candidates[int(rng.integers(len(candidates)))]
        action, node = change_peer(arch, block, rng, guided=guided, threshold=threshold)
        return Mutation(kind="peers", args=(block, action, node))
    if kind == "split":
        candidates = splittable(arch)
        first, second = split(arch, candidates[int(rng.integers(len(candidates)))])
        return Mutation(kind="split", args=(first, second))
    if kind == "merge":
        pairs = mergeable(arch)
        first, second = pairs[int(rng.integers(len(pairs)))]
        merge(arch, first, second, rng)
        return Mutation(kind="merge", args=(first, second))
    candidates = dilatable(arch)
    node_id = candidates[int(rng.integers(len(candidates)))]
    return Mutation(kind="dilation", args=(node_id, str(change_dilation(arch, node_id, rng))))


def child_header(parent: Network) -> Header:
    """The parent's settings with learned edges (a child learns its own weights) and no metadata:
    the search fills in parent, round, mutations, hash, fitness and the child's own measured cost."""
    header = parent.header.model_dump(exclude_unset=True, exclude={*DESCENDANT_METADATA, "trivia"})
    return Header.model_validate(header | {"edges": "learned"})


def as_candidate(network: Network) -> Network:
    """The network as a search candidate: learned edges, its given weights (and peer weights) dropped."""
    arch = Arch.from_network(network)
    arch.header = child_header(network)
    clear_weights(arch)
    return arch.to_network(keep_weights=False)


def make_child(
    parent: Network,
    rng: np.random.Generator,
    *,
    strategy: Strategy = "guided",
    threshold: float | None = None,
    max_node_mutations: int = 4,
    standard_fraction: float = 1 / 3,
    attention: AttentionMode = "none",
) -> tuple[Network, tuple[Mutation, ...]]:
    """The child of `parent` (weights cleared: the child learns its own) and what was done.
    `attention` is the run's mode: what switching a block on gives (none: no attention operators)."""
    arch = Arch.from_network(parent)
    arch.header = child_header(parent)
    if strategy == "guided":
        kept, dropped, added = guided_edges(arch, rng, threshold=threshold)
        mutations = [Mutation(kind="guided_edges", args=(str(kept), str(dropped), str(added)))]
    elif strategy == "standard":
        kept, dropped, added = random_edges(arch, rng, fraction=standard_fraction)
        mutations = [Mutation(kind="random_edges", args=(str(kept), str(dropped), str(added)))]
    else:
        raise ValueError(f"make_child does not do strategy {strategy!r} (random search draws fresh architectures)")
    clear_weights(arch)  # the peer weights stay until the end: the guided peer change reads them
    for _ in range(int(rng.integers(0, max_node_mutations + 1))):
        mutations.append(_node_mutation(arch, rng, attention, guided=strategy == "guided", threshold=threshold))
    repaired = repair(arch, rng)
    if repaired:
        mutations.append(Mutation(kind="repair", args=(str(repaired),)))
    child = arch.to_network(keep_weights=False)
    if not is_valid(child):
        raise ChildError("a child failed validation after repair")
    return child, tuple(mutations)
