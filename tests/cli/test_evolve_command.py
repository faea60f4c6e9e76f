"""`anet evolve` argument checks that must happen before anything is written."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from anet.cli.main import anet

EXAMPLES = sorted(str(p) for p in (Path(__file__).parents[2] / "examples").glob("*.anet"))


def test_more_seeds_than_the_population_is_a_usage_error(tmp_path):
    run = tmp_path / "run"
    args = ["evolve", "--out", str(run), "--population", "3", "--fitness", "synthetic"]
    result = CliRunner().invoke(anet, [*args, *EXAMPLES])
    assert result.exit_code == 2
    assert f"{len(EXAMPLES)} seed files do not fit in a population of 3" in result.output
    assert not run.exists()


def test_seeds_that_fit_start_a_run(tmp_path):
    run = tmp_path / "run"
    args = ["evolve", "--out", str(run), "--population", str(len(EXAMPLES)), "--rounds", "2", "--fitness", "synthetic"]
    result = CliRunner().invoke(anet, [*args, *EXAMPLES])
    assert result.exit_code == 0, result.output
    assert len(list((run / "candidates").glob("*.anet"))) == len(EXAMPLES) + 2
