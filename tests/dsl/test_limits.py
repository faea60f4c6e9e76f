"""Numbers a file may not ask for, line numbers that odd characters must not move, and hints that
stay cheap on huge generated files."""

from __future__ import annotations

import importlib

import pytest

from anet.dsl import Network, check_text
from anet.dsl.builder import build
from anet.dsl.constants import MAX_CHANNELS, MAX_CLASSES, MAX_FRAMES, MAX_REPEATS, MAX_SIZE
from anet.dsl.grammar import parser
from anet.dsl.parse import _lines
from anet.dsl.validate import validate

NODES = "\nstem 0 in=[rgb] C=8 r=1\nblock 1 level=4 in=[0] C=8 r=1\n"


def errors(text: str) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.column, d.message) for d in check_text(text).diagnostics if d.span]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("  classes " + "7" * 5000, 11, "a number with 5000 digits is out of range"),
        ("  classes 3\n  round " + "7" * 4301, 9, "a number with 4301 digits"),
        (f"  classes {MAX_CLASSES + 1}", 11, f"classes {MAX_CLASSES + 1} is more than {MAX_CLASSES}"),
        ("  classes 3\n  depth [1000000000, 1, 1, 1]", 9, f"is more than {MAX_REPEATS}"),
        (f"  classes 3\n  clip frames={MAX_FRAMES + 1}", 15, f"frames {MAX_FRAMES + 1} is more than {MAX_FRAMES}"),
        (f"  classes 3\n  clip size={MAX_SIZE * 10}", 13, f"is more than {MAX_SIZE}"),
        ("  classes 3\n  budget l4=1000000000", 13, "l4 1000000000 is more than"),
        ("  classes 3\n  fitness 1e999", 11, "finite"),
        ("  classes 3\n  fitness -1e999", 11, "finite"),
    ],
)
def test_numbers_out_of_bounds_are_located(line, column, message):
    text = f"network n\n{line}\n{NODES}"
    found = errors(text)
    where = line.count("\n") + 2
    assert any(ln == where and col == column and message in msg for ln, col, msg in found), found


def test_the_largest_values_are_accepted():
    text = (
        f"network n\n  classes {MAX_CLASSES}\n  depth [{MAX_REPEATS}, 1, 1, 1]\n"
        f"  clip frames={MAX_FRAMES} size={MAX_SIZE}\n  budget l4={MAX_CHANNELS}\n\n"
        f"stem 0 in=[rgb] C=8 r=1\nblock 1 level=4 in=[0] C={MAX_CHANNELS} r=1\n"
    )
    assert check_text(text).ok, check_text(text).diagnostics


def test_channels_out_of_bounds():
    text = f"network n\n  classes 3\n\nstem 0 in=[rgb] C={MAX_CHANNELS + 1} r=1\nblock 1 level=4 in=[0] C=8 r=1\n"
    assert (4, 17, f"C {MAX_CHANNELS + 1} is more than {MAX_CHANNELS}, the largest anet accepts") in errors(text)


@pytest.mark.parametrize("odd", ["\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r", "\v"])
def test_characters_python_splits_lines_at_do_not_move_errors(odd):
    text = (
        f"network n\n  classes 3\n# a{odd}b{odd}c\n\n"
        f"stem 0 in=[rgb] C=8 r=1 strid=2  # x{odd}y\nblock 1 level=4 in=[0] C=8 r=1\n"
    )
    assert [(ln, col) for ln, col, _ in errors(text)] == [(5, 25)]


def test_crlf_files_report_the_same_lines():
    text = "network n\r\n  classes 3\r\n\r\nstem 0 in=[rgb] C=8 r=1 strid=2\r\nblock 1 level=4 in=[0] C=8 r=1\r\n"
    assert [(ln, col) for ln, col, _ in errors(text)] == [(4, 25)]


