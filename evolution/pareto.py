"""Ranking points on two objectives, both maximised: Pareto dominance, NSGA-II's non-dominated
sorting and crowding distance (Deb et al. 2002, "A fast and elitist multiobjective genetic algorithm:
NSGA-II"), and the 2-D hypervolume that says how much of the trade-off a set of points covers.

Pure functions on plain tuples: no candidates, no configuration (objectives.py maps candidates to
points). Two objectives only, which keeps the hypervolume a sort and a sum; no kept library in the
environment offers these without a heavy dependency."""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]


def dominates(a: Point, b: Point) -> bool:
    """`a` is at least as good as `b` in both objectives and better in one; equal points do not
    dominate each other, so duplicates share a front."""
    return a[0] >= b[0] and a[1] >= b[1] and (a[0] > b[0] or a[1] > b[1])


def first_front(points: Sequence[Point]) -> list[int]:
    """`nondominated_fronts(points)[0]` (ascending indices) in one sort: on two objectives a point is
    undominated when it is the best in the first objective among the points equal in the second and
    better than every point that is better in the second. The full sort compares every pair (about a
    second at 2,000 points), too slow for the search's report and the live dashboard. A point with
    a NaN compares with nothing (`dominates` is false both ways), so it is always in front 0."""
    incomparable = [i for i, (a, b) in enumerate(points) if math.isnan(a) or math.isnan(b)]
    first = list(incomparable)
    ordered = sorted(set(range(len(points))) - set(incomparable), key=lambda i: -points[i][1])
    best_before = -math.inf
    start = 0
    while start < len(ordered):
        end = start
        while end < len(ordered) and points[ordered[end]][1] == points[ordered[start]][1]:
            end += 1
        group = ordered[start:end]
        best = max(points[i][0] for i in group)
        if best > best_before or start == 0:
            first += [i for i in group if points[i][0] == best]
            best_before = best
        start = end
    return sorted(first)


def nondominated_fronts(points: Sequence[Point]) -> list[list[int]]:
    """The indices of `points` in fronts, front 0 (dominated by none) first; each point of front
    k + 1 is dominated by a point of front k. Indices ascend within a front."""
    dominated_by: list[list[int]] = [[] for _ in points]  # i -> the points i dominates
    count = [0] * len(points)  # i -> how many points dominate i
    for i, a in enumerate(points):
        for j in range(i + 1, len(points)):
            if dominates(a, points[j]):
                dominated_by[i].append(j)
                count[j] += 1
            elif dominates(points[j], a):
                dominated_by[j].append(i)
                count[i] += 1
    fronts: list[list[int]] = []
    current = [i for i in range(len(points)) if count[i] == 0]
    while current:
        fronts.append(current)
        following: list[int] = []
        for i in current:
            for j in dominated_by[i]:
                count[j] -= 1
                if count[j] == 0:
                    following.append(j)
        current = sorted(following)
    return fronts


def crowding_distances(points: Sequence[Point], front: Sequence[int]) -> dict[int, float]:
    """How isolated each member of `front` is: per objective, the gap between its two neighbours
    divided by the front's range, summed. The extremes of each objective get infinity, so a front
    of one or two points is all infinite; an objective without range adds nothing in between."""
    distance = dict.fromkeys(front, 0.0)
    for axis in (0, 1):
        ordered = sorted(front, key=lambda i: (points[i][axis], i))
        if not ordered:
            break
        low, high = points[ordered[0]][axis], points[ordered[-1]][axis]
        distance[ordered[0]] = distance[ordered[-1]] = math.inf
        if high == low:
            continue
        for before, member, after in zip(ordered, ordered[1:], ordered[2:], strict=False):
            distance[member] += (points[after][axis] - points[before][axis]) / (high - low)
    return distance


def hypervolume(points: Sequence[Point], reference: Point) -> float:
    """The area dominated by `points` and dominating `reference` (the union of the rectangles each
    point spans with it); 0 when no point is better than the reference in both objectives."""
    rx, ry = reference
    inside = sorted(((x, y) for x, y in points if x > rx and y > ry), reverse=True)
    area, covered = 0.0, ry
    for x, y in inside:  # x descending: each higher y adds a strip from the reference to x
        if y > covered:
            area += (x - rx) * (y - covered)
            covered = y
    return area
