"""The evolution tree of a search run, in the style of the paper's Figure 2.

A run directory is read from its .anet files alone: each candidate's header carries `round`,
`fitness`, `parent` (the parent's path, relative to the child's folder, or absolute) and `mutations`.
No journal or database is needed, so any run (finished, crashed, copied, pruned) can be drawn. What
cannot be read is drawn anyway and reported: a parent that no longer exists becomes a "missing"
node, a file with errors an "invalid" one, so the tree never silently loses a branch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

from ..dsl import Mutation, Network, check_text, decode
from ..dsl.diagnostics import AnetError
from .style import CAPTION_STYLE, esc, legend_table, new_graph, title_label

MAX_MUTATION_CHARS = 34
"""Longest mutation text in a node label; the full list is in the node's tooltip."""

PATH_COLOUR = "#d35400"
BEST_FILL = "#fde3a7"
NO_FITNESS_FILL = "#eeeeee"
NO_FITNESS_TEXT = "#8c8c8c"
MISSING_LINE = "#c0392b"
_LOW_FITNESS = (0xF2, 0xF8, 0xEE)
_HIGH_FITNESS = (0x8E, 0xD0, 0x8A)


@dataclass(frozen=True)
class Candidate:
    """One node of the tree: a candidate file, or a parent that a candidate names but is missing."""

    key: Path
    """Resolved path: how children find their parent."""
    name: str
    """Label: the file stem, or its path under the run directory when stems collide."""
    round: int | None = None
    fitness: float | None = None
    parent: Path | None = None
    """Resolved path of the parent file, None for the initial population."""
    mutations: tuple[str, ...] = ()
    hash: str | None = None
    problem: str | None = None
    """Why the file could not be read (then nothing else is known about it)."""
    missing: bool = False
    network: str | None = None
    """The name in the file's `network` line."""


@dataclass(frozen=True)
class Lineage:
    """Every candidate of a run and what went wrong reading it."""

    run_dir: Path
    candidates: tuple[Candidate, ...]
    warnings: tuple[str, ...] = ()
    _by_key: dict[Path, Candidate] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update({c.key: c for c in self.candidates})

    def get(self, key: Path) -> Candidate | None:
        return self._by_key.get(key)

    @property
    def edges(self) -> list[tuple[Candidate, Candidate]]:
        """(parent, child) pairs, in candidate order."""
        out = []
        for child in self.candidates:
            parent = self.get(child.parent) if child.parent is not None else None
            if parent is not None:
                out.append((parent, child))
        return out

    @property
    def best(self) -> Candidate | None:
        """The highest fitness; ties go to the earlier round, then the name."""
        scored = [c for c in self.candidates if c.fitness is not None]
        if not scored:
            return None
        return min(scored, key=lambda c: (-(c.fitness or 0.0), c.round if c.round is not None else 1 << 30, c.name))

    def ancestry(self, candidate: Candidate) -> list[Candidate]:
        """The chain from the root (initial population or a missing parent) down to `candidate`."""
        chain = [candidate]
        seen = {candidate.key}
        while chain[-1].parent is not None:
            parent = self.get(chain[-1].parent)
            if parent is None or parent.key in seen:  # unreadable link or a cycle of hand-edited files
                break
            seen.add(parent.key)
            chain.append(parent)
        return chain[::-1]


# --- reading a run -------------------------------------------------------------------------------


def mutation_text(mutation: Mutation) -> str:
    """`split(8)`, `init(4)`, `guided_edges`: as the figure and the dashboard write a mutation."""
    return f"{mutation.kind}({', '.join(mutation.args)})" if mutation.args else mutation.kind


def _mutation_text(network: Network) -> tuple[str, ...]:
    return tuple(mutation_text(m) for m in network.header.mutations or ())


def _resolve_parent(child_file: Path, parent: str) -> Path:
    written = Path(parent)
    return (written if written.is_absolute() else child_file.parent / written).resolve()


