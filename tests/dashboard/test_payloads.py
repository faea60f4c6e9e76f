"""The mutations on the dashboard's pages are written as the lineage figure writes them."""

from __future__ import annotations

from anet.dashboard.payloads import mutation_text
from anet.dsl import Mutation


def test_mutations_are_written_as_the_lineage_writes_them():
    assert mutation_text(Mutation(kind="split", args=("8", "10"))) == "split(8, 10)"
    assert mutation_text(Mutation(kind="guided_edges", args=())) == "guided_edges"
