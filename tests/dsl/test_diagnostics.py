"""Bad files in tests/dsl/cases/bad/ end with `# expect CODE LINE:COL` lines: the checker must report
exactly those diagnostics, all at once, each with the source line and a caret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from anet.dsl import AnetError, check_file, parse, render_json, render_text
from anet.dsl.codes import CODES

BAD = sorted(Path(__file__).parent.joinpath("cases", "bad").glob("*.anet"))


def expected(path: Path) -> list[tuple[str, int, int]]:
    found = re.findall(r"^# expect (\w+) (\d+):(\d+)$", path.read_text(), re.MULTILINE)
    return [(code, int(line), int(col)) for code, line, col in found]


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file_reports_exactly_the_expected_diagnostics(path):
    result = check_file(path)
    got = [(d.code, d.span.line, d.span.column) for d in result.diagnostics]
    assert got == expected(path)
    assert all(d.file == str(path) for d in result.diagnostics)


def test_every_rule_of_the_issue_has_a_case():
    codes = {code for path in BAD for code, _, _ in expected(path)}
    assert set(CODES) - {"E001"} <= codes  # E001 (bytes that are not UTF-8) cannot sit in a text case


def test_rendering_shows_file_line_column_source_and_caret():
    path = Path(__file__).parent / "cases" / "bad" / "misspelled_keyword.anet"
    result = check_file(path)
    text = render_text(result.diagnostics, result.source)
    assert text.splitlines() == [
        f"{path}:4:1: error[E100]: unexpected 'blok'",
        "    4 | blok 1 level=4 in=[0] C=8 r=1",
        "      | ^~~~",
        "      = hint: did you mean 'block'?",
    ]


def test_json_rendering_is_machine_readable():
    result = check_file(Path(__file__).parent / "cases" / "bad" / "budgets.anet")
    rows = json.loads(render_json(result.diagnostics))
    assert rows[0] == {
        "file": rows[0]["file"],
        "severity": "error",
        "code": "E150",
        "line": 5,
        "column": 18,
        "end_line": 5,
        "end_column": 22,
        "message": "the stems use 160 channels (C of 0, 1), budget 128",
        "hint": "the sum passes the budget at node 1; lower C or raise `budget`",
    }


def test_parse_raises_with_all_errors():
    path = Path(__file__).parent / "cases" / "bad" / "references.anet"
    with pytest.raises(AnetError) as info:
        parse(path.read_text(), str(path))
    assert len(info.value.diagnostics) == 6
    assert "references.anet:7:24" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "# only a comment\n",
        "network\n",
        "network x y\n",
        "network x\n  classes 4\nstem 0 in=[rgb C=4 r=1\n",
        "\x00\x01",
        "network x\r\n",
    ],
)
def test_garbage_gives_diagnostics_not_exceptions(text):
    from anet.dsl import check_text

    result = check_text(text, "garbage.anet")
    assert result.network is None
    assert result.diagnostics and all(d.span is not None for d in result.diagnostics)


def test_many_syntax_errors_are_reported_at_once():
    from anet.dsl import check_text

    text = "network x\n  classes 4\nstem 0 in=[rgb] C=4 r=1 ?\nblok 1\nblock 2 level=4 in=[0] C=$ r=1\n"
    result = check_text(text)
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("E100", 3), ("E100", 4), ("E100", 5)]
