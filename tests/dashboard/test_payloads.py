"""The API's figures that the dashboard computes its own way: the front of fitness against latency,
found in one sort, is `objectives.front` for any run (ties, twins reused, candidates unmeasured or
not trained), and the mutations are written as the lineage figure writes them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from anet.cost.record import Cost
from anet.dashboard.payloads import front_ids, mutation_text
from anet.dsl import Mutation
from anet.evolution.objectives import front
from anet.evolution.state import Candidate, SearchState

# few distinct values, so that ties in latency, in fitness and in both are common
LATENCIES = st.sampled_from([1.0, 2.0, 2.5, 3.0, 10.0])
FITNESSES = st.sampled_from([0.1, 0.5, 0.5000001, 0.9, 1.4])
STATUSES = st.sampled_from(["evaluated", "evaluated", "evaluated", "failed", "pending"])


def cost(latency: float) -> Cost:
    return Cost(latency_ms=latency, runs_ms=(latency,), params=1, flops=1, device="cpu", precision="fp32", host="h")


@st.composite
def states(draw: st.DrawFn) -> SearchState:
    state = SearchState()
    for index in range(draw(st.integers(0, 40))):
        cid = f"c{index:05d}"
        c = Candidate(cid, 0, None, "0" * 16, "", ())
        c.status = draw(STATUSES)
        c.fitness = draw(FITNESSES) if c.status == "evaluated" else None
        c.cost = cost(draw(LATENCIES)) if draw(st.booleans()) or c.status != "evaluated" else None
        if index and draw(st.integers(0, 9)) == 0:
            c.reused_from = f"c{index - 1:05d}"
        state.candidates[cid] = c
    return state


@given(states())
def test_the_front_found_in_one_sort_is_the_searchs_front(state):
    assert front_ids(state) == [c.id for c in front(state)]


def test_mutations_are_written_as_the_lineage_writes_them():
    assert mutation_text(Mutation(kind="split", args=("8", "10"))) == "split(8, 10)"
    assert mutation_text(Mutation(kind="guided_edges", args=())) == "guided_edges"
