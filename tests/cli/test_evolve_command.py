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


def test_proxy_training_settings_are_recorded_and_kept_on_resume(tmp_path, monkeypatch):
    import json

    from anet.evolution import search as search_module
    from anet.training.config import BN_BATCHES, PROXY_EDGE_LR

    run = tmp_path / "run"
    base = ["evolve", "--population", "2", "--fitness", "synthetic"]
    result = CliRunner().invoke(
        anet, [*base, "--out", str(run), "--rounds", "1", "--edge-lr", "3", "--bn-batches", "4"]
    )
    assert result.exit_code == 0, result.output
    start = json.loads((run / "journal.jsonl").read_text().splitlines()[0])
    assert start["event"] == "start"
    assert start["config"]["train"]["edge_lr"] == 3 and start["config"]["train"]["bn_batches"] == 4

    # what a resumed run hands its workers
    tasks, data = [], []
    original = search_module.Search.__init__

    def spy(self, run_dir, config, **kwargs):
        tasks.append(config.train)
        data.append(config.data)
        original(self, run_dir, config, **kwargs)

    monkeypatch.setattr(search_module.Search, "__init__", spy)
    resumed = CliRunner().invoke(anet, ["evolve", "--resume", str(run)])
    assert resumed.exit_code == 0, resumed.output
    assert tasks[-1].edge_lr == 3 and tasks[-1].bn_batches == 4 and data[-1] == "proxy"

    # a journal written before these settings existed resumes with the values it was trained with
    lines = (run / "journal.jsonl").read_text().splitlines()
    del start["config"]["train"]["edge_lr"], start["config"]["train"]["bn_batches"]
    (run / "journal.jsonl").write_text("\n".join([json.dumps(start), *lines[1:]]) + "\n")
    old = CliRunner().invoke(anet, ["evolve", "--resume", str(run)])
    assert old.exit_code == 0, old.output
    assert tasks[-1].edge_lr == 1.0 and tasks[-1].bn_batches == 0
    assert data[-1] == "proxy:val=128"  # the proxy task's validation split when the run began
    # and a new run gets the search's defaults
    fresh = CliRunner().invoke(anet, [*base, "--out", str(tmp_path / "fresh"), "--rounds", "0"])
    assert fresh.exit_code == 0, fresh.output
    assert tasks[-1].edge_lr == PROXY_EDGE_LR and tasks[-1].bn_batches == BN_BATCHES


def test_a_wrong_data_spec_is_refused_before_the_run_starts(tmp_path):
    run = tmp_path / "run"
    seed = str(Path(__file__).parents[2] / "examples" / "two_stream_late_fusion.anet")
    for spec, words in (("nonsense:foo", "unknown data kind"), ("folder:/does/not/exist", "does not exist")):
        result = CliRunner().invoke(anet, ["evolve", "--out", str(run), "--data", spec, "--population", "2", seed])
        assert result.exit_code == 1, result.output
        assert words in result.output and spec in result.output
        assert not run.exists()


def test_a_seed_the_data_cannot_feed_is_left_out_with_a_warning(tmp_path):
    """The published AssembleNet++ has an object stem: on the proxy without maps it would fail to
    train, so it is left out by name; with no seed left, the search is refused before it starts."""
    plus = str(Path(__file__).parents[2] / "examples" / "assemblenet_plus50.anet")
    rgb = str(Path(__file__).parents[2] / "examples" / "one_stream_rgb.anet")
    base = ["evolve", "--population", "2", "--rounds", "0", "--iterations", "1", "--size", "16", "--no-measure"]
    result = CliRunner().invoke(anet, [*base, "--out", str(tmp_path / "only"), plus])
    assert result.exit_code == 1 and "no seed can be trained on the data 'proxy'" in result.output
    assert not (tmp_path / "only").exists()
    result = CliRunner().invoke(anet, [*base, "--out", str(tmp_path / "run"), plus, rgb])
    assert result.exit_code == 0, result.output
    assert f"seed {plus} left out" in result.output and "add objects=151" in result.output
    assert len(list((tmp_path / "run" / "candidates").glob("*.anet"))) == 2  # the RGB seed and a mutant of it
