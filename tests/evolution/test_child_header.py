"""A child starts from its parent's settings, not from its parent's record: the descendant
metadata (lineage, fitness, measured cost, re-evaluation) is the search's to write anew."""

from __future__ import annotations

from pathlib import Path

from anet.dsl import Header, load
from anet.dsl.header import DESCENDANT_METADATA
from anet.evolution.mutate import child_header

EVERYTHING = Path(__file__).parents[1] / "dsl" / "cases" / "canonical" / "everything.anet"


def test_the_child_keeps_the_settings_and_drops_every_metadata_line():
    parent = load(EVERYTHING)
    assert all(getattr(parent.header, name) is not None for name in DESCENDANT_METADATA if name != "hash")
    child = child_header(parent)
    assert all(getattr(child, name) is None for name in DESCENDANT_METADATA)
    assert child.edges == "learned"
    kept = set(Header.model_fields) - {*DESCENDANT_METADATA, "edges", "trivia", "span"}
    assert all(getattr(child, name) == getattr(parent.header, name) for name in kept)
