"""Modules of the package import each other relatively (`from ..dsl import parse`), so that editors,
pyright and mypy resolve them from a checkout in a folder of any name, without an install (the
repository root is the package `anet`; an absolute `anet.*` import resolves only when installed or
when the checkout's folder happens to be named `anet`). Tests, benchmarks and generated code import
the installed package absolutely, as users do."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_THE_PACKAGE = {"tests", "benchmarks", "examples", "docs", "runs", "build"}


def package_modules() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if (parts := path.relative_to(ROOT).parts)[0] not in OUTSIDE_THE_PACKAGE
        and not any(part.startswith(".") for part in parts)
    ]


def absolute_imports(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    where = path.relative_to(root)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "anet":
            found.append(f"{where}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "anet"]
    return found


def test_package_modules_import_each_other_relatively():
    modules = package_modules()
    assert len(modules) > 50 and ROOT / "dsl" / "parse.py" in modules  # the scan sees the package
    assert [line for path in modules for line in absolute_imports(path)] == []


def test_the_check_would_see_an_absolute_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from anet.dsl import parse\n    import anet.runtime\n")
    found = absolute_imports(module, tmp_path)
    assert found == ["m.py:2: from anet.dsl import ...", "m.py:3: import anet.runtime"]
