"""Typed journal events: they read and write the journal lines the search wrote before it had them,
so runs recorded then still resume.

`journal_before_typed_events.jsonl` is the journal of a finished run written by anet before the
typed events (commit 9db9027): `Search(run, synthetic(population=4, rounds=6, seed=5,
max_node_mutations=1, threshold=0.0), evaluate_fn=fails_c00002).run()`. It holds every kind of
event: a failed candidate, candidates reused from an evaluated twin, node mutations.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from evo_helpers import assert_consistent, comparable, events, fails_c00002, run_search, without_timings
from hypothesis import given
from hypothesis import strategies as st

from anet.dsl import Mutation
from anet.dsl.ast import MUTATION_KINDS
from anet.evolution import EvolutionConfig
from anet.evolution.events import Created, Evaluated, Failed, Population, Start, as_event, event_line
from anet.evolution.journal import JOURNAL, read
from anet.evolution.state import SearchState

OLD_JOURNAL = Path(__file__).parent / "journal_before_typed_events.jsonl"


def test_every_line_of_an_old_journal_reads_as_its_event_and_writes_back_byte_for_byte():
    lines = OLD_JOURNAL.read_bytes().splitlines(keepends=True)
    read_back = list(read(OLD_JOURNAL))
    assert [type(e) for e in read_back[:2]] == [Start, Created]
    assert {type(e) for e in read_back} == {Start, Created, Evaluated, Failed, Population}
    assert [event_line(e) for e in read_back] == lines


@pytest.mark.parametrize("cut", [6, 14, 21])  # in the initial population, after round 1, mid round 3
def test_an_old_run_cut_short_resumes_to_the_run_it_was(tmp_path, cut):
    reference = tmp_path / "reference"
    reference.mkdir()
    shutil.copy(OLD_JOURNAL, reference / JOURNAL)
    recorded = SearchState.load(reference / JOURNAL)
    config = EvolutionConfig.from_record(recorded.config)
    run = tmp_path / "run"
    run.mkdir()
    lines = OLD_JOURNAL.read_bytes().splitlines(keepends=True)
    (run / JOURNAL).write_bytes(b"".join(lines[:cut]))
    state = run_search(run, config, evaluate_fn=fails_c00002)
    assert comparable(state) == comparable(recorded)
    assert [without_timings(e) for e in events(run)] == [without_timings(e) for e in events(reference)]
    assert_consistent(run, state, compile_files=False)
    assert state.candidates["c00002"].status == "failed"
    assert state.candidates["c00005"].reused_from == "c00003"
    assert [m.kind for m in state.candidates["c00004"].mutations] == ["guided_edges", "split"]


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
ids = st.from_regex(r"c[0-9]{5}", fullmatch=True)
floats = st.floats(allow_nan=False)
mutations = st.builds(Mutation, kind=st.sampled_from(MUTATION_KINDS), args=st.tuples(names) | st.tuples())
optional = {"seconds": floats, "reused_from": st.none() | ids}


def with_some(**fields):
    """Some of the optional fields set (a line holds just those), the rest left out."""
    return st.fixed_dictionaries({}, optional=fields)


any_event = st.one_of(
    st.builds(Start, config=st.dictionaries(names, st.integers() | names | st.none()), seeds=st.lists(names)),
    st.builds(
        Created,
        id=ids,
        round=st.integers(0, 10**6),
        parent=st.none() | ids,
        hash=names,
        text=names,
        mutations=st.lists(mutations, max_size=4).map(tuple),
    ),
    st.builds(
        lambda extra, **kw: Evaluated(**kw, **extra),
        extra=with_some(**optional),
        id=ids,
        fitness=floats,
        metrics=st.dictionaries(names, floats),
        weights=st.dictionaries(names, st.lists(floats)),
    ),
    st.builds(lambda extra, **kw: Failed(**kw, **extra), extra=with_some(seconds=floats), id=ids, reason=names),
    st.builds(Population, round=st.integers(0, 10**6), members=st.lists(ids)),
)


@given(any_event)
def test_an_event_survives_its_journal_line(event):
    line = event_line(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    back = as_event(json.loads(line))
    assert back == event
    assert back.model_fields_set == event.model_fields_set | {"event"}
    assert event_line(back) == line
