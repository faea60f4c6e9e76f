"""The header settings' help rows: the docs page's table is made of them, every keyword has one, and
the allowed values they show are the `Header` model's choices."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from anet.dsl.header import HEADER_FIELDS, Header
from anet.dsl.header_help import HEADER_HELP, help_of, markdown_table

LANGUAGE_DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"


def _docs_table() -> str:
    lines = LANGUAGE_DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("| setting |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip().startswith("|"))
    return "\n".join(line.strip() for line in lines[start:end])


def test_the_docs_table_is_the_help_table():
    assert _docs_table() == markdown_table(), "docs/language.md's header table should read:\n" + markdown_table()


def test_every_header_keyword_has_exactly_one_row():
    explained = [keyword for row in HEADER_HELP for keyword in row.keywords]
    assert sorted(explained) == sorted(f.keyword for f in HEADER_FIELDS)
    assert help_of("pool") is not None and help_of("pool").default == "avg"
    assert help_of("network") is None and help_of("C") is None


def test_enumerated_forms_list_the_models_choices():
    checked = 0
    for row in HEADER_HELP:
        for form in row.forms:
            match = re.fullmatch(r"(\w+) (\w+(?:\|\w+)+)", form)
            if match is None:
                continue
            keyword, choices = match.groups()
            assert set(choices.split("|")) == set(typing.get_args(Header.model_fields[keyword].annotation)), form
            checked += 1
    assert checked == 5  # pool, edges, attention, family, flow
