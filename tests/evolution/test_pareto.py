"""Pareto ranking on two maximised objectives: the fronts' defining properties over generated point
sets, the hypervolume against counting unit cells on small integer grids, and worked examples."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anet.evolution.pareto import crowding_distances, dominates, first_front, hypervolume, nondominated_fronts

# small integer coordinates: many ties and duplicates, and exact areas
coordinates = st.integers(-3, 6).map(float)
points_lists = st.lists(st.tuples(coordinates, coordinates), max_size=12)
any_points = st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), max_size=12)


def area_by_cells(points, reference):
    """The hypervolume of integer points as the number of unit cells some point covers."""
    rx, ry = (int(v) for v in reference)
    top_x = max((int(x) for x, _ in points), default=rx)
    top_y = max((int(y) for _, y in points), default=ry)
    return sum(any(x >= i + 1 and y >= j + 1 for x, y in points) for i in range(rx, top_x) for j in range(ry, top_y))


def test_dominance_needs_one_strictly_better_objective():
    assert dominates((2, 1), (1, 1))
    assert dominates((2, 2), (1, 1))
    assert not dominates((1, 1), (1, 1))
    assert not dominates((2, 0), (1, 1))
    assert not dominates((1, 1), (2, 1))


@settings(max_examples=200, deadline=None)
@given(points=st.one_of(points_lists, any_points))
def test_fronts_partition_the_points_and_each_front_is_dominated_by_the_one_before(points):
    fronts = nondominated_fronts(points)
    assert sorted(i for front in fronts for i in front) == list(range(len(points)))
    assert all(front and front == sorted(front) for front in fronts)
    for front in fronts:
        assert not any(dominates(points[i], points[j]) for i in front for j in front)
    for before, after in pairwise(fronts):
        assert all(any(dominates(points[i], points[j]) for i in before) for j in after)
    undominated = [j for j, b in enumerate(points) if not any(dominates(a, b) for a in points)]
    assert (fronts[0] if fronts else []) == undominated


# ties, infinities and NaNs (a NaN compares with nothing, so its point is in front 0)
special = st.sampled_from([0.0, 1.0, 1.0, 2.0, math.inf, -math.inf, math.nan])
special_points = st.lists(st.tuples(special, special), max_size=12)


@settings(max_examples=300, deadline=None)
@given(points=st.one_of(points_lists, any_points, special_points))
def test_the_first_front_found_in_one_sort_is_the_full_sorts_first_front(points):
    fronts = nondominated_fronts(points)
    assert first_front(points) == (fronts[0] if fronts else [])


def test_fronts_of_a_worked_example():
    points = [(1, 1), (3, 0), (0, 3), (2, 2), (1, 1), (0, 0), (2, 2)]
    assert nondominated_fronts(points) == [[1, 2, 3, 6], [0, 4], [5]]
    # (3, 1) frees (2, 0) before (1, 3) frees (0, 2): the next front still lists them in order
    assert nondominated_fronts([(0, 2), (2, 0), (3, 1), (1, 3)]) == [[2, 3], [0, 1]]
    assert nondominated_fronts([]) == []


@settings(max_examples=200, deadline=None)
@given(points=st.one_of(points_lists, any_points))
def test_crowding_gives_each_objectives_extremes_infinity_and_the_rest_a_finite_share(points):
    # on a front the first objective's extremes are the second's; any set of indices tells them apart
    everything = [list(range(len(points)))] if points else []
    for front in nondominated_fronts(points) + everything:
        distance = crowding_distances(points, front)
        assert set(distance) == set(front)
        assert all(d >= 0 for d in distance.values())
        for axis in (0, 1):
            values = [points[i][axis] for i in front]
            for extreme in (min(values), max(values)):
                assert any(distance[i] == math.inf for i in front if points[i][axis] == extreme)
        # an interior member's share is at most 1 per objective: its neighbours lie within the range
        assert all(d <= 2 for d in distance.values() if d != math.inf)


def test_crowding_of_a_worked_example():
    points = [(0, 4), (1, 3), (3, 1), (4, 0), (2, 2)]
    distance = crowding_distances(points, [0, 1, 2, 3, 4])
    assert distance[0] == distance[3] == math.inf
    # (1, 3): neighbours (0, 4) and (2, 2) span 2 of 4 in each objective
    assert distance[1] == pytest.approx(2 / 4 + 2 / 4)
    assert distance[2] == pytest.approx(1.0)
    assert distance[4] == pytest.approx(2 / 4 + 2 / 4)
    assert crowding_distances(points, [1, 2]) == {1: math.inf, 2: math.inf}
    assert crowding_distances(points, []) == {}


@settings(max_examples=200, deadline=None)
@given(points=points_lists, reference=st.tuples(coordinates, coordinates))
def test_hypervolume_counts_the_cells_the_points_cover(points, reference):
    assert hypervolume(points, reference) == area_by_cells(points, reference)


@settings(max_examples=200, deadline=None)
@given(points=points_lists, extra=st.tuples(coordinates, coordinates), seed=st.integers(0, 2**16))
def test_hypervolume_grows_with_a_point_and_ignores_order_and_duplicates(points, extra, seed):
    reference = (-1.0, -1.0)
    area = hypervolume(points, reference)
    assert hypervolume([*points, extra], reference) >= area
    shuffled = list(points)
    random.Random(seed).shuffle(shuffled)
    assert hypervolume(shuffled, reference) == area
    assert hypervolume(points + points[: len(points) // 2], reference) == area


@settings(max_examples=100, deadline=None)
@given(points=any_points)
def test_hypervolume_is_zero_when_no_point_dominates_the_reference(points):
    reference = (max((x for x, _ in points), default=0.0), min((y for _, y in points), default=0.0))
    assert hypervolume(points, reference) == 0  # no point beats the reference in the first objective
    assert hypervolume([(x, y) for x, y in points if y <= 0], (-2e3, 0.0)) == 0


def test_hypervolume_of_worked_examples():
    assert hypervolume([(1, 1)], (0, 0)) == 1
    assert hypervolume([(2, 1), (1, 2)], (0, 0)) == 3  # two 2x1 rectangles overlapping in one cell
    assert hypervolume([(2, 1), (1, 2), (1, 1)], (0, 0)) == 3  # a dominated point adds nothing
    assert hypervolume([(3, 3), (1, 1)], (1, 0)) == 6  # (1, 1) lies on the reference's edge
    assert hypervolume([], (0, 0)) == 0
