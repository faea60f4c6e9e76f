"""The dashboard's pictures, made by the renderer (`anet render`'s figures, the one source of
drawings) and piped through Graphviz's `dot` in memory, never written to a file.

A candidate is drawn from its text as its file holds it (with the learned weights once trained); the
lineage is the evolution tree of `render.lineage`, built from the journal's state rather than by
reading the candidate files (so a candidate not yet written, or failed, is in it), with each node a
link to its candidate's page. Drawings are kept per (run, candidate text), and the latest lineage per run:
`dot` takes from milliseconds (one network) to seconds (a lineage of thousands of candidates).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import graphviz

from ..evolution.state import SearchState
from ..evolution.store import CANDIDATES, parse_text
from ..render.lineage import Candidate as Node
from ..render.lineage import Lineage, lineage_graph, node_id
from ..render.model import model_graph
from ..render.output import RenderError, dot_available, dot_source
from .payloads import file_text, mutation_text
from .run_view import RunView

_XLINK = re.compile(rb'xlink:href="([^"]*)"')
KEPT = 256  # candidate drawings kept in memory (tens of kB each); of a lineage, the latest per run
LARGE_LINEAGE = 200
"""Candidates from which the lineage is laid out the fast way (`FAST_LAYOUT`)."""
FAST_LAYOUT = {"nslimit": "0.01", "nslimit1": "0.01", "splines": "line"}
"""dot's placement of a long search's tree, cut short: a parent that stays in the population for
hundreds of rounds has edges across all of them, and dot's network simplex over their hundreds of
thousands of virtual nodes took 12 s at 300 candidates and minutes at 2,000 (2,000: 4 s with these,
straight edges and a rougher order within each round's column)."""


class DotMissingError(RuntimeError):
    """Graphviz's `dot` program is not installed: the dashboard runs, without its drawings."""

    def __init__(self) -> None:
        super().__init__(
            "Graphviz's dot is not installed, so the dashboard cannot draw networks or the lineage; "
            "install graphviz (apt-get install graphviz) and reload the page"
        )


def candidate_link(run: str, candidate_id: str) -> str:
    """The page of a candidate, as the dashboard's hash routes name it."""
    return f"#/runs/{quote(run, safe='')}/candidates/{quote(candidate_id, safe='')}"


class Drawings:
    """SVGs of the runs' candidates and lineages, made on demand and kept (see the module's docstring)."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._svgs: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._drawing: dict[str, threading.Lock] = {}  # per run: one lineage drawn at a time
        self._lineages: dict[str, tuple[tuple[int, int], bytes]] = {}  # per run: the latest only (MBs each)

    def candidate(self, view: RunView, candidate_id: str) -> bytes | None:
        """The candidate's network as `anet render` draws it; None for an id the run does not have."""
        _, text = view.read(lambda state: file_text(c) if (c := state.candidates.get(candidate_id)) else None)
        if text is None:
            return None
        key = ("candidate", view.name, candidate_id, text)
        return self._kept_or_made(key, lambda: svg(model_graph(parse_text(text))))

    def lineage(self, view: RunView) -> bytes:
        """The evolution tree at the journal's current offset, its nodes linking to candidate pages."""
        with self._lock:
            drawing = self._drawing.setdefault(view.name, threading.Lock())
        with drawing:  # a live run's page asks again at each event: one `dot` at a time per run
            point, tree = view.read(lambda state: lineage_of(state, view.path))
            kept = self._lineages.get(view.name)
            if kept is not None and kept[0] == point:
                return kept[1]
            image = svg(lineage_figure(tree, view.name))
            self._lineages[view.name] = (point, image)
            return image

    def _kept_or_made(self, key: tuple[str, ...], make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._svgs:
                self._svgs.move_to_end(key)
                return self._svgs[key]
        made = make()
        with self._lock:
            self._svgs[key] = made
            while len(self._svgs) > self._kept:
                self._svgs.popitem(last=False)
        return made


def lineage_of(state: SearchState, run: Path) -> Lineage:
    """The run's tree from the journal: one node per candidate, named by its id (as its file is),
    fitness once trained (a failed, rejected or pending candidate has none and is drawn greyed)."""
    folder = run / CANDIDATES

    def key(candidate_id: str) -> Path:
        return folder / f"{candidate_id}.anet"  # the node's identity only: never opened

    nodes = [
        Node(
            key=key(c.id),
            name=c.id,
            round=c.round,
            fitness=c.fitness if c.status == "evaluated" else None,
            parent=key(c.parent) if c.parent else None,
            mutations=tuple(mutation_text(m) for m in c.mutations),
            hash=c.hash,
            network=c.id,
        )
        for c in state.candidates.values()
    ]
    return Lineage(run, tuple(sorted(nodes, key=lambda n: (n.round or 0, n.name))))


def lineage_figure(tree: Lineage, run: str) -> graphviz.Digraph:
    """`render.lineage`'s figure with its nodes linked, laid out the fast way when it is large."""
    graph = linked(lineage_graph(tree), tree, run)
    if len(tree.candidates) > LARGE_LINEAGE:
        graph.attr("graph", **FAST_LAYOUT)
    return graph


def linked(graph: graphviz.Digraph, tree: Lineage, run: str) -> graphviz.Digraph:
    """Each candidate's node made a link to its page (`target=_top`: out of an <object> too). DOT
    merges the attributes of a node named again, and keeps it in the round's rank it was put in."""
    for node in tree.candidates:
        graph.node(node_id(node), URL=candidate_link(run, node.name), target="_top")
    return graph


def svg(graph: graphviz.Digraph) -> bytes:
    """The graph as SVG, from `dot` in memory; links get an `href` beside Graphviz's `xlink:href`,
    which the HTML5 DOM (`a.getAttribute("href")`, `a[href]`) does not see."""
    if not dot_available():
        raise DotMissingError
    try:
        image = graphviz.Source(dot_source(graph)).pipe(format="svg", engine="dot")
    except graphviz.ExecutableNotFound:
        raise DotMissingError from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip()
        raise RenderError(f"Graphviz's dot failed: {detail or exc}") from None
    return _XLINK.sub(rb'href="\1" xlink:href="\1"', image)
