"""Node operators (split, merge, change of r), repair, the initial random architectures and
make_child: the invariants of paper section 3.2 and appendix A.2 on random valid architectures."""

from __future__ import annotations

import numpy as np
import pytest
from anet_strategies import networks
from evo_helpers import level_sums, weighted_arch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from anet.dsl import Header, architecture_hash, format_network, is_valid, validate
from anet.dsl.constants import DILATIONS
from anet.evolution.arch import Arch
from anet.evolution.edges import guided_edges, random_edges
from anet.evolution.mutate import child_header, make_child
from anet.evolution.nodes import change_dilation, dilatable, merge, mergeable, split, splittable
from anet.evolution.random_arch import MIN_DEPTH, random_architecture
from anet.evolution.repair import repair

EXAMPLES = 30
seeds = st.integers(0, 2**32 - 1)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def as_child(network) -> Arch:
    """The working copy make_child starts from: learned edges, no descendant metadata."""
    arch = Arch.from_network(network)
    arch.header = child_header(network)
    return arch


def assert_valid(arch: Arch) -> None:
    network = arch.to_network()
    assert is_valid(network), [str(d) for d in validate(network) if d.is_error]


def blocks_without_input(arch: Arch) -> list[str]:
    return [b.id for b in arch.blocks() if not arch.inputs(b.id)]


def dead_nodes(arch: Arch) -> list[str]:
    """Nodes with no path to a level-4 block."""
    g = arch.graph()
    top = [n.id for n in arch.nodes.values() if n.level == 4]
    import networkx as nx

    alive = set(top).union(*(nx.ancestors(g, t) for t in top))
    return [n for n in arch.nodes if n not in alive]


