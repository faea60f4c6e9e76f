"""Hover: a node's facts as written, its shape, parameters and FLOPs as `anet info` counts them, a
header setting's help; the worker that counts; and hover end to end through `anet lsp`."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from anet.cost import summarize
from anet.dsl import check_text, parse
from anet.dsl.diagnostics import source_lines
from anet.dsl.header_help import help_of
from anet.lsp import costs
from anet.lsp.costs import FigureCache, NetworkFigures, count
from anet.lsp.hover import node_markdown, setting_at, setting_markdown

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLUS50 = (EXAMPLES / "assemblenet_plus50.anet").read_text()
WAIT_S = 120.0  # a count starts a process and imports torch: seconds on a busy 2-core machine


def small(path: Path, frames: int = 4, size: int = 64) -> str:
    """An example at a small clip: the CPU forward that the meta count is compared with stays cheap."""
    return path.read_text().replace("\n\n", f"\n  clip frames={frames} size={size}\n\n", 1)


def test_a_block_as_written():
    network = parse(PLUS50)
    text = node_markdown(network, network.node("12"), source_lines(PLUS50))
    first, *rest = text.splitlines()
    assert first == "**block 12**: level 3 block, C=256, r=8, stride=2"
    assert "- attention: peer (the header's)" in rest
    assert "- inputs: 4 (weight 0.5012748), 11 (weight 0.5016682)" in rest  # as written, not as float64
    assert "- peers, every node of a lower level: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11" in rest
    assert "shown when the file has no errors" in text  # no figures given


def test_stems_and_written_peers():
    text = (
        "network p\n  classes 3\nstem 0 in=[rgb] C=32 r=1\nstem 1 in=[object] C=151 r=1\n"
        "block 2 level=1 in=[0] C=32 r=1\nblock 3 level=4 in=[2] C=[8, 8, 4] r=2 attention=peer peers=[1@0.25, 2@1]\n"
    )
    network = check_text(text).parsed
    lines = source_lines(text)
    assert node_markdown(network, network.node("1"), lines).startswith(
        "**stem 1**: object stem, level 0, C=151 (segmentation classes), r=1"
    )
    block = node_markdown(network, network.node("3"), lines, "counting")
    assert "C=[8, 8, 4]" in block and "- attention: peer (the block's)" in block
    assert "- peers: 1 (weight 0.25), 2 (weight 1)" in block
    assert "being counted" in block


@pytest.mark.parametrize("name", ["two_stream_late_fusion", "assemblenet_plus50", "assemblenet_plus_lite"])
def test_counted_figures_are_anet_infos(name: str):
    """Counting on the meta device gives what `anet info` measures with a real forward on the CPU."""
    text = small(EXAMPLES / f"{name}.anet")
    network = parse(text)
    figures = count(text)
    rows = {row.node: row for row in summarize(network, text, frames=4, size=64)}
    assert {k: (f.parameters, f.flops) for k, f in figures.nodes.items()} == {
        n.id: (rows[n.id].parameters, rows[n.id].flops) for n in network.nodes
    }
    assert figures.parameters == sum(r.parameters for r in rows.values())
    assert figures.flops == sum(r.flops for r in rows.values())
    assert (figures.frames, figures.size) == (4, 64)


def test_output_shapes_follow_the_strides():
    text = small(EXAMPLES / "two_stream_late_fusion.anet", frames=4, size=64)
    figures, network = count(text), parse(text)
    side = {0: 16, 1: 16, 2: 8, 3: 4, 4: 2}  # stems downsample by 4, then each level strides by 2 from level 2
    for node in network.nodes:
        assert figures.nodes[node.id].shape == (node.out_channels, 4, side[node.level], side[node.level]), node.id


def test_figures_in_the_hover():
    text = small(EXAMPLES / "two_stream_late_fusion.anet")
    network = parse(text)
    figures = count(text)
    shown = node_markdown(network, network.node("rgb2"), source_lines(text), figures)
    own = figures.nodes["rgb2"]
    assert f"- output [C, T, H, W] = [{', '.join(map(str, own.shape))}] for a clip of 4 frames of 64x64" in shown
    assert f"this node (its fusion included): {own.parameters:,} parameters" in shown
    so_far = sum(figures.nodes[n].parameters for n in ("srgb", "sflow", "rgb1", "flow1", "rgb2"))
    assert f"the model up to it (file order): {so_far:,} parameters" in shown
    assert f"the whole model (flow layer and head included): {figures.parameters:,} parameters" in shown


def test_the_cache_counts_once_and_the_newest_text_next():
    first = small(EXAMPLES / "one_stream_rgb.anet")
    second = small(EXAMPLES / "two_stream_late_fusion.anet")
    third = small(EXAMPLES / "two_stream_fusion_lv4.anet")
    cache = FigureCache()
    try:
        assert cache.figures(first) == "counting"
        assert cache.figures(second) == "counting"  # waits for the first
        assert cache.figures(third) == "counting"  # replaces the second as the one to count next
        deadline = time.monotonic() + WAIT_S
        while not isinstance(cache.figures(third), NetworkFigures) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert isinstance(cache.figures(third), NetworkFigures)
        assert isinstance(cache.figures(first), NetworkFigures)
        assert cache.figures(first) is cache.figures(first)
        failed = cache.figures("network x\n  classes 3\n")
        while failed == "counting" and time.monotonic() < deadline:
            time.sleep(0.2)
            failed = cache.figures("network x\n  classes 3\n")
        assert failed.startswith("could not count: AnetError") and "E141" in failed
        assert cache.figures(second) == "counting"  # never counted: it was no longer the newest ask
    finally:
        cache.close()


class _DoneAtOnce:
    """An executor whose counts are over before `submit` returns, as a fast failure can be."""

    def __init__(self, **_options: object) -> None:
        pass

    def submit(self, function, *args) -> Future:
        done: Future = Future()
        done.set_exception(RuntimeError("AnetError: at once"))
        return done

    def shutdown(self, **_options: object) -> None:
        pass


def test_a_count_that_ends_before_its_callback_is_added_does_not_deadlock(monkeypatch):
    """Its callback then runs inline, in `_start`, under the cache's lock (a hung test run showed it)."""
    monkeypatch.setattr(costs, "ProcessPoolExecutor", _DoneAtOnce)
    cache = FigureCache()
    answers: list[object] = []
    asking = threading.Thread(target=lambda: answers.extend([cache.figures("a"), cache.figures("a")]), daemon=True)
    asking.start()
    asking.join(10)  # no process here: the answers take microseconds
    assert not asking.is_alive(), "FigureCache.figures deadlocked"
    assert answers == ["counting", "could not count: AnetError: at once"]


