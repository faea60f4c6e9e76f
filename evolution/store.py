"""The run directory: one .anet file per candidate, the current best, and the journal.

    RUN/journal.jsonl            every event, fsync'd (anet.evolution.journal)
    RUN/candidates/c00017.anet   the candidate, with parent, round, mutations, hash and, once
                                 trained, its fitness and learned connection weights
    RUN/best.anet                the fittest candidate so far
    RUN/fitness.png              mean fitness of the top 3 per round (the paper's Figure 4)
    RUN/train/c00017/            training logs of each candidate (proxy fitness only)

Files are views of the journal: each is written atomically from journal data, and rewritten on
resume when missing or different, so a crash can never leave a half-written or stale candidate.
"""

from __future__ import annotations

from pathlib import Path

from anet.dsl import Mutation, format_network, parse
from anet.dsl.files import write_atomic
from anet.evolution.state import Candidate

CANDIDATES = "candidates"
BEST = "best.anet"


def candidate_path(run: Path, candidate_id: str) -> Path:
    return run / CANDIDATES / f"{candidate_id}.anet"


def candidate_text(candidate: Candidate, *, parent_dir: str = "") -> str:
    """The file content: the architecture as created plus metadata, and after training its fitness
    and learned weights (the next generation's guide)."""
    network = parse(candidate.text)
    header = {
        "parent": f"{parent_dir}{candidate.parent}.anet" if candidate.parent else None,
        "round": candidate.round,
        "mutations": tuple(Mutation(kind=m[0], args=tuple(m[1:])) for m in candidate.mutations),
        "hash": candidate.hash,
    }
    if candidate.status == "evaluated":
        header["fitness"] = candidate.fitness
        nodes = tuple(
            node.model_copy(
                update={
                    "inputs": tuple(
                        e.model_copy(update={"weight": w})
                        for e, w in zip(node.inputs, candidate.weights[node.id], strict=True)
                    )
                }
            )
            if node.id in candidate.weights
            else node
            for node in network.nodes
        )
        network = network.model_copy(update={"nodes": nodes})
    network = network.model_copy(update={"header": network.header.model_copy(update=header)})
    return format_network(parse(format_network(network)))  # validated on the way out


def sync_file(run: Path, candidate: Candidate) -> Path:
    """Write the candidate's file if it is missing or differs from what the journal says."""
    path = candidate_path(run, candidate.id)
    text = candidate_text(candidate)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return path


def sync_best(run: Path, best: Candidate | None) -> None:
    if best is None:
        return
    text = candidate_text(best, parent_dir=f"{CANDIDATES}/")
    path = run / BEST
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_atomic(path, text)
