"""How fast `anet lsp` answers an editor: from a change to its diagnostics, and a hover's round trip,
through a real server subprocess driven over stdio as an editor drives it. Targets from the issue:
diagnostics for an AssembleNet-101-sized file within 50 ms of a change, hover within 100 ms.

Every round is one incremental edit (a comment on the last line: a new version of the same network).
First, per file, the time from sending `didChange` to the `publishDiagnostics` of that version, for
a lone edit (`DEBOUNCE_S` after the last check, so the server checks at once), and for the second
key of a burst (sent right after the first key's diagnostics: the server holds it until `DEBOUNCE_S`
after that check, so a typist does not queue a check per key). Then hovers on the last node's id:
one sent right after a change (it pays the new version's check) and one more on the same version. A
node's parameters and FLOPs are counted in the server's worker process after each change (seconds;
minutes on 10,000 nodes) and the hover says "being counted" until then: on AssembleNet-101 each
round waits for them, times that wait, and hovers again once they are shown; on the large file it
does not wait. Beside them, `check_text` in this process: the check alone. Medians and 90th
percentiles over the rounds; the ratio is the median over the target.

Run from the repository root::

    python -m benchmarks.lsp_latency [--rounds 40] [--big-nodes 10000] [--big-rounds 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from anet.dsl import check_text, format_network
from anet.lsp.publishing import DEBOUNCE_S

from .common import Table, add_docs_option, load_line, publish, timed
from .language_speed import generated_network

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "assemblenet101.anet"
DIAGNOSTICS_TARGET_S = 0.050
HOVER_TARGET_S = 0.100
WAIT_S = 120.0  # for one answer: a 10,000-node file takes seconds, a stuck server fails the run
NODE = re.compile(r"^(?:stem|block) (\S+)", re.MULTILINE)
FIGURES = "GFLOPs"  # in a node's hover once its parameters and FLOPs are counted
POLL_S = 0.05


@dataclass(frozen=True)
class Probe:
    """One measured step for one file: its times in seconds and the target they are held to."""

    file: str
    step: str
    times: tuple[float, ...]
    target: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p90(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def last_node_position(text: str) -> lsp.Position:
    """Where the last node's id is written: the hover that counts the whole model so far."""
    match = list(NODE.finditer(text))[-1]
    line = text.count("\n", 0, match.start(1))
    return lsp.Position(line=line, character=match.start(1) - text.rfind("\n", 0, match.start(1)) - 1)


class Editor:
    """A language client with one document open in a real `anet lsp` subprocess; it remembers when
    each version's diagnostics arrived."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.client = LanguageClient("anet-lsp-latency", "1")
        self.version = 0
        self.lines = 0
        self.published: dict[int, float] = {}
        self.arrived = asyncio.Event()

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            if params.uri == self.uri and params.version is not None:
                self.published[params.version] = time.perf_counter()
                self.arrived.set()

    async def start(self, text: str) -> None:
        await self.client.start_io(sys.executable, "-m", "anet", "lsp")
        server = self.client._server  # pygls keeps the process; its stderr must be drained
        assert server is not None and server.stderr is not None
        self._stderr = asyncio.create_task(server.stderr.read())
        await self.client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
        self.client.initialized(lsp.InitializedParams())
        self.version, self.lines = 1, text.count("\n")
        text += "# edit 0\n"
        item = lsp.TextDocumentItem(uri=self.uri, language_id="anet", version=1, text=text)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
        await self.diagnostics(1)

    def edit(self) -> tuple[int, float]:
        """Rewrite the comment on the last line (a new version); its version and when it was sent."""
        self.version += 1
        where = lsp.Range(
            start=lsp.Position(line=self.lines, character=0), end=lsp.Position(line=self.lines + 1, character=0)
        )
        change = lsp.TextDocumentContentChangePartial(range=where, text=f"# edit {self.version}\n")
        document = lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version)
        sent = time.perf_counter()
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(text_document=document, content_changes=[change])
        )
        return self.version, sent

    async def diagnostics(self, version: int) -> float:
        """When the diagnostics of ``version`` arrived (waiting for them)."""
        async with asyncio.timeout(WAIT_S):
            while version not in self.published:
                self.arrived.clear()
                await self.arrived.wait()
        return self.published[version]

    async def hover(self, position: lsp.Position) -> tuple[float, str]:
        """One hover's round trip in seconds, and the text it shows (there must be one)."""
        params = lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=self.uri), position=position)
        start = time.perf_counter()
        async with asyncio.timeout(WAIT_S):
            answer = await self.client.text_document_hover_async(params)
        took = time.perf_counter() - start
        if answer is None or not isinstance(answer.contents, lsp.MarkupContent):
            raise RuntimeError(f"no hover text at {position} of {self.uri}: {answer}")
        return took, answer.contents.value

    async def counted(self, position: lsp.Position) -> float:
        """When the hover first shows the parameters and FLOPs (counted in the server's worker after
        a change), asking every POLL_S."""
        async with asyncio.timeout(WAIT_S):
            while FIGURES not in (await self.hover(position))[1]:
                await asyncio.sleep(POLL_S)
        return time.perf_counter()

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        await self._stderr


