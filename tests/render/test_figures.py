"""The README's figures script needs no checkout of its own: it draws the examples it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from anet.render.figures import EXAMPLE_RUN, example_run, main
from anet.render.lineage import read_run

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_without_the_examples_it_says_what_to_pass(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # not a checkout: there is no examples/ here
    with pytest.raises(SystemExit) as raised:
        main([])
    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "examples/assemblenet50.anet" in error and "pass --examples DIR" in error
    assert not (tmp_path / "docs").exists()


def test_the_example_run_is_made_from_the_examples_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = example_run(tmp_path / "run", EXAMPLES)
    lineage = read_run(run)
    assert len([c for c in lineage.candidates if not c.missing]) == len(EXAMPLE_RUN)
    assert [c.name for c in lineage.candidates if c.missing] == ["missing: c03x.anet"]
