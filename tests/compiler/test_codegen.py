"""Generated source: deterministic, ruff clean, readable, and closed to text from the .anet file."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from anet_strategies import networks
from hypothesis import HealthCheck, given, settings

from anet.compiler import compile_network
from anet.compiler.names import class_name
from anet.dsl import format_network, load, parse
from anet.dsl.printer import format_node

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.anet"))
CASES = Path(__file__).parent / "cases"


def compiled(path: Path) -> str:
    return compile_network(load(path), path.read_text(), str(path))


def ruff(*args: str, source: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--isolated", "--stdin-filename", "model.py", "-"],
        input=source,
        capture_output=True,
        text=True,
    )


RULES = "E,F,W,I,B,UP,SIM,RUF,N"


def ruff_in_checkout(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ruff on folder/model.py from inside folder, as a user's editor or pre-commit hook would.

    ruff's import sorting decides which modules are first-party from the enclosing package's folder
    name, so the same file can pass in one checkout and fail in another unless the generated import
    block leaves it nothing to decide.
    """
    return subprocess.run([sys.executable, "-m", "ruff", *args, "model.py"], cwd=folder, capture_output=True, text=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_compile_to_ruff_clean_formatted_python(path, tmp_path):
    source = compiled(path)
    ast.parse(source)
    check = ruff("check", "--select", RULES, source=source)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = ruff("format", "--check", source=source)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    # the same file inside a package folder named `anet` (a user's clone, where ruff guesses that
    # `anet` is first-party) and one named otherwise (where it guesses third-party)
    for folder_name in ("anet", "checkout"):
        folder = tmp_path / folder_name
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        (folder / "model.py").write_text(source)
        isolated = ruff_in_checkout(folder, "check", "--isolated", "--select", RULES)
        assert isolated.returncode == 0, f"{folder_name}: {isolated.stdout}{isolated.stderr}"
    # and under this repository's own configuration (known-first-party, line length, rule set)
    own = ruff_in_checkout(tmp_path / "checkout", "check", "--config", str(ROOT / "pyproject.toml"))
    assert own.returncode == 0, own.stdout + own.stderr
    own_fmt = ruff_in_checkout(tmp_path / "checkout", "format", "--check", "--config", str(ROOT / "pyproject.toml"))
    assert own_fmt.returncode == 0, own_fmt.stdout + own_fmt.stderr


def test_same_input_gives_byte_identical_output():
    path = ROOT / "examples" / "assemblenet50.anet"
    first = compiled(path)
    assert all(compiled(path) == first for _ in range(3))
    # and in a fresh interpreter, where hash randomisation and import order differ
    script = (
        "import sys; from pathlib import Path; from anet.compiler import compile_network; from anet.dsl import load;"
        "p = Path(sys.argv[1]); sys.stdout.write(compile_network(load(p), p.read_text(), str(p)))"
    )
    fresh = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    assert fresh.stdout == first


def test_expected_output_for_a_small_case():
    """Case folder: .anet in, .py out, compared byte for byte (regenerate with ANET_REGENERATE=1)."""
    for anet_file in sorted(CASES.glob("*.anet")):
        expected = anet_file.with_suffix(".py")
        source = compile_network(load(anet_file), anet_file.read_text(), anet_file.name)
        if os.environ.get("ANET_REGENERATE"):
            expected.write_text(source)
        assert source == expected.read_text(), anet_file.name


def test_forward_has_one_line_per_node_in_topological_order_under_its_canonical_anet_line():
    path = ROOT / "examples" / "assemblenet50.anet"
    source = compiled(path)
    # a comment (continued on indented comment lines where it is long), then the node's line
    found = re.findall(r"((?:\n +#.*)+)\n +x(\w+) = self\.node_(\w+)\(", source)
    network = load(path)
    comments = [
        " ".join(part.strip().removeprefix("#").strip() for part in text.strip().split("\n")) for text, *_ in found
    ]
    assert [(c, node) for c, (_, node, _) in zip(comments, found, strict=True)] == [
        (f"assemblenet50.anet:{n.span.line}: {format_node(n)}", n.id) for n in network.nodes
    ]
    assert any(len(text.strip().split("\n")) > 1 for text, *_ in found)  # long weighted lines continue
    assert "DO NOT EDIT" in source.splitlines()[0]
    assert "SOURCE_SHA256" in source and "rt.check_version(RUNTIME_VERSION)" in source


HOSTILE = '''# """; import os; os.system("echo pwned") #
network None
  classes 3
  parent "'; __import__('os').system('echo pwned'); '"
  mutations [split(__import__), merge(self, forward)]

stem self in=[rgb] C=8 r=1  # "), exec("evil
stem __class__ in=[flow] C=8 r=1
stem forward in=[rgb] C=8 r=2
block torch level=1 in=[self, __class__] C=8 r=1
block 7 level=2 in=[torch, forward] C=8 r=2 stride=2
block super level=3 in=[7] C=8 r=4
block rt level=4 in=[super] C=8 r=8
block training level=4 in=[super, torch] C=8 r=1
'''


def test_hostile_names_and_text_do_not_reach_the_generated_code(tmp_path):
    path = tmp_path / 'evil"; import os #.anet'
    path.write_text(HOSTILE)
    source = compile_network(parse(HOSTILE, str(path)), HOSTILE, str(path))
    tree = ast.parse(source)
    assert "pwned" not in source and "exec" not in source and "__import__" not in source
    assert "import os" not in source
    # only these modules are imported, whatever the file says
    imports = {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom) for alias in node.names
    }
    assert imports == {"annotations", "torch", "nn", "runtime"}
    # string literals are only ours: the version, hashes, the pool mode, the flow error message
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert all(re.fullmatch(r"[\w .,:;\[\]=()`'\-\n/]*", s) for s in strings), strings
    assert "class NoneNet(nn.Module)" in source
    assert "self.node_self = rt.RGBStem" in source and "self.node___class__ = rt.FlowStem" in source
    assert "evil___import_os__.anet" in source  # the file name, reduced to safe characters
    check = ruff("check", "--select", "E,F,W,B", source=source)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize(
    "name, expected",
    [
        ("assemblenet50", "Assemblenet50"),
        ("none", "NoneNet"),
        ("true", "TrueNet"),
        ("my_net", "MyNet"),
        ("_", "Network"),
        ("int", "Int"),
        ("object", "Object"),
        ("rt", "Rt"),
        ("build_model", "BuildModel"),
        ("exception", "ExceptionNet"),
    ],
)
def test_class_names(name, expected):
    assert class_name(name) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(with_trivia=False))
def test_every_valid_network_compiles_to_valid_python(network):
    text = format_network(network)
    source = compile_network(parse(text), text, "random.anet")
    compile(source, "random.py", "exec")
