"""The manual's examples run as written: every Python block of docs/api.md, and every command of
"Your own data" in docs/data.md (through the installed console script, on a folder of real clips), the
latter at tiny sizes: the only changes are the numbers listed in TINY and `--bn-batches 2`. The blocks
are counted, so that one lost in an edit fails here."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
CONSOLE = Path(sys.executable).parent
# The walkthrough's settings -> the test's (same commands, seconds instead of hours).
TINY = {
    "--width 0.125": "--width 0.0625",
    "--frames 8": "--frames 4",
    "--size 112": "--size 32",
    "--size 160": "--size 48",
    "--iterations 2000": "--iterations 4 --bn-batches 2",
    "--eval-every 500": "--eval-every 2",
}


def section(page: str, title: str) -> str:
    """The text of a page of docs/ under the heading `title`, up to the next heading of its level."""
    text = (DOCS / page).read_text(encoding="utf-8")
    heading = re.search(rf"^(#+) {re.escape(title)}\n", text, re.MULTILINE)
    assert heading, f"docs/{page} has no heading {title!r}"
    level = heading.group(1)
    end = re.search(rf"^{level} ", text[heading.end() :], re.MULTILINE)
    return text[heading.end() : heading.end() + end.start()] if end else text[heading.end() :]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.DOTALL | re.MULTILINE)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder with the repository's examples, as the manual's relative paths expect."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_sections_have_examples():
    assert len(blocks(section("api.md", "Python API"), "python")) == 3
    assert len(blocks(section("data.md", "Your own data"), "sh")) == 1


@pytest.mark.slow
@pytest.mark.parametrize("index", range(3))
def test_python_api_example_runs(workdir, index, capsys):
    code = blocks(section("api.md", "Python API"), "python")[index]
    exec(compile(code, f"docs/api.md example {index + 1}", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    assert printed.strip()
    if index == 1:
        assert (workdir / "runs" / "api" / "run.json").is_file()
        assert "right" in printed  # the proxy's class names, from the run


@pytest.mark.slow
def test_your_own_data_walkthrough(workdir, segments):
    for name in ("bikes", "bunny", "phone"):
        for split, number in (("train", 0), ("train", 1), ("val", 9)):
            target = workdir / "videos" / split / name / f"{name}{number}.mp4"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(segments[f"{name}.mp4"], target)
    (commands,) = blocks(section("data.md", "Your own data"), "sh")
    lines = [line for line in commands.splitlines() if line.strip()]
    assert len(lines) == 8
    outputs = []
    for line in lines:
        for written, tiny in TINY.items():
            line = line.replace(written, tiny)
        argv = shlex.split(line)
        argv[0] = str(CONSOLE / argv[0])
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        outputs.append(done.stdout)
    top3 = outputs[3].splitlines()
    assert top3[0] == "videos/val/bikes/bikes9.mp4" and len(top3) == 4
    predictions = json.loads(outputs[4])["predictions"]
    assert [p["video"] for p in predictions] == ["videos/val/bikes/bikes9.mp4", "videos/val/phone/phone9.mp4"]
    assert {e["class"] for p in predictions for e in p["top"]} == {"bikes", "bunny", "phone"}
    for made in ("mine.svg", "mine.onnx", "mine.pt", "runs/mine/best.pt"):
        assert (workdir / made).stat().st_size > 0
