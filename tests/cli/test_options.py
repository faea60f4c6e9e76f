"""The options of `anet train` and `anet evolve` agree with the settings they fill: the same
defaults, and a value passes the command line exactly when the settings accept it."""

from __future__ import annotations

import math

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel, ValidationError

from anet.cli.main import anet
from anet.evolution.config import EvolutionConfig, proxy_training
from anet.training.config import TrainConfig

# option name -> settings field, where they differ
FIELD = {"compile_": "compile", "random_seed": "seed"}
# defaults the command line chooses on purpose (each says why where it is declared)
CHOSEN = {("train", "checkpoint_every"): 100, ("evolve", "workers"): None}
# options that are not settings
NOT_SETTINGS = {
    "train": {"data", "out", "resume", "help"},
    "evolve": {"seed_files", "seed_option", "out", "resume", "retry_failed", "repair", "help"},
}

COMMANDS = {
    # command -> (settings model, defaults, for which options)
    "train": [(TrainConfig, TrainConfig(), None)],
    "evolve": [
        (
            TrainConfig,
            proxy_training(),
            {"iterations", "batch_size", "width", "frames", "size", "edge_lr", "bn_batches", "metric"},
        ),
        (EvolutionConfig, EvolutionConfig(), None),
    ],
}


def settings_of(command: str) -> list[tuple[click.Option, type[BaseModel], BaseModel, str]]:
    rows = []
    for param in anet.get_command(click.Context(anet), command).params:  # commands load lazily
        if not isinstance(param, click.Option) or param.name in NOT_SETTINGS[command]:
            continue
        field = FIELD.get(param.name, param.name)
        for model, defaults, only in COMMANDS[command]:
            if (only is None or field in only) and field in model.model_fields:
                rows.append((param, model, defaults, field))
                break
        else:
            raise AssertionError(f"anet {command} --{param.name}: which setting does it fill?")
    return rows


def probes(kind: click.ParamType) -> list[object]:
    """Values on and next to the option's bounds, and a few ordinary ones."""
    values: list[object] = [-1, 0, 1, 2, 7, 8, 0.5, 1000, 1001]
    if isinstance(kind, click.IntRange | click.FloatRange):
        for bound in (kind.min, kind.max):
            if bound is not None:
                if isinstance(kind, click.IntRange):
                    values += [bound - 1, bound, bound + 1]
                else:
                    values += [bound, math.nextafter(bound, -math.inf), math.nextafter(bound, math.inf)]
    if isinstance(kind, click.types.IntParamType):
        values = [v for v in values if float(v).is_integer()]
    return values


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_its_settings_default_and_bounds(command):
    rows = settings_of(command)
    assert len(rows) == (21 if command == "train" else 19)
    for param, model, defaults, field in rows:
        label = f"anet {command} --{param.name}"
        expected = CHOSEN.get((command, field), getattr(defaults, field))
        assert param.default == expected, label
        kind = param.type
        if isinstance(kind, click.Choice):
            choices = model.model_validate({}).model_json_schema()["properties"][field]["enum"]
            assert sorted(kind.choices) == sorted(choices), label
            continue
        if isinstance(kind, click.types.BoolParamType | click.types.StringParamType):
            continue
        for value in probes(kind):
            try:
                kind.convert(value, param, None)
                by_cli = True
            except click.BadParameter:
                by_cli = False
            try:
                model.model_validate({field: value})
                by_settings = True
            except ValidationError:
                by_settings = False
            assert by_cli == by_settings, f"{label} {value!r}: command line {by_cli}, settings {by_settings}"


@pytest.mark.parametrize("command", ["train", "eval", "evolve"])
def test_the_data_help_lists_every_layout(command):
    """`--data`'s help is read from the registered layouts, so it lists each kind and its path."""
    from anet.data.layouts import registered

    result = CliRunner().invoke(anet, [command, "--help"], terminal_width=300)
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.lstrip().startswith("--data")]
    for kind, layout in registered().items():
        assert (f"{kind}:{layout.path}" if layout.path else f" {kind};") in line, kind


def test_evolve_trains_candidates_as_proxy_training_says_by_default(tmp_path):
    """`anet evolve` with no training options records exactly `proxy_training()` as its settings."""
    import json

    run = tmp_path / "run"
    result = CliRunner().invoke(
        anet, ["evolve", "--out", str(run), "--fitness", "synthetic", "--population", "2", "--rounds", "0"]
    )
    assert result.exit_code == 0, result.output
    start = json.loads((run / "journal.jsonl").read_text().splitlines()[0])
    assert TrainConfig.model_validate(start["config"]["train"]) == proxy_training()
    assert EvolutionConfig.model_validate(start["config"]) == EvolutionConfig(
        fitness="synthetic", population=2, rounds=0
    )
