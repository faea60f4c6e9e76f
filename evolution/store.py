"""The run directory: one .anet file per candidate, the current best, and the journal.

    RUN/journal.jsonl            every event, fsync'd (anet.evolution.journal)
    RUN/candidates/c00017.anet   the candidate, with parent, round, mutations, hash and, once
                                 trained, its fitness and learned connection weights
    RUN/best.anet                the fittest candidate so far
    RUN/fitness.png              mean fitness of the top 3 per round (the paper's Figure 4), and
                                 fitness against latency with the front when costs were measured
    RUN/pareto.json              the candidates no other beats on both fitness and latency

Files are views of the journal: each is written atomically from journal data (not fsync'd: the
journal is, before them; an fsync per file was most of the engine's I/O time), and rewritten on
resume when missing or different, so a crash can never leave a half-written or stale candidate;
the temporary file of a write that a crash interrupted is deleted on resume. A candidate file that
a user edited is kept aside before it is rewritten (see `sync_file`).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from ..dsl import AnetError, Network, Stem, format_network, parse, validate, with_learned_weights
from ..dsl.ast import Peer
from ..dsl.header import Retrained
from ..dsl.learned import with_learned_peer_weights
from ..files import write_atomic
from .state import Candidate, SearchState

CANDIDATES = "candidates"
BEST = "best.anet"
PLOT = "fitness.png"  # written by `anet evolve` and `anet runs show` (anet.evolution.report.plot)
PARETO = "pareto.json"


def candidate_path(run: Path, candidate_id: str) -> Path:
    return run / CANDIDATES / f"{candidate_id}.anet"


_PARSED: OrderedDict[str, Network] = OrderedDict()
_PARSED_SIZE = 1024


def parse_text(text: str) -> Network:
    """`parse`, memoised on the text: the search reads the same texts again and again (a candidate's
    architecture for each of its files, a parent's file for each of its children). Networks are
    immutable, so one can be shared."""
    network = _PARSED.get(text)
    if network is None:
        network = parse(text)
    remember(text, network)
    return network


def remember(text: str, network: Network) -> None:
    """Seed the memo with a network the search just printed: `parse(format_network(n)) == n` is the
    language's round-trip guarantee (a property test), so the text need not be parsed back."""
    _PARSED[text] = network
    _PARSED.move_to_end(text)
    if len(_PARSED) > _PARSED_SIZE:
        _PARSED.popitem(last=False)


def candidate_text(candidate: Candidate, *, parent_dir: str = "") -> str:
    """The file content: the architecture as created plus metadata, and after training its fitness
    and learned weights (the next generation's guide)."""
    network = parse_text(candidate.text)
    header = {
        "parent": f"{parent_dir}{candidate.parent}.anet" if candidate.parent else None,
        "round": candidate.round,
        "mutations": candidate.mutations,
        "hash": candidate.hash,
    }
    if candidate.cost is not None:
        cost = candidate.cost
        header |= {"latency": round(cost.latency_ms, 3), "gflops": round(cost.gflops, 4), "params": cost.params}
    if candidate.status == "evaluated":
        header["fitness"] = candidate.fitness
        network = with_learned_weights(network, candidate.weights)
        if candidate.peer_weights:
            network = with_learned_peer_weights(network, candidate.peer_weights)
    mean, se = candidate.retrained_mean, candidate.retrained_se
    if mean is not None:  # the journal holds the full values; the file, what a reader compares
        se = None if se is None else round(se, 4)
        header["retrained"] = Retrained(mean=round(mean, 4), se=se, runs=len(candidate.retrained))
    network = network.model_copy(update={"header": network.header.model_copy(update=header)})
    text = format_network(network)
    # Validated on the way out. The AST is checked rather than the text re-parsed (which took half
    # of the engine's time); the printer's output parsing back to the same network is the
    # language's round-trip guarantee, and the search's tests check every file it writes.
    errors = [d for d in validate(network) if d.is_error]
    if errors:
        raise AnetError(errors, text)
    return text


def sync_file(run: Path, candidate: Candidate) -> Path | None:
    """Write the candidate's file if it is missing or differs from what the journal says.

    A file that differs is a view of another point of the journal (the candidate before or after
    its result: a crash, a cut journal), damage from a power loss (the views are not fsync'd: an
    empty file, NUL bytes), or a user's edit. An edit is not overwritten silently: it is renamed to
    `cNNNNN.anet.edited-TIME` first, and that path is returned for the caller to warn about. (To
    try a changed architecture, copy the file and seed a new run with it: a run's candidates are
    the journal's.)"""
    path = candidate_path(run, candidate.id)
    text = candidate_text(candidate)
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current == text.encode():
        return None
    kept = None
    if current and b"\0" not in current and not _is_view(current, candidate):
        kept = keep_aside(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_view(path, text)
    return kept


def _is_view(content: bytes, candidate: Candidate) -> bool:
    """Whether the file is this candidate as anet writes it, with or without some result: the
    same text once its fitness and learned weights are taken out."""
    try:
        network = parse_text(content.decode("utf-8"))
    except (UnicodeDecodeError, AnetError):
        return False
    pending = parse_text(candidate_text(replace(candidate, status="pending", cost=None, retrained={})))
    return format_network(_without_results(network)) == format_network(_without_results(pending))


def _without_results(network: Network) -> Network:
    """The network without fitness, costs and learned weights; peer lists written out (learned
    peer weights come as a written list where the candidate had every node below)."""
    nodes = tuple(
        node
        if isinstance(node, Stem)
        else node.model_copy(
            update={
                "inputs": tuple(e.model_copy(update={"weight": None}) for e in node.inputs),
                "peers": tuple(Peer(source=p.source) for p in network.peers_of(node)) or None,
            }
        )
        for node in network.nodes
    )
    results = dict.fromkeys(("fitness", "latency", "gflops", "params", "retrained"))
    return network.model_copy(update={"header": network.header.model_copy(update=results), "nodes": nodes})


def keep_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.edited-{stamp}")
    index = 1
    while target.exists():
        index += 1
        target = path.with_name(f"{path.name}.edited-{stamp}-{index}")
    path.rename(target)
    return target


def write_view(path: Path, text: str) -> None:
    """Atomically, not fsync'd (the journal was); a failure (a full disk) names the file."""
    try:
        write_atomic(path, text, durable=False)
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def remove_temporaries(run: Path) -> list[Path]:
    """Delete what a crash inside `write_atomic` left behind (its `.NAME.anet.*.tmp` files, never
    renamed into place); the files themselves are rewritten from the journal. Returns them."""
    stale = [p for folder in (run, run / CANDIDATES) for p in folder.glob(".*.anet.*.tmp") if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def pareto_data(state: SearchState) -> dict[str, object]:
    """What RUN/pareto.json holds: the front on (fitness, latency), cheapest first, with every
    figure a user needs to pick from it without opening the candidates."""
    from .objectives import front

    settings = state.settings
    rows = []
    for c in front(state):
        cost = c.cost
        assert cost is not None  # the front is of measured candidates
        rows.append(
            {
                "id": c.id,
                "fitness": c.fitness,
                "latency_ms": cost.latency_ms,
                "spread_ms": cost.spread_ms,
                "gflops": cost.gflops,
                "params": cost.params,
                "retrained_mean": c.retrained_mean,
                "retrained_se": c.retrained_se,
                "retrained_runs": len(c.retrained),
            }
        )
    return {
        "objective": settings.objective if settings else "paper",
        "deploy": settings.deploy.model_dump(mode="json") if settings else None,
        "front": rows,
    }


def sync_pareto(run: Path, state: SearchState) -> None:
    """RUN/pareto.json, once some candidate's cost was measured."""
    if not any(c.cost is not None for c in state.candidates.values()):
        return
    text = json.dumps(pareto_data(state), indent=1) + "\n"
    path = run / PARETO
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_view(path, text)


def sync_best(run: Path, best: Candidate | None) -> None:
    if best is None:
        return
    text = candidate_text(best, parent_dir=f"{CANDIDATES}/")
    path = run / BEST
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_view(path, text)