# -- split / merge / dilation ---------------------------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None)
@given(network=networks(with_trivia=False), data=st.data())
def test_split_halves_a_node_and_keeps_the_level_sums(network, data):
    arch = as_child(network)
    assume(splittable(arch))
    node_id = data.draw(st.sampled_from(splittable(arch)))
    before = arch.copy()
    node = before.nodes[node_id]
    first, second = split(arch, node_id)
    assert first == node_id and second not in before.nodes
    a, b = arch.nodes[first], arch.nodes[second]
    assert (a.channels, b.channels) == (node.channels // 2, node.channels - node.channels // 2)
    for half in (a, b):
        assert (half.level, half.r, half.stride) == (node.level, node.r, node.stride)
        assert set(arch.inputs(half.id)) == set(before.inputs(node_id))
        assert set(arch.outputs(half.id)) == set(before.outputs(node_id))
    assert level_sums(arch) == level_sums(before)
    assert_valid(arch)


@settings(max_examples=EXAMPLES, deadline=None)
@given(network=networks(with_trivia=False), data=st.data(), seed=seeds)
def test_split_then_merge_restores_the_node_and_the_hash(network, data, seed):
    arch = as_child(network)
    assume(splittable(arch))
    node_id = data.draw(st.sampled_from(splittable(arch)))
    original = arch.copy()
    first, second = split(arch, node_id)
    assert merge(arch, first, second, rng(seed)) == node_id
    assert arch.nodes == original.nodes  # same C, r, stride, level, and no other node changed
    assert arch.edges == original.edges  # same inputs and outputs, learned weights included
    assert architecture_hash(arch.to_network()) == architecture_hash(network)
    assert format_network(arch.to_network()) == format_network(original.to_network())


@settings(max_examples=EXAMPLES, deadline=None)
@given(network=networks(with_trivia=False), data=st.data(), seed=seeds)
def test_merge_unions_edges_and_sums_channels(network, data, seed):
    arch = as_child(network)
    assume(mergeable(arch))
    first, second = data.draw(st.sampled_from(mergeable(arch)))
    before = arch.copy()
    a, b = before.nodes[first], before.nodes[second]
    assert merge(arch, first, second, rng(seed)) == first
    assert second not in arch.nodes
    assert not [e for e in arch.edges if second in e]
    merged = arch.nodes[first]
    assert merged.channels == a.channels + b.channels
    assert merged.level == a.level
    assert merged.r in (a.r, b.r) and merged.stride in (a.stride, b.stride)
    assert set(arch.inputs(first)) == set(before.inputs(first)) | set(before.inputs(second))
    assert set(arch.outputs(first)) == set(before.outputs(first)) | set(before.outputs(second))
    assert level_sums(arch) == level_sums(before)
    assert_valid(arch)


def test_merge_takes_r_and_stride_from_either_node():
    arch = weighted_arch(5)
    picks = set()
    for seed in range(40):
        work = arch.copy()
        first, second = mergeable(work)[0]
        work.nodes[first].r, work.nodes[second].r = 1, 8
        merge(work, first, second, rng(seed))
        picks.add(work.nodes[first].r)
    assert picks == {1, 8}


@settings(max_examples=EXAMPLES, deadline=None)
@given(network=networks(with_trivia=False), data=st.data(), seed=seeds)
def test_dilation_change_always_changes_r_within_the_allowed_values(network, data, seed):
    arch = as_child(network)
    node_id = data.draw(st.sampled_from(dilatable(arch)))
    before = arch.copy()
    old = arch.nodes[node_id].r
    new = change_dilation(arch, node_id, rng(seed))
    assert new == arch.nodes[node_id].r != old
    assert new in DILATIONS
    assert level_sums(arch) == level_sums(before)
    assert arch.edges == before.edges
    assert_valid(arch)


def test_dilation_reaches_every_other_value():
    arch = weighted_arch(6)
    node_id = dilatable(arch)[0]
    arch.nodes[node_id].r = 2
    assert {change_dilation(arch.copy(), node_id, rng(seed)) for seed in range(40)} == {1, 4, 8}


def test_operators_refuse_what_they_cannot_do():
    arch = weighted_arch(7)
    stem = next(n.id for n in arch.nodes.values() if n.is_stem)
    with pytest.raises(ValueError):
        split(arch, stem)
    levels = {n.level: n.id for n in arch.blocks()}
    with pytest.raises(ValueError):
        merge(arch, levels[1], levels[2], rng(0))
    with pytest.raises(ValueError):
        merge(arch, levels[1], levels[1], rng(0))


# -- edge operators keep the channel sums; repair -------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None)
@given(network=networks(with_trivia=False), seed=seeds, b=st.none() | st.floats(0, 1))
def test_edge_operators_keep_the_nodes(network, seed, b):
    for operator in (lambda a: guided_edges(a, rng(seed), threshold=b), lambda a: random_edges(a, rng(seed))):
        arch = as_child(network)
        before = arch.copy()
        operator(arch)
        assert arch.nodes == before.nodes
        assert level_sums(arch) == level_sums(before)


@settings(max_examples=EXAMPLES, deadline=None)
@given(network=networks(with_trivia=False), data=st.data(), seed=seeds)
def test_repair_makes_any_edge_deletion_valid_by_adding_edges_only(network, data, seed):
    arch = as_child(network)
    doomed = data.draw(st.sets(st.sampled_from(sorted(arch.edges))))
    for edge in doomed:
        del arch.edges[edge]
    before = dict(arch.edges)
    added = repair(arch, rng(seed))
    assert {e: arch.edges[e] for e in before} == before  # nothing removed, no weight changed
    assert len(arch.edges) - len(before) == added
    assert set(arch.edges) <= set(arch.allowed_edges())
    assert not blocks_without_input(arch)
    assert not dead_nodes(arch)
    assert_valid(arch)
    if not doomed:
        assert added == 0  # a valid graph needs nothing


# -- initial population -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(25))
def test_random_architecture(seed):
    header = Header(name="candidate", classes=10)
    arch, splits = random_architecture(header, rng(seed))
    stems = [n for n in arch.nodes.values() if n.is_stem]
    assert len(stems) in (2, 4)
    modalities = [s.modality for s in stems]
    assert modalities.count("rgb") == modalities.count("flow") == len(stems) // 2
    assert all(s.r == 1 for s in stems if s.modality == "flow")
    for level in range(5):  # budgets exact: every level's channel sum is the level's budget
        assert arch.level_sum(level) == header.channel_budget(level)
    assert 1 <= splits <= 5
    assert len(arch.blocks()) == 7 + splits
    assert all(n.r in DILATIONS for n in arch.nodes.values())
    assert arch.depth() >= MIN_DEPTH
    assert not blocks_without_input(arch) and not dead_nodes(arch)
    assert_valid(arch)
    again, _ = random_architecture(header, rng(seed))
    assert format_network(again.to_network()) == format_network(arch.to_network())  # deterministic


def test_random_architectures_differ_and_use_both_stem_counts():
    header = Header(name="candidate", classes=10)
    archs = [random_architecture(header, rng(seed))[0] for seed in range(30)]
    assert len({architecture_hash(a.to_network()) for a in archs}) == 30
    assert {sum(n.is_stem for n in a.nodes.values()) for a in archs} == {2, 4}


# -- make_child -------------------------------------------------------------------------------------


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(
    network=networks(with_trivia=False),
    seed=seeds,
    strategy=st.sampled_from(["guided", "standard"]),
    threshold=st.none() | st.floats(0, 1),
    max_node_mutations=st.integers(0, 6),
)
def test_make_child_never_fails_and_is_deterministic(network, seed, strategy, threshold, max_node_mutations):
    kwargs = dict(strategy=strategy, threshold=threshold, max_node_mutations=max_node_mutations)
    child, mutations = make_child(network, rng(seed), **kwargs)
    assert is_valid(child)
    assert child.header.edges == "learned"
    assert all(e.weight is None for b in child.blocks for e in b.inputs)  # the child learns its own
    assert level_sums(Arch.from_network(child)) == level_sums(Arch.from_network(network))
    assert mutations[0].kind == ("guided_edges" if strategy == "guided" else "random_edges")
    node_mutations = [m for m in mutations[1:] if m.kind != "repair"]
    assert len(node_mutations) <= max_node_mutations
    assert {m.kind for m in node_mutations} <= {"split", "merge", "dilation"}
    again, mutations_again = make_child(network, rng(seed), **kwargs)
    assert format_network(again) == format_network(child)
    assert mutations_again == mutations


def test_make_child_varies_with_the_seed():
    parent = weighted_arch(8).to_network()
    children = {architecture_hash(make_child(parent, rng(seed))[0]) for seed in range(20)}
    assert len(children) > 15


def test_make_child_refuses_the_random_strategy():
    with pytest.raises(ValueError):
        make_child(weighted_arch(9).to_network(), rng(0), strategy="random")