def _read_candidate(path: Path, name: str) -> tuple[Candidate, str | None]:
    """The candidate of one file and, when it could not be read, a warning."""
    key = path.resolve()
    try:
        text = decode(path.read_bytes(), str(path))
    except (OSError, AnetError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Candidate(key, name, problem=problem), f"{path}: cannot read it ({problem}); drawn as invalid"
    checked = check_text(text, str(path))
    if checked.network is None:
        first = next((d for d in checked.diagnostics if d.is_error), None)
        problem = first.message if first else "not a valid .anet file"
        return Candidate(key, name, problem=problem), f"{path}: {problem}; drawn as invalid"
    header = checked.network.header
    return (
        Candidate(
            key,
            name,
            round=header.round,
            fitness=header.fitness,
            parent=_resolve_parent(path, header.parent) if header.parent else None,
            mutations=_mutation_text(checked.network),
            hash=header.hash,
            network=header.name,
        ),
        None,
    )


def _names(files: list[Path], run_dir: Path) -> dict[Path, str]:
    """File stems, or paths under the run directory (without .anet) where two stems collide."""
    stems: dict[str, int] = {}
    for f in files:
        stems[f.stem] = stems.get(f.stem, 0) + 1
    names = {}
    for f in files:
        if stems[f.stem] == 1:
            names[f] = f.stem
        else:
            names[f] = Path(os.path.relpath(f, run_dir)).with_suffix("").as_posix()
    return names


def _is_hidden(path: Path, run_dir: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(run_dir).parts)


def _display(path: Path, run_dir: Path) -> str:
    """`path` relative to the run directory while that stays short, else absolute."""
    rel = Path(os.path.relpath(path, run_dir.resolve()))
    return rel.as_posix() if rel.parts[:3].count("..") < 3 else path.as_posix()


def read_run(run_dir: Path | str) -> Lineage:
    """Every `*.anet` file under `run_dir` (recursively, hidden folders skipped) as a Lineage.

    Parents outside the run directory are followed when they exist (a run resumed from another one);
    parents that do not exist become missing candidates, each reported once.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise NotADirectoryError(f"{run_dir} is not a directory")
    files = sorted(p for p in run_dir.rglob("*.anet") if p.is_file() and not _is_hidden(p, run_dir))
    names = _names(files, run_dir)
    found: dict[Path, Candidate] = {}
    warnings: list[str] = []
    queue: list[tuple[Path, str]] = [(f, names[f]) for f in files]
    used_names = set(names.values())
    while queue:
        path, name = queue.pop(0)
        if path.resolve() in found:
            continue
        candidate, warning = _read_candidate(path, name)
        found[candidate.key] = candidate
        if warning:
            warnings.append(warning)
        if candidate.parent is None or candidate.parent in found:
            continue
        if any(candidate.parent == p.resolve() for p, _ in queue):
            continue
        shown = _display(candidate.parent, run_dir)
        if candidate.parent.is_file():
            queue.append((candidate.parent, _unique(shown.removesuffix(".anet"), used_names)))
        else:
            missing_name = _unique(f"missing: {shown}", used_names)
            found[candidate.parent] = Candidate(candidate.parent, missing_name, missing=True)
            warnings.append(f"{path}: parent {shown} does not exist; drawn as a missing node")
    ordered = sorted(_without_copies(found.values()), key=_order)
    return Lineage(run_dir, tuple(ordered), tuple(warnings))


def _without_copies(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Drop copies of a candidate, such as a run's best.anet: same network, parent, round, hash and fitness
    as the file named after the network, which is the one kept (children name that file as parent)."""
    candidates = list(candidates)
    originals = {
        (c.network, c.parent, c.round, c.hash, c.fitness)
        for c in candidates
        if c.network is not None and c.key.stem == c.network
    }
    return [
        c
        for c in candidates
        if c.network is None
        or c.key.stem == c.network
        or (c.network, c.parent, c.round, c.hash, c.fitness) not in originals
    ]


def _unique(name: str, used: set[str]) -> str:
    out, n = name, 2
    while out in used:
        out, n = f"{name} ({n})", n + 1
    used.add(out)
    return out


def _order(c: Candidate) -> tuple[int, int, str]:
    """Missing parents first (they are roots), then by round, then by name."""
    if c.missing:
        return (0, -1, c.name)
    return (1, c.round if c.round is not None else 1 << 30, c.name)


# --- drawing -------------------------------------------------------------------------------------


def _fitness_fill(fitness: float, low: float, high: float) -> str:
    t = 1.0 if high <= low else (fitness - low) / (high - low)
    rgb = (round(a + (b - a) * t) for a, b in zip(_LOW_FITNESS, _HIGH_FITNESS, strict=True))
    return "#" + "".join(f"{v:02x}" for v in rgb)


def compact_mutations(mutations: Iterable[str], limit: int = MAX_MUTATION_CHARS) -> str:
    """`guided_edges split(8) dilation(9, 4)` shortened to `limit` characters with a `+N` tail."""
    items = list(mutations)
    text = ""
    for i, item in enumerate(items):
        candidate = f"{text} {item}".strip()
        rest = len(items) - i - 1
        tail = f" +{rest}" if rest else ""
        if len(candidate) + len(tail) > limit and text:
            return f"{text} +{len(items) - i}"
        text = candidate
    return text


def candidate_label(c: Candidate) -> str:
    """Name, round and fitness, mutations below in small type (HTML label)."""
    if c.missing:
        return f'<<B>missing</B><BR/><FONT POINT-SIZE="9">{esc(c.name.removeprefix("missing: "))}</FONT>>'
    lines = [f"<B>{esc(c.name)}</B>"]
    if c.problem is not None:
        lines.append('<FONT POINT-SIZE="9">invalid file</FONT>')
    else:
        rnd = f"round {c.round}" if c.round is not None else "round ?"
        fit = f"fitness {c.fitness:.4g}" if c.fitness is not None else "no fitness"
        lines.append(f'<FONT POINT-SIZE="10">{rnd} · {fit}</FONT>')
        if c.mutations:
            lines.append(f'<FONT POINT-SIZE="9"><I>{esc(compact_mutations(c.mutations))}</I></FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def candidate_tooltip(c: Candidate) -> str:
    if c.missing:
        return f"missing parent file {c.name.removeprefix('missing: ')} (path relative to the run directory)"
    if c.problem is not None:
        return f"{c.name}: {c.problem}"
    parts = [c.name, f"round {c.round}", f"fitness {c.fitness}"]
    if c.mutations:
        parts.append("mutations " + ", ".join(c.mutations))
    if c.hash:
        parts.append(f"hash {c.hash}")
    return "; ".join(parts)


def node_id(c: Candidate) -> str:
    """DOT node id: the name (a colon would be read as a port, so it is replaced)."""
    return c.name.replace(":", "_")


def lineage_graph(lineage: Lineage, *, rankdir: str = "LR", title: str | None = None) -> graphviz.Digraph:
    """The tree: candidates by round (one `rank=same` column per round), edges parent -> child,
    the path from the root to the best candidate highlighted, candidates without fitness greyed."""
    graph = new_graph("lineage", rankdir, nodesep="0.18", ranksep="0.4", fontsize="11", penwidth="1.2")
    graph.attr("edge", color="#7f7f7f", penwidth="1.1")
    best = lineage.best
    on_path = {c.key for c in lineage.ancestry(best)} if best else set()
    scores = [c.fitness for c in lineage.candidates if c.fitness is not None]
    low, high = (min(scores), max(scores)) if scores else (0.0, 0.0)

    rounds = sorted({c.round for c in lineage.candidates if c.round is not None})
    previous: str | None = None
    for rnd in rounds:
        with graph.subgraph(name=f"round{rnd}") as rank:
            rank.attr(rank="same")
            caption = f"__round{rnd}__"
            rank.node(caption, label=f"round {rnd}", **CAPTION_STYLE)
            for c in lineage.candidates:
                if c.round == rnd:
                    _add_candidate(rank, c, c.key in on_path, c is best, low, high)
        if previous is not None:
            graph.edge(previous, caption, style="invis")
        previous = caption
    for c in lineage.candidates:
        if c.round is None:
            _add_candidate(graph, c, c.key in on_path, c is best, low, high)
    for parent, child in lineage.edges:
        if parent.key in on_path and child.key in on_path:
            graph.edge(node_id(parent), node_id(child), color=PATH_COLOUR, penwidth="3.0", arrowsize="0.8")
        else:
            graph.edge(node_id(parent), node_id(child))
    graph.attr(
        "graph", label=title_label(title or f"evolution of {lineage.run_dir.name}", _caption(lineage), _legend())
    )
    return graph


def _add_candidate(
    graph: graphviz.Digraph, c: Candidate, on_path: bool, is_best: bool, low: float, high: float
) -> None:
    attrs = {"label": candidate_label(c), "tooltip": candidate_tooltip(c)}
    if c.missing:
        attrs |= {"style": "rounded,dashed", "color": MISSING_LINE, "fontcolor": MISSING_LINE}
    elif c.problem is not None:
        attrs |= {"style": "rounded,dashed,filled", "fillcolor": NO_FITNESS_FILL, "color": MISSING_LINE}
    elif c.fitness is None:
        attrs |= {
            "style": "rounded,dashed,filled",
            "fillcolor": NO_FITNESS_FILL,
            "color": NO_FITNESS_TEXT,
            "fontcolor": NO_FITNESS_TEXT,
        }
    else:
        attrs |= {"fillcolor": _fitness_fill(c.fitness, low, high), "color": "#4d4d4d"}
    if is_best:
        attrs |= {"fillcolor": BEST_FILL, "peripheries": "2"}
    if on_path:
        attrs |= {"color": PATH_COLOUR, "penwidth": "2.5"}
    graph.node(node_id(c), **attrs)


def _caption(lineage: Lineage) -> list[str]:
    real = [c for c in lineage.candidates if not c.missing]
    rounds = {c.round for c in real if c.round is not None}
    initial = sum(1 for c in real if c.parent is None and c.problem is None)
    unscored = sum(1 for c in real if c.fitness is None)
    first = f"{len(real)} candidates over {len(rounds)} rounds, {initial} in the initial population"
    if unscored:
        first += f", {unscored} without fitness"
    lines = [esc(first)]
    best = lineage.best
    if best is not None:
        depth = len(lineage.ancestry(best)) - 1
        lines.append(
            esc(
                f"best: {best.name} (fitness {best.fitness:.4g}, round {best.round}), {depth} generations from its root"
            )
        )
    missing = sum(1 for c in lineage.candidates if c.missing)
    if missing:
        lines.append(esc(f"{missing} parent file(s) missing"))
    return lines


def _legend() -> str:
    def cell(fill: str, line: str, text: str, style: str = "rounded") -> str:
        return (
            f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="1" STYLE="{style}">'
            f'<FONT POINT-SIZE="10">{esc(text)}</FONT></TD>'
        )

    cells = [
        cell(_fitness_fill(0, 0, 1), "#4d4d4d", "lower fitness"),
        cell(_fitness_fill(1, 0, 1), "#4d4d4d", "higher fitness"),
        cell(BEST_FILL, PATH_COLOUR, "best"),
        f'<TD><FONT POINT-SIZE="12" COLOR="{PATH_COLOUR}"><B>&#9473;&#9473;</B></FONT>'
        '<FONT POINT-SIZE="10"> path to the best</FONT></TD>',
        cell(NO_FITNESS_FILL, NO_FITNESS_TEXT, "no fitness (failed / untrained)"),
        cell("#ffffff", MISSING_LINE, "missing parent"),
    ]
    return legend_table(["".join(cells)])