def test_header_keywords_and_keys_explain_their_setting():
    row, start, end = setting_at("  pool max  # head", 4)
    assert row is help_of("pool") and (start, end) == (3, 7)
    assert setting_at("  pool max", 7)[0] is help_of("pool")  # at the keyword's end
    assert setting_at("  pool max", 9) is None  # on the value
    assert setting_at("  clip frames=32 size=224", 20)[0] is help_of("clip")  # a key of the line
    assert setting_at("block 3 level=1 in=[0] C=32 r=1", 10) is None
    assert setting_at("  # pool", 5) is None
    shown = setting_markdown(help_of("pool"))
    assert shown.startswith("`pool avg|max`") and shown.endswith("default: avg")


# --- end to end ------------------------------------------------------------------------------

URI = "file:///tmp/late_fusion.anet"
LATE = small(EXAMPLES / "two_stream_late_fusion.anet")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    lsp_client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=LATE)
        )
    )
    yield
    await lsp_client.shutdown_session()


def _position(text: str, start: str, needle: str) -> lsp.Position:
    row, line = next((i, line) for i, line in enumerate(source_lines(text)) if line.startswith(start))
    return lsp.Position(line=row, character=line.index(needle))


async def _hover(client: LanguageClient, position: lsp.Position) -> lsp.Hover | None:
    params = lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=URI), position=position)
    return await client.text_document_hover_async(params)


@pytest.mark.asyncio
async def test_hover_through_the_server(client: LanguageClient):
    on_input = _position(LATE, "block rgb2 ", "rgb1")
    first = await _hover(client, on_input)
    assert first.contents.value.startswith("**block rgb1**: level 1 block")
    assert (first.range.start.line, first.range.start.character) == (on_input.line, on_input.character)
    deadline = time.monotonic() + WAIT_S
    shown = first.contents.value
    while "being counted" in shown and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        shown = (await _hover(client, on_input)).contents.value
    parameters = count(LATE).nodes["rgb1"].parameters
    assert f"this node (its fusion included): {parameters:,} parameters" in shown

    on_setting = await _hover(client, _position(LATE, "  classes", "classes"))
    assert on_setting.contents.value.startswith("`classes N`")
    assert await _hover(client, _position(LATE, "stem srgb", "C=")) is None
