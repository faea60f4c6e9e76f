"""The header's table of settings drives the parser, the builder and the printer; diagnostic codes
are registered once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import anet.dsl
from anet.dsl import format_network, parse
from anet.dsl.codes import CODES
from anet.dsl.diagnostics import error, warning
from anet.dsl.grammar import parser
from anet.dsl.header import HEADER_FIELDS, Header

DSL = Path(anet.dsl.__file__).parent
EVERYTHING = Path(__file__).parent / "cases" / "canonical" / "everything.anet"


def test_every_header_rule_of_the_grammar_has_a_row_and_every_row_a_rule():
    rules = {r.alias for r in parser().rules if r.origin.name == "header_field"}
    assert rules == {f.keyword for f in HEADER_FIELDS}


def test_rows_name_header_fields():
    fields = set(Header.model_fields)
    for row in HEADER_FIELDS:
        assert (row.nested or row.keyword) in fields or row.keyword == "clip", row.keyword
    assert {"frames", "size"} <= fields  # clip's settings are fields of their own


def test_the_printer_writes_the_header_in_the_tables_order():
    text = EVERYTHING.read_text()
    printed = format_network(parse(text))
    assert printed == text
    keywords = [line.split()[0] for line in printed.splitlines()[3:] if line.startswith("  ") and line.split()]
    keywords = [k for k in keywords if not k.startswith("#")]
    order = [f.keyword for f in HEADER_FIELDS]
    assert keywords == [k for k in order if k in keywords] and len(keywords) == len(order) - 1  # all but `hash`


def test_the_printer_does_not_import_the_builder():
    tree = ast.parse((DSL / "printer.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "anet.dsl.builder" not in imported


@pytest.mark.parametrize(
    ("setting", "message"),
    [("clip frames=8 frames=16", "clip `frames` is given twice"), ("budget l1=8 l1=16", "budget `l1` is given twice")],
)
def test_a_setting_repeated_in_its_line_is_reported(setting, message):
    text = f"network n\n  classes 3\n  {setting}\n\nstem s in=[rgb] C=8 r=1\nblock b level=4 in=[s] C=8 r=1\n"
    with pytest.raises(anet.dsl.AnetError, match=re.escape(message)):
        parse(text)


def test_every_code_in_the_sources_is_registered_and_unknown_codes_are_refused():
    used = set()
    for path in DSL.glob("*.py"):
        if path.name != "codes.py":
            used |= set(re.findall(r'"([EW]\d{3})"', path.read_text()))
    assert len(used) > 20 and used <= set(CODES)
    with pytest.raises(KeyError):
        error("E999", "not a registered problem")
    with pytest.raises(KeyError):
        warning("W999", "not a registered problem")
