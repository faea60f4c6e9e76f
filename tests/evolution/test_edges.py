"""Edge operators: equation (2) of the paper (connection-learning-guided mutation) and the
'standard evolution' baseline (a random third of the edges replaced).

The statistical checks run many seeded draws on one fixed architecture; the seeds are fixed, so
each check is deterministic, and its tolerance (3-4 standard errors) is what a correct operator
passes by a wide margin.
"""

from __future__ import annotations

import math

import numpy as np
from anet_strategies import networks
from evo_helpers import weighted_arch
from hypothesis import given, settings
from hypothesis import strategies as st

from anet.evolution.arch import Arch
from anet.evolution.edges import UNTRAINED_WEIGHT, edge_weight, guided_edges, random_edges

SEEDS = 2000


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def single_input(arch: Arch, edge: tuple[str, str]) -> bool:
    return len(arch.inputs(edge[1])) == 1


# -- equation (2) with a constant threshold B = b ------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(network=networks(with_trivia=False), b=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_fixed_threshold_keeps_exactly_the_edges_above_it(network, b, seed):
    arch = Arch.from_network(network)
    parent = dict(arch.edges)
    absent = set(arch.allowed_edges()) - set(parent)
    expected = {e for e in parent if single_input(arch, e) or edge_weight(arch, e) > b}
    kept, dropped, added = guided_edges(arch, rng(seed), threshold=b)
    child = set(arch.edges)
    assert child & set(parent) == expected
    assert (kept, dropped) == (len(expected), len(parent) - len(expected))
    new = child - set(parent)
    assert len(new) == added
    assert new <= absent  # only allowed edges (lower level -> strictly higher block), none twice
    assert all(arch.edges[e] == parent[e] for e in expected)  # the learned weight goes along
    assert all(arch.edges[e] is None for e in new)
    if dropped == 0:
        assert added == 0  # nothing dropped: p = 0


def test_weights_of_edges_without_a_learned_weight():
    arch = weighted_arch()
    for edge in arch.edges:
        arch.edges[edge] = None
    for edge in arch.edges:
        if not single_input(arch, edge):
            assert edge_weight(arch, edge) == UNTRAINED_WEIGHT


@settings(max_examples=40, deadline=None)
@given(
    network=networks(with_trivia=False),
    b=st.none() | st.floats(0, 1) | st.just(1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_single_input_edges_are_always_kept(network, b, seed):
    arch = Arch.from_network(network)
    singles = {e for e in arch.edges if single_input(arch, e)}
    guided_edges(arch, rng(seed), threshold=b)
    assert singles <= set(arch.edges)


def test_added_edges_have_the_dropped_count_as_expectation_fixed_threshold():
    """E[|E_c2|] = |E_p - E_c1|: with B = b the dropped set is fixed, and every absent edge is
    added with p = dropped / absent."""
    base = weighted_arch(1)
    absent = len(base.allowed_edges()) - len(base.edges)
    for b in (0.35, 0.65):
        added_counts = []
        for seed in range(SEEDS):
            arch = base.copy()
            _, dropped, added = guided_edges(arch, rng(seed), threshold=b)
            added_counts.append(added)
        expected_dropped = sum(1 for e in base.edges if not single_input(base, e) and base.edges[e] <= b)
        assert dropped == expected_dropped > 0
        p = dropped / absent
        standard_error = math.sqrt(absent * p * (1 - p) / SEEDS)
        assert abs(np.mean(added_counts) - dropped) < 3 * standard_error, (b, np.mean(added_counts), dropped)


def test_added_edges_have_the_dropped_count_as_expectation_random_threshold():
    """With B ~ U(0, 1) drawn per edge, E[added - dropped] = 0: the child keeps the parent's size
    in expectation."""
    base = weighted_arch(2)
    differences = []
    for seed in range(SEEDS):
        arch = base.copy()
        _, dropped, added = guided_edges(arch, rng(seed))
        differences.append(added - dropped)
        assert len(arch.edges) == len(base.edges) - dropped + added
    differences = np.asarray(differences, dtype=float)
    standard_error = differences.std(ddof=1) / math.sqrt(SEEDS)
    assert abs(differences.mean()) < 3 * standard_error


def test_random_threshold_keeps_an_edge_of_weight_w_with_probability_w():
    base = weighted_arch(3)
    weighted = [e for e in base.edges if not single_input(base, e)]
    assert len(weighted) >= 10
    kept = dict.fromkeys(weighted, 0)
    for seed in range(SEEDS):
        arch = base.copy()
        guided_edges(arch, rng(seed))
        for e in weighted:
            kept[e] += e in arch.edges
    total_error = 0.0
    total_variance = 0.0
    for e in weighted:
        w = base.edges[e]
        frequency = kept[e] / SEEDS
        standard_error = math.sqrt(w * (1 - w) / SEEDS)
        assert abs(frequency - w) < 4 * standard_error, (e, w, frequency)  # 4 SE: many edges tested
        total_error += kept[e] - SEEDS * w
        total_variance += SEEDS * w * (1 - w)
    assert abs(total_error) < 3 * math.sqrt(total_variance)  # and all of them together


# -- the 'standard evolution' baseline ------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(network=networks(with_trivia=False), seed=st.integers(0, 2**32 - 1))
def test_standard_mutation_replaces_a_third_of_the_edges(network, seed):
    arch = Arch.from_network(network)
    parent = set(arch.edges)
    absent = set(arch.allowed_edges()) - parent
    count = round(len(parent) / 3)
    kept, dropped, added = random_edges(arch, rng(seed))
    child = set(arch.edges)
    assert len(parent - child) == dropped == count
    assert len(child - parent) == added == min(count, len(absent))
    assert child - parent <= absent
    assert kept == len(parent) - count
    assert len(child) == len(parent) - count + min(count, len(absent))


def test_standard_mutation_is_deterministic_and_random():
    base = weighted_arch(4)
    children = []
    for seed in range(20):
        arch = base.copy()
        random_edges(arch, rng(seed))
        again = base.copy()
        random_edges(again, rng(seed))
        assert arch.edges == again.edges
        children.append(frozenset(arch.edges))
    assert len(set(children)) > 15
