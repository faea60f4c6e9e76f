"""Parameters, FLOPs and output shapes per node for hover, counted away from the editor's requests.

The figures are `anet info`'s (`anet.cost.summarize`, measured on the compiled model), and counting
needs torch: seconds to import, and AssembleNet-101's model to build. So a document's figures are
counted once per text, on torch's meta device (shapes and FLOP formulas without any data: about
1-3 s instead of a real forward's minutes; the tests hold it equal to the CPU count) in one worker
process, so that neither torch nor the count slows the server's own thread, whose diagnostics must
follow typing. Hover answers at once with what is known, and says when the figures are still being
counted; the next hover shows them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Literal

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

Shape = tuple[int, int, int, int]
"""[C, T, H, W] of one clip."""


@dataclass(frozen=True)
class NodeFigures:
    """One node's part of the model: its fusion's and its own layers' parameters and FLOPs."""

    parameters: int
    flops: int
    shape: Shape


@dataclass(frozen=True)
class NetworkFigures:
    """Every node's figures (file order) and the whole model's, flow layer and head included."""

    nodes: dict[str, NodeFigures]
    parameters: int
    flops: int
    frames: int
    size: int

    def so_far(self, node_id: str) -> tuple[int, int]:
        """Parameters and FLOPs of the nodes up to and including `node_id`, in file order."""
        parameters = flops = 0
        for key, figures in self.nodes.items():
            parameters, flops = parameters + figures.parameters, flops + figures.flops
            if key == node_id:
                break
        return parameters, flops


def count(text: str, path: str | None = None) -> NetworkFigures:
    """The figures of a valid document at its header's clip frames and size (runs in the worker)."""
    import torch

    from ..compiler import compile_to_module
    from ..cost import summarize
    from ..cost.flops import required_inputs
    from ..dsl import parse

    network = parse(text, path)
    frames, size = network.header.frames, network.header.size
    with torch.device("meta"):
        rows = {row.node: row for row in summarize(network, text, path)}
        module = compile_to_module(network, text, path)
        model = module.build_model().eval()
        inputs = required_inputs(module, frames, size)
    shapes: dict[str, Shape] = {}

    def keep_shape(node_id: str) -> Callable[..., None]:
        return lambda _module, _inputs, output: shapes.__setitem__(node_id, tuple(output.shape[1:]))

    for node_id, parts in model.node_modules().items():  # the fusion if any, then the stem or block
        parts[-1].register_forward_hook(keep_shape(node_id))
    with torch.no_grad():
        model(**inputs)
    nodes = {
        n.id: NodeFigures(rows[n.id].parameters, rows[n.id].flops, shapes[n.id])  # type: ignore[arg-type]
        for n in network.nodes
    }
    total = rows.values()
    return NetworkFigures(
        nodes, sum(r.parameters for r in total), sum(r.flops for r in total), frames=frames, size=size
    )


def _count_in_worker(text: str, path: str | None) -> NetworkFigures:
    """`count`, whose failure comes back as a plain RuntimeError: the exception travels back by
    pickle, and some (`AnetError`) cannot be rebuilt from their message."""
    try:
        return count(text, path)
    except Exception as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


Pending = Literal["counting"]


def _quiet() -> None:
    """The worker shares the server's stdout, the LSP channel: anything it printed there would
    corrupt a message, so its stdout goes to stderr (the editor's log)."""
    os.dup2(2, 1)


class FigureCache:
    """Counts documents in one worker process, one at a time, and keeps the last few results.

    A running count cannot be stopped, so none is queued behind another: while one runs, the text
    asked for last waits and starts when the running count ends (older asks are forgotten). A
    worker that dies (it should not: nothing is allocated on the meta device) fails its count with
    a message, and the next count starts a fresh one."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self._workers: ProcessPoolExecutor | None = None
        # Counts finish on the executor's thread, or inline: a count that ends before its callback
        # is added (a fast failure, a busy machine) runs `_finish` in `_start`, under this lock.
        self._lock = threading.RLock()
        self._done: OrderedDict[str, NetworkFigures | str] = OrderedDict()
        self._running: str | None = None
        self._wanted: tuple[str, str | None] | None = None

    def figures(self, text: str, path: str | None = None) -> NetworkFigures | str | Pending:
        """The figures of a valid document's text, a message when it could not be counted, or
        "counting" (and the count started or queued) while it is not known yet."""
        with self._lock:
            if text in self._done:
                self._done.move_to_end(text)
                return self._done[text]
            if self._running is None:
                self._start(text, path)
            elif self._running != text:
                self._wanted = (text, path)
            return "counting"

    def _start(self, text: str, path: str | None) -> None:
        if self._workers is None:
            # spawn: a fork of the server would copy its threads and event loop mid-flight.
            context = multiprocessing.get_context("spawn")
            self._workers = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_quiet)
        self._running, self._wanted = text, None
        self._workers.submit(_count_in_worker, text, path).add_done_callback(lambda done: self._finish(text, done))

    def _finish(self, text: str, done: Future[NetworkFigures]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        with self._lock:
            if isinstance(error, BrokenProcessPool):
                self._workers = None
            self._done[text] = done.result() if error is None else f"could not count: {error}"
            while len(self._done) > self.keep:
                self._done.popitem(last=False)
            self._running = None
            if self._wanted is not None and self._wanted[0] not in self._done:
                self._start(*self._wanted)

    def close(self) -> None:
        """Stop counting at once: without this, the server's exit waits for a count in progress
        (seconds) to end. Python 3.14's `terminate_workers()` does this; before it the worker
        processes are reachable only as `_processes`."""
        with self._lock:
            workers, self._workers = self._workers, None
            self._running = self._wanted = None
        if workers is not None:
            processes = list((getattr(workers, "_processes", None) or {}).values())  # shutdown forgets them
            workers.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()


def serve(server: LanguageServer) -> FigureCache:
    """The server's one cache (hover and inlay hints share it), its worker stopped at shutdown."""
    figures = FigureCache()

    @server.feature(lsp.SHUTDOWN)
    def stop_counting(_ls: LanguageServer, _params: None) -> None:
        figures.close()

    return figures
