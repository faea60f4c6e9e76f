"""`anet render` as a user runs it: real `dot` output, a missing `dot`, usage errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from anet.cli import render as _render_command  # noqa: F401  (registers `anet render`)
from anet.cli.app import anet
from anet.dsl import architecture_hash, format_network, load

EXAMPLES = Path(__file__).parents[2] / "examples"
A50 = str(EXAMPLES / "assemblenet50.anet")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*args: str):
    return CliRunner().invoke(anet, list(args), catch_exceptions=False)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    root = tmp_path / "run"
    root.mkdir()
    for name, rnd, fitness, parent in [("p", 0, 0.4, None), ("q", 1, 0.5, "p.anet"), ("r", 2, None, "q.anet")]:
        net = load(EXAMPLES / "two_stream_fusion_lv4.anet")
        header = net.header.model_copy(
            update={"round": rnd, "fitness": fitness, "parent": parent, "hash": architecture_hash(net)}
        )
        (root / f"{name}.anet").write_text(format_network(net.model_copy(update={"header": header})))
    return root


def _kinds(run_dir: Path) -> dict[str, list[str]]:
    return {"model": [A50], "supergraph": ["--supergraph", A50], "lineage": ["--lineage", str(run_dir)]}


@pytest.mark.parametrize("kind", ["model", "supergraph", "lineage"])
def test_dot_renders_svg_and_png(kind, run_dir, tmp_path, dot_program):
    args = _kinds(run_dir)[kind]
    svg, png = tmp_path / f"{kind}.svg", tmp_path / f"{kind}.png"
    result = run("render", *args, "-o", str(svg))
    assert result.exit_code == 0, result.output
    assert f"wrote {svg}" in result.stderr
    root = ET.fromstring(svg.read_bytes())
    assert root.tag.endswith("svg")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g")) > 5
    assert run("render", *args, "-o", str(png)).exit_code == 0
    assert png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 5000


def test_pdf_and_format_override(tmp_path, dot_program):
    pdf = tmp_path / "a50.pdf"
    assert run("render", A50, "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    odd = tmp_path / "figure.out"
    assert run("render", A50, "-o", str(odd), "--format", "svg").exit_code == 0
    assert ET.fromstring(odd.read_bytes()).tag.endswith("svg")


def test_dot_output_is_deterministic_and_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    first, second = tmp_path / "one.dot", tmp_path / "two.dot"
    assert run("render", A50, "-o", str(first)).exit_code == 0
    assert run("render", A50, "-o", str(second)).exit_code == 0
    assert first.read_text().startswith("digraph assemblenet50 {")
    assert first.read_text() == second.read_text()


def test_supergraph_dot_text_with_pinned_layout_is_deterministic(tmp_path, dot_program):
    texts = []
    for name in ("one.dot", "two.dot"):
        assert run("render", "--supergraph", A50, "-o", str(tmp_path / name)).exit_code == 0
        texts.append((tmp_path / name).read_text())
    assert texts[0] == texts[1] and "layout=neato" in texts[0]


@pytest.mark.parametrize("kind", ["model", "supergraph", "lineage"])
def test_missing_dot_writes_the_dot_file_and_says_so(kind, run_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere on it
    out = tmp_path / "figure.svg"
    result = run("render", *_kinds(run_dir)[kind], "-o", str(out))
    assert result.exit_code == 0
    expected = tmp_path / "figure.dot"
    assert (
        f"Graphviz's dot program was not found; wrote {expected} — install graphviz "
        f"(apt-get install graphviz) to get {out}"
    ) in result.stderr
    assert not out.exists()
    assert expected.read_text().startswith("digraph ")


def test_usage_errors_exit_2(run_dir, tmp_path):
    out = str(tmp_path / "x.svg")
    assert run("render", "-o", out).exit_code == 2
    assert run("render", A50, "--lineage", str(run_dir), "-o", out).exit_code == 2
    assert run("render", "--lineage", str(run_dir), "--supergraph", "-o", out).exit_code == 2
    assert run("render", A50).exit_code == 2  # -o is required
    assert run("render", A50, "-o", out, "--format", "jpeg").exit_code == 2


def test_bad_input_exits_1(tmp_path):
    bad = tmp_path / "bad.anet"
    bad.write_text("network bad\n  classes 3\n\nstem 0 in=[rgb] C=8 r=3\n")
    result = run("render", str(bad), "-o", str(tmp_path / "bad.svg"))
    assert result.exit_code == 1
    assert "bad.anet:4" in result.stderr
    empty = tmp_path / "empty_run"
    empty.mkdir()
    result = run("render", "--lineage", str(empty), "-o", str(tmp_path / "l.svg"))
    assert result.exit_code == 1 and "no .anet files" in result.stderr
    weird = tmp_path / "fig.xyz"
    result = run("render", A50, "-o", str(weird))
    assert result.exit_code == 1 and "cannot write 'xyz' figures" in result.stderr


def test_lineage_warns_about_missing_parents(run_dir, tmp_path, dot_program):
    (run_dir / "p.anet").unlink()
    result = run("render", "--lineage", str(run_dir), "-o", str(tmp_path / "l.svg"))
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "p.anet does not exist" in result.stderr