@pytest.mark.slow  # validates 10,000 nodes
def test_hints_for_thousands_of_unknown_references_stay_cheap(monkeypatch):
    """The cost is bounded by construction, counted rather than timed (a timing flakes on a loaded
    machine): at most `NAMES` fuzzy lookups, each over a short pool. The quadratic version compared
    each of 8,000 names with every node declared (about 60 s)."""
    validate_module = importlib.import_module("anet.dsl.validate")  # the package exports the function

    pools: list[int] = []
    real = validate_module.difflib.get_close_matches

    def counted(word, possibilities, *args, **kwargs):
        pools.append(len(possibilities))
        return real(word, possibilities, *args, **kwargs)

    monkeypatch.setattr(validate_module.difflib, "get_close_matches", counted)
    stems = "".join(f"stem s{i} in=[rgb] C=1 r=1\n" for i in range(2000))
    blocks = "".join(f"block b{i} level=4 in=[s{i % 2000}, x{i}] C=1 r=1\n" for i in range(8000))
    text = f"network n\n  classes 3\n  budget stems=60000 l4=60000\n\n{stems}{blocks}"
    lines, syntax = _lines(text)
    network, problems = build(lines)
    assert not syntax and not problems and network is not None
    found = validate(network)
    unknown = [d for d in found if d.code == "E131"]
    assert len(unknown) == 8000
    assert len(pools) <= validate_module._Suggestions.NAMES
    assert max(pools) <= 5 * validate_module._Suggestions.PER_LENGTH + len(validate_module.RAW_INPUTS)
    assert unknown[0].hint == "did you mean 's0'?"  # hints are still given where they help


@pytest.mark.parametrize(("weight", "rounded"), [("1e39", None), ("3.4028236e38", None), ("0.1", 0.10000000149011612)])
def test_weights_are_rounded_to_float32_and_huge_ones_are_located_errors(weight, rounded):
    text = "network t\n  classes 3\nstem 0 in=[rgb] C=8 r=1\nstem 1 in=[rgb] C=8 r=1\n"
    text += f"block 2 level=4 in=[0@{weight}, 1@0.5] C=8 r=1\n"
    checked = check_text(text)
    if rounded is None:
        assert [(d.span.line, d.span.column) for d in checked.diagnostics if d.span] == [(5, 23)]
        assert "is outside (0, 1)" in checked.diagnostics[0].message
    else:
        assert checked.network is not None and checked.network.node("2").inputs[0].weight == rounded


def test_line_by_line_recovery_reads_each_line_once(monkeypatch):
    """A file whose every line is wrong is re-parsed line by line; each parse reads one line, not the
    file up to it (counted rather than timed: 10,000 bad lines took minutes when it was quadratic)."""
    grammar = parser()
    read: list[int] = []
    real = type(grammar).parse_interactive

    def counted(self, text, *args, **kwargs):
        read.append(len(text))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(type(grammar), "parse_interactive", counted)
    text = "network n\n  classes 3\n" + "".join(f"stem s{i} in=[rgb] C= r=1\n" for i in range(300))
    found = check_text(text).diagnostics
    assert [d.span.line for d in found] == list(range(3, 303))
    assert max(read) <= max(len(line) for line in text.splitlines()) + 1


def test_dead_nodes_ask_each_block_for_its_peers_once(monkeypatch):
    """W140 names the blocks whose peer attention reads a dead node; it asks every block once, not
    once per dead node (2,000 dead stems among 10,000 nodes took 14 s)."""
    asked: list[str] = []
    real = Network.peers_of

    def counted(self, block):
        asked.append(block.id)
        return real(self, block)

    monkeypatch.setattr(Network, "peers_of", counted)
    stems = "".join(f"stem s{i} in=[rgb] C=1 r=1\n" for i in range(50))
    text = f"network n\n  classes 3\n  attention peer\n  budget stems=600\n\n{stems}block b level=4 in=[s0] C=1 r=1\n"
    dead = [d for d in check_text(text).diagnostics if d.code == "W140"]
    assert len(dead) == 49 and dead[0].message.endswith("only the peer attention of block b reads it")
    assert len(asked) <= 2
