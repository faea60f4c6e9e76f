"""Lineage figures from a run directory of .anet files alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from anet.dsl import Mutation, architecture_hash, format_network, load
from anet.render.lineage import (
    BEST_FILL,
    NO_FITNESS_FILL,
    PATH_COLOUR,
    compact_mutations,
    lineage_graph,
    read_run,
)

EXAMPLES = Path(__file__).parents[2] / "examples"


def write_candidate(path: Path, *, round, fitness=None, parent=None, mutations=(), example="two_stream_late_fusion"):
    network = load(EXAMPLES / f"{example}.anet")
    header = network.header.model_copy(
        update={
            "round": round,
            "fitness": fitness,
            "parent": parent,
            "mutations": tuple(Mutation(kind=k, args=a) for k, a in mutations),
            "hash": architecture_hash(network),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_network(network.model_copy(update={"header": header})), encoding="utf-8")


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """a, b: initial; b -> c (best, in a subfolder) -> d (no fitness); a -> e; f's parent is gone."""
    root = tmp_path / "run"
    write_candidate(root / "a.anet", round=0, fitness=0.5, mutations=[("init", ())])
    write_candidate(root / "b.anet", round=0, fitness=0.6)
    write_candidate(
        root / "gen1" / "c.anet",
        round=1,
        fitness=0.7,
        parent="../b.anet",
        mutations=[("guided_edges", ()), ("split", ("8",))],
        example="two_stream_fusion_lv4",
    )
    write_candidate(root / "gen1" / "d.anet", round=2, parent="c.anet", mutations=[("dilation", ("5",))])
    write_candidate(root / "e.anet", round=2, fitness=0.65, parent=str((root / "a.anet").resolve()))
    write_candidate(root / "f.anet", round=3, fitness=0.1, parent="gone.anet")
    return root


def test_candidates_edges_and_best(run):
    lineage = read_run(run)
    names = [c.name for c in lineage.candidates]
    assert sorted(names) == ["a", "b", "c", "d", "e", "f", "missing: gone.anet"]
    assert {(p.name, c.name) for p, c in lineage.edges} == {
        ("b", "c"),
        ("c", "d"),
        ("a", "e"),
        ("missing: gone.anet", "f"),
    }
    assert lineage.best.name == "c"
    assert [c.name for c in lineage.ancestry(lineage.best)] == ["b", "c"]
    assert lineage.get((run / "gen1" / "c.anet").resolve()).mutations == ("guided_edges", "split(8)")
    assert len(lineage.warnings) == 1 and "gone.anet does not exist" in lineage.warnings[0]


def test_graph_highlights_the_path_to_the_best_and_greys_the_unscored(run, dot_of):
    dot = dot_of(lineage_graph(read_run(run)))
    edges = {(s, d): a for s, d, a in dot.visible_edges()}
    assert set(edges) == {("b", "c"), ("c", "d"), ("a", "e"), ("missing_ gone.anet", "f")}
    highlighted = {k for k, a in edges.items() if a.get("color") == PATH_COLOUR}
    assert highlighted == {("b", "c")}
    assert dot.nodes["c"]["fillcolor"] == BEST_FILL and dot.nodes["c"]["peripheries"] == "2"
    assert dot.nodes["b"]["color"] == dot.nodes["c"]["color"] == PATH_COLOUR
    assert dot.nodes["a"]["color"] != PATH_COLOUR
    assert dot.nodes["d"]["fillcolor"] == NO_FITNESS_FILL and "dashed" in dot.nodes["d"]["style"]
    assert "no fitness" in dot.nodes["d"]["label"]
    assert "dashed" in dot.nodes["missing_ gone.anet"]["style"]
    label = dot.nodes["c"]["label"]
    assert "<B>c</B>" in label and "round 1" in label and "fitness 0.7" in label and "split(8)" in label


def test_one_rank_per_round(run, dot_of):
    dot = dot_of(lineage_graph(read_run(run)))
    members = {
        name: sorted(n for n in group["nodes"] if not n.startswith("__round"))
        for name, group in dot.subgraphs.items()
        if group["attrs"].get("rank") == "same"
    }
    assert members == {"round0": ["a", "b"], "round1": ["c"], "round2": ["d", "e"], "round3": ["f"]}


def test_colliding_stems_and_invalid_files(tmp_path, dot_of):
    root = tmp_path / "run"
    write_candidate(root / "x" / "m.anet", round=0, fitness=1.0)
    write_candidate(root / "y" / "m.anet", round=1, fitness=1.2, parent="../x/m.anet")
    (root / "broken.anet").write_text("network broken\n  classes 3\nblock 1 level=9 in=[0] C=1 r=3\n")
    (root / ".hidden").mkdir()
    write_candidate(root / ".hidden" / "skipped.anet", round=0, fitness=9.0)
    lineage = read_run(root)
    assert sorted(c.name for c in lineage.candidates) == ["broken", "x/m", "y/m"]
    assert lineage.best.name == "y/m"
    assert any("broken.anet" in w for w in lineage.warnings)
    dot = dot_of(lineage_graph(lineage))
    assert "invalid file" in dot.nodes["broken"]["label"]
    assert ("x/m", "y/m") in {(s, d) for s, d, _ in dot.visible_edges()}


def test_parent_outside_the_run_directory_is_followed(tmp_path):
    write_candidate(tmp_path / "old" / "seed.anet", round=0, fitness=0.3)
    write_candidate(tmp_path / "run" / "child.anet", round=1, fitness=0.4, parent="../old/seed.anet")
    lineage = read_run(tmp_path / "run")
    assert sorted(c.name for c in lineage.candidates) == ["../old/seed", "child"]
    assert not lineage.warnings


def test_compact_mutations():
    assert compact_mutations(["guided_edges", "split(8)"]) == "guided_edges split(8)"
    long = [f"dilation({i})" for i in range(10)]
    text = compact_mutations(long, limit=34)
    assert len(text) <= 34 and text.endswith("+" + text.rsplit("+", 1)[1])
    assert text.startswith("dilation(0) dilation(1)")


def test_a_search_run_is_drawn_once_per_candidate(tmp_path: Path, dot_of):
    """best.anet is a copy of the best candidate (its parent path written from the run directory),
    not a candidate of its own."""
    from anet.evolution import EvolutionConfig, Search

    run = tmp_path / "run"
    Search(run, EvolutionConfig(fitness="synthetic", population=4, rounds=6)).run()
    lineage = read_run(run)
    files = sorted(p.stem for p in (run / "candidates").glob("*.anet"))
    assert (run / "best.anet").is_file()
    assert sorted(c.name for c in lineage.candidates) == files
    assert lineage.best is not None and lineage.best.key.parent == (run / "candidates").resolve()
    assert len(lineage.edges) == 6