@dataclass(frozen=True)
class Case:
    """One file the benchmark measures."""

    label: str
    text: str
    rounds: int
    targets: bool  # the targets apply: an AssembleNet-101-sized file
    figures: bool  # wait for the worker's count each hover round (minutes on 10,000 nodes: not there)


async def diagnostics_rounds(editor: Editor, rounds: int) -> tuple[list[float], list[float]]:
    """Seconds from a lone change to its diagnostics, and from a burst's second key to its."""
    lone, second = [], []
    for _ in range(rounds):
        await asyncio.sleep(DEBOUNCE_S)
        version, sent = editor.edit()
        lone.append(await editor.diagnostics(version) - sent)
        version, sent = editor.edit()
        second.append(await editor.diagnostics(version) - sent)
    return lone, second


async def hover_round(editor: Editor, position: lsp.Position, *, figures: bool) -> tuple[float, float, float | None]:
    """After one change: the first hover (it checks the new version), a second hover (after the
    figures are counted, if ``figures``) and the time from the change until the hover shows them."""
    version, sent = editor.edit()
    fresh, _ = await editor.hover(position)
    shown = await editor.counted(position) - sent if figures else None
    again, _ = await editor.hover(position)
    await editor.diagnostics(version)  # the debounced check is done before the next round
    return fresh, again, shown


async def through_server(case: Case) -> list[Probe]:
    """End-to-end diagnostics and hover times of one file. The diagnostics rounds come first, while
    no hover has started the server's counting worker; one untimed hover round (the worker imports
    torch then) precedes the timed ones."""
    editor = Editor("file:///bench/" + re.sub(r"\W+", "_", case.label) + ".anet")
    await editor.start(case.text)
    position = last_node_position(case.text)
    try:
        lone, second = await diagnostics_rounds(editor, case.rounds)
        await hover_round(editor, position, figures=case.figures)
        hovers = [await hover_round(editor, position, figures=case.figures) for _ in range(case.rounds)]
    finally:
        await editor.stop()
    goal_d, goal_h = (DIAGNOSTICS_TARGET_S, HOVER_TARGET_S) if case.targets else (None, None)
    debounce = f"{DEBOUNCE_S * 1000:.0f} ms"
    fresh, again, shown = zip(*hovers, strict=True)
    probes = [
        Probe(case.label, "didChange -> publishDiagnostics, a lone edit", tuple(lone), goal_d),
        Probe(case.label, f"didChange -> publishDiagnostics, a burst's second key (held {debounce})", tuple(second)),
        Probe(case.label, "hover right after a change (checks the new version)", fresh, goal_h),
    ]
    if not case.figures:
        return [*probes, Probe(case.label, "hover again, same version (figures still being counted)", again, goal_h)]
    return [
        *probes,
        Probe(case.label, "hover again, figures counted", again, goal_h),
        Probe(case.label, "change -> hover shows parameters and FLOPs (the worker's count)", shown),
    ]


def in_process(label: str, text: str, rounds: int) -> Probe:
    """`check_text` alone, in this process: the check without the protocol."""
    return Probe(
        label, "`check_text` in this process (the check alone)", tuple(timed(lambda: check_text(text), rounds))
    )


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(probes: Sequence[Probe]) -> Table:
    rows = []
    for p in probes:
        if p.target is None:
            goal = ratio = verdict = ""
        else:
            goal, ratio = f"<= {p.target * 1000:.0f} ms", f"{p.median / p.target:.2f}"
            verdict = "ok" if p.median <= p.target else "**missed**"
        rows.append(
            [p.file, p.step, milliseconds(p.median), milliseconds(p.p90), str(len(p.times)), goal, ratio, verdict]
        )
    header = ["file", "step", "median", "p90", "rounds", "target", "median / target", ""]
    return Table(header, rows, ["l", "l", "r", "r", "r", "l", "r", "l"])


def cpu_line() -> str:
    """The machine line, made in a child: describing the CPU imports torch, which the server never does."""
    return subprocess.run(
        [sys.executable, "-c", "from anet.training.device import describe_cpu; print(describe_cpu())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="rounds of each probe on AssembleNet-101")
    parser.add_argument("--big-nodes", type=int, default=10_000, help="nodes of the generated large file (0: none)")
    parser.add_argument("--big-rounds", type=int, default=3, help="rounds of each probe on the large file")
    add_docs_option(parser, "lsp_latency")
    args = parser.parse_args()
    cpu = cpu_line()
    print(cpu)
    print(f"{load_line()}; debounce {DEBOUNCE_S * 1000:.0f} ms")
    example = EXAMPLE.read_text(encoding="utf-8")
    label = f"`examples/{EXAMPLE.name}` ({example.count(chr(10))} lines)"
    cases = [Case(label, example, args.rounds, targets=True, figures=True)]
    if args.big_nodes:
        big = format_network(generated_network(args.big_nodes))
        cases.append(Case(f"generated, {args.big_nodes:,} nodes", big, args.big_rounds, targets=False, figures=False))
    probes: list[Probe] = []
    for case in cases:
        probes.append(in_process(case.label, case.text, case.rounds))
        probes += asyncio.run(through_server(case))
    print(load_line())
    publish(args, "lsp_latency", table(probes).markdown(), machine_line=cpu)


if __name__ == "__main__":
    main()
