"""benchmarks/common.py: a table written into docs/ replaces exactly its block, twice the same as once,
and a missing or doubled marker stops the benchmark with a message that names it."""

from __future__ import annotations

import argparse

import pytest

PAGE = """# Measurements

Prose above.

<!-- bench:demo -->
`python -m benchmarks.demo --old`

| old | table |
|---|---:|
<!-- /bench:demo -->

Prose below, with another block.

<!-- bench:other -->
kept
<!-- /bench:other -->
"""


@pytest.fixture
def common(benchmark_module):
    return benchmark_module("common")


def test_replace_block_changes_only_its_block_and_is_idempotent(common):
    once = common.replace_block(PAGE, "demo", "| new |\n|---|\n| 1 |")
    assert once.count("| new |") == 1 and "| old |" not in once
    assert once.startswith("# Measurements\n\nProse above.\n\n<!-- bench:demo -->\n| new |")
    assert once.endswith(PAGE[PAGE.index("<!-- /bench:demo -->") :])  # the rest, other block included
    assert common.replace_block(once, "demo", "| new |\n|---|\n| 1 |") == once
    assert common.block(once, "demo") == "| new |\n|---|\n| 1 |"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PAGE.replace("<!-- bench:demo -->", ""), "found 0 and 1"),
        (PAGE + "<!-- bench:demo -->\n", "found 2 and 1"),
        ("<!-- /bench:demo -->\n<!-- bench:demo -->\n", "comes before"),
    ],
)
def test_replace_block_refuses_bad_markers(common, text, message):
    with pytest.raises(common.MarkerError, match=message):
        common.replace_block(text, "demo", "x")


def test_write_docs_finds_the_page_and_states_command_and_machine(common, tmp_path):
    (tmp_path / "measurements.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "flow.md").write_text("# Flow\n", encoding="utf-8")
    page = common.write_docs("demo", "demo", ["--rounds", "2"], "| a |\n|---|", machine_line="CPU: test", docs=tmp_path)
    assert page == tmp_path / "measurements.md"
    written = common.block(page.read_text(encoding="utf-8"), "demo")
    assert written.startswith("`python -m benchmarks.demo --rounds 2`\n\nCPU: test; ")
    assert written.endswith("| a |\n|---|") and "load average" in written
    with pytest.raises(common.MarkerError, match=r"<!-- bench:missing --> must be in exactly one page"):
        common.write_docs("missing", "demo", [], "x", machine_line="CPU: test", docs=tmp_path)


def test_the_docs_option_defaults_to_the_module_and_takes_a_variant(common):
    parser = argparse.ArgumentParser()
    common.add_docs_option(parser, "edge_signal")
    assert parser.parse_args([]).write_docs is None
    assert parser.parse_args(["--write-docs"]).write_docs == "edge_signal"
    assert parser.parse_args(["--write-docs", "edge_signal:60it"]).write_docs == "edge_signal:60it"


def test_table_markdown_and_its_width_check(common):
    table = common.Table(["what", "time"], [["a", "1 ms"], ["b", "2 ms"]])
    assert table.markdown() == "| what | time |\n| --- | ---: |\n| a | 1 ms |\n| b | 2 ms |"
    with pytest.raises(ValueError, match="2 columns"):
        common.Table(["what", "time"], [["a"]]).markdown()


def test_timed_warms_up_then_times_each_call(common):
    calls = []
    times = common.timed(lambda: calls.append(1), 3, warmup=2)
    assert len(calls) == 5 and len(times) == 3 and all(t >= 0 for t in times)


def test_the_machine_line_names_cpu_capability_and_torch(common):
    line = common.machine()
    for part in ("CPU: ", "logical cores", "torch kernels", "native bf16", "torch "):
        assert part in line
