"""The package is layered: each top-level part imports only from the layers below it, so that each
can be understood, tested and reused without the ones above (the language without torch, the
compiler without training, training without the search). An import inside a function counts as
much as one at the top: it is the same dependency, only paid later.

Generated models import `anet.runtime`, and the compiler's loader executes them: the runtime sits
below the compiler. The root package's lazy API (`anet.parse`, ...; `anet/__init__.py`) names its
modules as strings and is not an import of them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_THE_PACKAGE = {"tests", "benchmarks", "examples", "docs", "runs", "build"}

# Lowest first. A part may import from any lower layer, not from its own layer's other parts (they
# do not know of each other) nor from a layer above. `__init__` is the root package (__version__).
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "__init__ errors files host paper",
        "grammars dsl",
        "runtime",
        "compiler data",
        "training",
        "cost",
        "evolution render lsp",
        "dashboard",
        "api cli",
        "__main__",
    )
)


def part_of(module: tuple[str, ...]) -> str:
    """The top-level part a module belongs to: its folder, or the root module's own name."""
    return module[0] if len(module) > 1 else module[0].removesuffix(".py")


def imported_parts(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """(part, line) of every relative import in `path`: `from ..dsl import x` is `dsl`, and
    `from .. import runtime` is `runtime` (a name imported from the root package is a part when
    one of that name exists, else the root package itself)."""
    package = path.relative_to(root).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        assert node.level - 1 <= len(package), f"{path}:{node.lineno} imports from above the package"
        base = package[: len(package) - (node.level - 1)]
        target = base + tuple(node.module.split(".")) if node.module else base
        if target:
            found.append((target[0], node.lineno))
        else:
            found += [(a.name if _is_part(root, a.name) else "__init__", node.lineno) for a in node.names]
    return found


def _is_part(root: Path, name: str) -> bool:
    return (root / name / "__init__.py").is_file() or (root / f"{name}.py").is_file()


def upward_imports(root: Path = ROOT, layers: tuple[frozenset[str], ...] = LAYERS) -> list[str]:
    """Every import of a part from its own layer or one above, as `file:line: part -> part`."""
    level = {part: index for index, layer in enumerate(layers) for part in layer}
    found = []
    for path in package_modules(root):
        where = path.relative_to(root)
        own = part_of(where.parts)
        assert own in level, f"{where}: {own} is in no layer of tests/test_layering.py"
        for part, line in imported_parts(path, root):
            assert part in level, f"{where}:{line}: {part} is in no layer of tests/test_layering.py"
            if part != own and level[part] >= level[own]:
                found.append(f"{where}:{line}: {own} -> {part}")
    return found


def package_modules(root: Path) -> list[Path]:
    return [
        path
        for path in sorted(root.rglob("*.py"))
        if (parts := path.relative_to(root).parts)[0] not in OUTSIDE_THE_PACKAGE
        and not any(part.startswith(".") for part in parts)
    ]


def test_no_module_imports_from_its_layer_or_above():
    modules = package_modules(ROOT)
    assert len(modules) > 50 and ROOT / "training" / "loop.py" in modules  # the scan sees the package
    assert {part_of(p.relative_to(ROOT).parts) for p in modules} == set().union(*LAYERS)  # every part placed
    assert upward_imports() == []


def test_the_check_sees_an_upward_import_even_inside_a_function(tmp_path: Path):
    for part in ("dsl", "training", "evolution"):
        (tmp_path / part).mkdir()
        (tmp_path / part / "__init__.py").write_text("")
    (tmp_path / "paper.py").write_text("")
    (tmp_path / "dsl" / "ast.py").write_text("from .. import paper\nfrom . import ast\n")
    (tmp_path / "training" / "run_dir.py").write_text(
        "from ..dsl import parse\n\ndef f():\n    from ..evolution.store import file_weight\n"
    )
    (tmp_path / "evolution" / "store.py").write_text("from ..training import run_dir\nfrom .. import dsl\n")
    assert upward_imports(tmp_path) == ["training/run_dir.py:4: training -> evolution"]
    # parts of one layer do not import each other either
    same = (frozenset({"paper"}), frozenset({"dsl"}), frozenset({"training", "evolution"}))
    assert upward_imports(tmp_path, same) == [
        "evolution/store.py:1: evolution -> training",
        "training/run_dir.py:4: training -> evolution",
    ]
