"""`anet check` and `anet fmt` load only what reading a file needs (they run on every save in an
editor): not torch, numpy or networkx, and none of the other commands' modules. Each case runs the
command in a fresh interpreter and lists what it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from anet.cli.app import COMMAND_MODULES
from anet.cli.main import anet

EXAMPLES = Path(__file__).parents[2] / "examples"
# Modules a syntax check has no use for, each costing tens of milliseconds to seconds to import.
HEAVY = ("torch", "numpy", "networkx", "jinja2", "rich", "anet.compiler", "anet.training", "anet.evolution")
RUN = """
import json, sys
from anet.cli.main import anet
try:
    anet(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(*args: str) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    return outcome["code"], {m for m in outcome["modules"] if m.split(".")[0] in {h.split(".")[0] for h in HEAVY}}


def _heavy(modules: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return sorted(m for m in modules for h in HEAVY if h not in allowed and (m == h or m.startswith(h + ".")))


def test_check_imports_no_heavy_module():
    code, modules = _imported(
        "check", str(EXAMPLES / "assemblenet50.anet"), str(EXAMPLES / "two_stream_late_fusion.anet")
    )
    assert code == 0
    assert _heavy(modules) == []


def test_fmt_imports_numpy_only_to_print_weights():
    code, modules = _imported("fmt", "--check", str(EXAMPLES / "assemblenet50.anet"))
    assert code == 0
    assert "numpy" in modules  # AssembleNet-50's weights are printed in float32's shortest form
    assert _heavy(modules, allowed=("numpy",)) == []


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_each_command_is_where_the_table_says(name):
    """A command is found through anet.cli.app.COMMAND_MODULES; one defined elsewhere would still run
    (every module is imported then) but would cost every other command its start-up time."""
    command = anet.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None
    assert command.callback is not None and command.callback.__module__ == COMMAND_MODULES[name]


def test_help_lists_every_command_and_no_other():
    result = CliRunner().invoke(anet, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMAND_MODULES)


@pytest.mark.parametrize("args", [("--help",), ("runs", "--help"), ("runs", "show", "--help")])
def test_help_imports_no_torch(args):
    """The command list loads every command's module; a search run's record (its journal's events,
    a candidate's `Cost`) must not pull torch in with them (issue 23 moved `Cost` out of the module
    that measures)."""
    code, modules = _imported(*args)
    assert code == 0
    assert "torch" not in modules
