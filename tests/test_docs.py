"""README.md and the manual in docs/ point only at what exists: every relative link (and its
#anchor, against the target's headings) and every repository path they quote in code, so that a file
renamed or removed in the code cannot leave the documentation citing it (the README once cited a
`training/evaluate.py` that no longer existed)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# Top-level folders the docs quote that are not the repository's: a user's run directories.
NOT_THE_REPOSITORY = {"runs", "build"}
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"^```[^\n]*\n(.*?)^```$|`([^`\n]+)`", re.DOTALL | re.MULTILINE)
PATH = re.compile(r"(?<![\w./~$-])([A-Za-z_][\w.-]*(?:/[\w.*-]+)+/?|[A-Za-z_][\w.-]*/)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```$", "", page.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.MULTILINE)}


def links(page: Path) -> list[str]:
    return [m.group(1) for m in LINK.finditer(page.read_text(encoding="utf-8"))]


def quoted_paths(text: str) -> set[str]:
    """Repository paths in code spans and code blocks: those whose first folder is the repository's."""
    top = {p.name for p in ROOT.iterdir() if not p.name.startswith(".")} - NOT_THE_REPOSITORY
    found = set()
    for match in CODE.finditer(text):
        for path in PATH.findall(match.group(1) or match.group(2)):
            if path.split("/")[0] in top:
                found.add(path)
    return found


def exists(path: str) -> bool:
    return any(ROOT.glob(path.rstrip("/"))) if "*" in path else (ROOT / path).exists()


def test_the_pages_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/README.md", "docs/language.md", "docs/measurements.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_exists(page: Path):
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target} (no such heading)")
    assert broken == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_quoted_repository_path_exists(page: Path):
    missing = sorted(p for p in quoted_paths(page.read_text(encoding="utf-8")) if not exists(p))
    assert missing == []


def test_the_path_check_sees_paths_and_leaves_user_paths_alone():
    text = "see `dsl/codes.py`, `examples/*.anet` and\n```sh\nanet train examples/x.anet --out runs/t1\n```\n"
    text += "`videos/train/bikes/b.mp4`, `~/.cache/anet`, `training/evaluate.py`"
    assert quoted_paths(text) == {"dsl/codes.py", "examples/*.anet", "examples/x.anet", "training/evaluate.py"}
    assert exists("dsl/codes.py") and exists("examples/*.anet")
    assert not exists("training/evaluate.py") and not exists("examples/x.anet")


def test_slugs_follow_github():
    assert slug("Why the search has a signal: anet's two deviations from the paper") == (
        "why-the-search-has-a-signal-anets-two-deviations-from-the-paper"
    )
    assert slug("Against the authors' TensorFlow") == "against-the-authors-tensorflow"


def listed_packages() -> list[Path]:
    """The packages whose docstring lists their files (three `.py` names or more)."""
    found = []
    for init in sorted(ROOT.glob("*/__init__.py")) + sorted(ROOT.glob("*/*/__init__.py")):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if len(set(re.findall(r"\b\w+\.py\b", docstring))) >= 3 and init.parent.name != "benchmarks":
            found.append(init)
    return found


def test_some_packages_list_their_files():
    assert {p.parent.name for p in listed_packages()} >= {"evolution", "data"}


@pytest.mark.parametrize("init", listed_packages(), ids=lambda p: p.parent.name)
def test_a_package_that_lists_its_files_lists_them_all(init: Path):
    """evolution/__init__.py once listed its files without config.py, events.py and dedupe.py."""
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    named = set(re.findall(r"\b\w+\.py\b", docstring))
    modules = {p.name for p in init.parent.glob("*.py")} - {"__init__.py"}
    assert sorted(modules - named) == [], "modules the docstring does not name"
    assert sorted(n for n in named if not any(init.parent.rglob(n))) == [], "named files that do not exist"
