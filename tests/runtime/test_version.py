"""anet.runtime.version and the package's import rule."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import anet.runtime
from anet.runtime import RUNTIME_VERSION, check_version

RUNTIME_DIR = Path(anet.runtime.__file__).parent


def test_version_check():
    assert isinstance(RUNTIME_VERSION, int) and RUNTIME_VERSION == 3
    check_version(1)  # code generated for versions 1 and 2 still runs
    check_version(2)
    check_version(RUNTIME_VERSION)
    with pytest.raises(ImportError, match=r"needs anet.runtime version 4.*installed anet.runtime is version 3"):
        check_version(RUNTIME_VERSION + 1)


def test_public_names():
    for name in [
        "RGBStem",
        "FlowStem",
        "ObjectStem",
        "Block",
        "Fusion",
        "Head",
        "scale_channels",
        "RUNTIME_VERSION",
        "check_version",
    ]:
        assert name in anet.runtime.__all__ and hasattr(anet.runtime, name)
    assert "anet.dsl" in anet.runtime.__doc__ and "anet.compiler" in anet.runtime.__doc__


def test_no_runtime_file_imports_the_dsl_or_the_compiler():
    for path in RUNTIME_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                assert not name.startswith(("anet.dsl", "anet.compiler", "..dsl", "..compiler")), (path, name)


def test_importing_the_runtime_loads_neither():
    code = (
        "import sys, anet.runtime; "
        "bad = [m for m in sys.modules if m.startswith(('anet.dsl', 'anet.compiler'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
