"""docs/editors.md quotes `anet lsp --help` as the command prints it, so the page cannot drift from it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from anet.cli.main import anet

PAGE = Path(__file__).resolve().parents[2] / "docs" / "editors.md"


def test_the_editor_page_quotes_the_help_as_printed():
    result = CliRunner().invoke(anet, ["lsp", "--help"], terminal_width=80)
    assert result.exit_code == 0
    quoted = re.search(
        r"^```\n\$ anet lsp --help\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE
    )
    assert quoted, "docs/editors.md has no `$ anet lsp --help` block"
    assert quoted.group(1) == result.output
