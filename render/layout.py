"""Node positions from a `dot` layout, to pin them in another figure.

Dense figures (the supergraph) lay out badly in `dot`: every edge that skips a level becomes a chain
of virtual nodes, and hundreds of them push the real nodes metres apart. So the supergraph takes its
node positions from the layout of the architecture itself (its used edges only) and draws every
allowed edge as a straight line between the pinned nodes. The positions go into the DOT text
(`pos="x,y!"` with `layout=neato`), so the written .dot file renders the same figure with a plain
`dot -Tsvg`.
"""

from __future__ import annotations

import json
import shutil

import graphviz

Positions = dict[str, tuple[float, float]]


def dot_positions(graph: graphviz.Digraph) -> Positions | None:
    """Centre of every node of `graph` in points, as `dot` lays it out; None without `dot`."""
    if shutil.which("dot") is None:
        return None
    try:
        raw = graphviz.Source(graph.source).pipe(format="json0", engine="dot")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError):
        return None
    positions: Positions = {}
    for obj in json.loads(raw).get("objects", []):
        pos = obj.get("pos")
        if pos and "name" in obj:
            x, y = pos.split(",")[:2]
            positions[obj["name"]] = (float(x), float(y))
    return positions


def pin_attrs(position: tuple[float, float]) -> dict[str, str]:
    """Node attributes that fix a node at `position` (points, with the graph's inputscale=72)."""
    return {"pos": f"{position[0]:.1f},{position[1]:.1f}!", "pin": "true"}


PINNED_GRAPH_ATTRS: dict[str, str] = {"layout": "neato", "inputscale": "72", "overlap": "true", "splines": "true"}
"""Graph attributes under which pinned positions are used as given (by any Graphviz program)."""
