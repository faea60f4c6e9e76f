"""The options of `anet train` and `anet evolve` agree with the settings they fill: the same
defaults, and a value passes the command line exactly when the settings accept it; the commands
receive the settings built from their options (`settings_options`)."""

from __future__ import annotations

import math
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel, Field, ValidationError, model_validator

from anet.cli.main import anet
from anet.cli.options import nested, setting, settings_options
from anet.cost.deploy import DeployTarget
from anet.evolution.config import EvolutionConfig, proxy_training
from anet.training.config import TrainConfig

# defaults the command line chooses on purpose (each says why where it is declared)
CHOSEN = {("train", "checkpoint_every"): 100, ("evolve", "workers"): None}
# options that are not settings
NOT_SETTINGS = {
    "train": {"data", "out", "resume", "help"},
    "evolve": {"seed_files", "seed_option", "out", "resume", "retry_failed", "repair", "deploy_shape", "help"},
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
        (DeployTarget, DeployTarget(), {"device", "precision", "repeats"}),
        (EvolutionConfig, EvolutionConfig(), None),
    ],
}


def settings_of(command: str) -> list[tuple[click.Option, type[BaseModel], BaseModel, str]]:
    rows = []
    for param in anet.get_command(click.Context(anet), command).params:  # commands load lazily
        if not isinstance(param, click.Option) or param.name in NOT_SETTINGS[command]:
            continue
        field = param.name  # settings_options names each option's parameter after its field
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
    assert len(rows) == (21 if command == "train" else 31)
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


def test_train_hands_the_training_the_settings_its_options_give(tmp_path, monkeypatch):
    """`anet train` builds `TrainConfig` from its options: the given values, the other defaults (and
    the command line's own checkpoint interval)."""
    import anet.training as training

    received = []

    class RecordedError(Exception):
        """Stops the command before it trains (reported as an internal error, exit 3)."""

    def record(network, text, spec, config, **kwargs):
        received.append(config)
        raise RecordedError

    monkeypatch.setattr(training, "train", record)
    example = Path(__file__).parents[2] / "examples" / "two_stream_late_fusion.anet"
    args = ["--iterations", "3", "--lr", "0.5", "--compile", "--keep", "best", "--width", "0.25", "--seed", "7"]
    result = CliRunner().invoke(anet, ["train", str(example), "--out", str(tmp_path / "run"), *args])
    assert received, result.output
    assert result.exit_code == 3 and "RecordedError" in result.output, result.output
    assert received[0] == TrainConfig(
        iterations=3, lr=0.5, compile=True, keep="best", width=0.25, seed=7, checkpoint_every=100
    )


class Window(BaseModel):
    low: int = Field(default=0, ge=0)
    high: int = 10

    @model_validator(mode="after")
    def ordered(self) -> Window:
        if self.high < self.low:
            raise ValueError("high must not be below low")
        return self

    @model_validator(mode="before")
    @classmethod
    def high_below_1000(cls, values: dict) -> dict:
        if values.get("high", 0) >= 1000:
            raise ValueError("too high")
        return values


class Search(BaseModel):
    rounds: int = 3
    window: Window = Field(default_factory=lambda: Window(high=5))
    name: str | None = None


@click.command()
@settings_options(
    Search(),
    setting("rounds", "--steps", help="Rounds."),
    "name",
    nested("window", "low", setting("high", default=None)),
    into="search",
)
def window_command(search: Search) -> None:
    click.echo(search.model_dump_json())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], Search()),
        (["--steps", "4", "--low", "2"], Search(rounds=4, window=Window(low=2, high=5))),
        (["--high", "7", "--name", "x"], Search(name="x", window=Window(high=7))),
    ],
)
def test_settings_options_build_the_settings_from_the_defaults_and_the_options(args, expected):
    """Nested settings default to the outer defaults' value (`high` 5, not `Window`'s 10); an option
    at None leaves its field there."""
    result = CliRunner().invoke(window_command, args)
    assert result.exit_code == 0, result.output
    assert Search.model_validate_json(result.output) == expected


def test_settings_options_keep_names_order_and_help():
    params = [p for p in window_command.params if isinstance(p, click.Option)]
    assert [(p.name, p.opts) for p in params] == [
        ("rounds", ["--steps"]),
        ("name", ["--name"]),
        ("low", ["--low"]),
        ("high", ["--high"]),
    ]
    assert params[0].help == "Rounds."
    assert params[2].default == 0
    assert isinstance(params[2].type, click.IntRange) and params[2].type.min == 0


def test_a_combination_the_settings_refuse_is_a_usage_error_naming_its_options():
    """A combination the settings refuse (a model's own check) names the options of that model."""
    result = CliRunner().invoke(window_command, ["--low", "8", "--high", "3"])
    assert result.exit_code == 2
    assert "Invalid values for '--low', '--high': high must not be below low" in result.output
    result = CliRunner().invoke(window_command, ["--high", "1000"])
    assert result.exit_code == 2
    assert "Invalid values for '--low', '--high': too high" in result.output


def test_a_value_the_settings_refuse_is_a_usage_error_naming_its_option(monkeypatch):
    """A field's own error (here `low` below its bound, past the command line's range) names the option."""
    monkeypatch.setattr(window_command.params[2], "type", click.INT)
    result = CliRunner().invoke(window_command, ["--low", "-1"])
    assert result.exit_code == 2
    assert "Invalid value for '--low'" in result.output


def test_two_settings_of_one_name_are_refused():
    with pytest.raises(ValueError, match="share a name"):
        settings_options(Search(), "rounds", nested("window", setting("low", "--rounds-low")), "rounds", into="s")
