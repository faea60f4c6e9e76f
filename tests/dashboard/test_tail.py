"""Following a real journal while it grows: whole lines only, damaged lines reported and skipped, a
replaced journal read again from the start; the same events as `evolution.journal.read` however the
writes are cut."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from anet.dashboard.tail import JournalTail
from anet.evolution.events import event_data
from anet.evolution.journal import JOURNAL, read, repair


def as_data(chunk_events) -> list[dict]:
    return [event_data(e.event) for e in chunk_events]


def test_a_finished_journal_reads_as_evolution_reads_it(finished_run):
    path = finished_run / JOURNAL
    chunk = JournalTail(path).read_from(0)
    assert as_data(chunk.events) == [event_data(e) for e in read(path)]
    assert [e.line for e in chunk.events] == list(range(1, len(chunk.events) + 1))
    assert chunk.offset == path.stat().st_size == chunk.events[-1].end
    assert not chunk.damaged and not chunk.reset


def test_new_lines_are_read_from_the_offset_and_a_torn_line_once_it_is_complete(growing, journal_lines):
    tail = JournalTail(growing.path)
    growing.append(b"".join(journal_lines[:3]))
    first = tail.read_from(0)
    assert [e.line for e in first.events] == [1, 2, 3]
    nothing = tail.read_from(first.offset)
    assert (nothing.offset, nothing.events, nothing.reset) == (first.offset, [], False)
    half = len(journal_lines[3]) // 2
    growing.append(journal_lines[3][:half])  # the writer is in the middle of line 4
    torn = tail.read_from(first.offset)
    assert torn.events == [] and torn.damaged == [] and torn.offset == first.offset
    growing.append(journal_lines[3][half:] + journal_lines[4])
    rest = tail.read_from(torn.offset)
    assert [e.line for e in rest.events] == [4, 5]
    assert as_data(rest.events) == [event_data(e) for e in list(read(growing.path))[3:5]]
    assert rest.offset == growing.path.stat().st_size


def test_a_damaged_line_is_reported_and_the_lines_after_it_still_read(growing, journal_lines):
    growing.append(b"".join(journal_lines[:2]) + b'{"event": "creat\x00ed", garbage\n' + b"".join(journal_lines[2:]))
    chunk = JournalTail(growing.path).read_from(0)
    assert [d.line for d in chunk.damaged] == [3]
    problem = chunk.damaged[0].problem
    assert problem.startswith("not a JSON event")  # the line number is apart, not in front of it
    assert "--repair" in problem  # the journal's own advice comes with it
    assert [e.line for e in chunk.events] == [1, 2, *range(4, len(journal_lines) + 2)]
    assert len(chunk.events) == len(journal_lines)
    # an event of an unknown kind is damaged too, in the same words `read` would use
    growing.append(b'{"event": "exploded", "id": "c00001"}\n')
    more = JournalTail(growing.path).read_from(chunk.offset)
    assert [d.line for d in more.damaged] == [len(journal_lines) + 2]
    assert "does not follow the ones before" in more.damaged[0].problem


def test_a_repaired_journal_is_read_again_from_the_start(growing, journal_lines):
    growing.append(b"".join(journal_lines[:6]) + b"garbage\n" + b"".join(journal_lines[6:9]))
    tail = JournalTail(growing.path)
    before = tail.read_from(0)
    repair(growing.path, 7)  # what `anet evolve --resume RUN --repair` does: a shorter journal
    after = tail.read_from(before.offset)
    assert after.reset and [e.line for e in after.events] == [1, 2, 3, 4, 5, 6] and not after.damaged
    assert after.offset == growing.path.stat().st_size


def test_a_journal_replaced_by_a_longer_file_or_removed_is_read_again(growing, journal_lines):
    growing.append(b"".join(journal_lines[:4]))
    tail = JournalTail(growing.path)
    first = tail.read_from(0)
    other = growing.run / "other.jsonl"
    other.write_bytes(b"".join(journal_lines[:2]) + b"".join(journal_lines[:5]))  # another file, longer
    other.replace(growing.path)
    again = tail.read_from(first.offset)
    assert again.reset and len(again.events) == 7
    growing.path.unlink()
    gone = tail.read_from(again.offset)
    assert gone.reset and gone.offset == 0 and gone.events == []
    assert JournalTail(growing.path).read_from(0).reset is False  # never there: nothing to start over


def test_the_line_numbers_of_an_offset_it_did_not_return_are_counted(finished_run):
    path = finished_run / JOURNAL
    whole = JournalTail(path).read_from(0)
    middle = whole.events[4]
    rest = JournalTail(path).read_from(middle.end)  # a fresh tail: no earlier read to continue
    assert [e.line for e in rest.events] == [e.line for e in whole.events[5:]]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_cutting_of_the_writes_gives_the_events_read_gives(data, finished_run):
    journal = (finished_run / JOURNAL).read_bytes()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(journal)), max_size=12)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / JOURNAL
        path.write_bytes(b"")
        tail = JournalTail(path)
        offset, seen, lines = 0, [], []
        for start, end in zip([0, *cuts], [*cuts, len(journal)], strict=True):
            with path.open("ab") as handle:
                handle.write(journal[start:end])
            chunk = tail.read_from(offset)
            assert not chunk.reset and not chunk.damaged
            offset = chunk.offset
            seen += as_data(chunk.events)
            lines += [e.line for e in chunk.events]
            assert journal[:offset].endswith(b"\n") or offset == 0
        assert seen == [event_data(e) for e in read(path)]
        assert lines == list(range(1, len(seen) + 1))
