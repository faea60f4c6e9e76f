"""How fast `anet runs serve` shows a large search, and what it costs while nobody looks: a synthetic
journal of 2,000 candidates (the events a search writes, with the examples' architectures), served by a
real `anet runs serve` subprocess and read over HTTP as the dashboard's page reads it.

Targets from the issue: the first page within 1 s (the page, the runs' summaries, the run's candidate
table and its fitness curve: the four requests the overview and run page make before drawing), an update
that carries only the new events (the page polls `events?since=OFFSET` every second), and a server that
uses next to no CPU while idle (under 2 % of one core). The first page is timed twice: the first requests
after the server printed its address (it reads the journal then, or on the first request), and the median
of later ones. The update appends 10 events (three candidates created, measured and evaluated, and the
round's population) as the search appends them, then asks for the events since the offset the page knows.
CPU time is the server process's user + system time from /proc over the idle window.

Run from the repository root::

    python -m benchmarks.dashboard_speed [--candidates 2000] [--rounds 5] [--idle 5] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from anet.cost.deploy import DeployTarget
from anet.cost.latency import synthetic_cost
from anet.cost.record import Cost
from anet.dsl import Mutation, format_network, parse
from anet.dsl.hashing import architecture_hash
from anet.evolution.config import EvolutionConfig
from anet.evolution.events import Created, Evaluated, Event, Failed, Measured, Population, Start, event_line
from anet.evolution.fitness import synthetic_fitness, synthetic_peer_weights
from anet.evolution.journal import JOURNAL
from anet.evolution.state import SearchState
from anet.evolution.store import sync_file

from .common import Table, add_docs_option, load_line, machine, publish

ROOT = Path(__file__).resolve().parents[1]
# The examples `make demo` seeds its search with (AssembleNet++ is searched from its own seeds).
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.anet") if not p.name.startswith("assemblenet_plus"))
FIRST_PAGE_TARGET_S = 1.0
IDLE_CPU_TARGET = 0.02  # of one core
POPULATION = 20
FAILED_EVERY = 31  # about 3 % of candidates fail (a worker killed, out of memory), as on a long real search
SERVING = re.compile(r"serving \d+ run\(s\) at (http://[^/\s]+)")
START_WAIT_S = 60.0
MUTATIONS = (("guided_edges", "13", "11", "13"), ("split", "8", "10"), ("merge", "3", "9"), ("dilation", "6", "1"))


@dataclass(frozen=True)
class Architecture:
    """One example's architecture as the search journals a candidate of it: the created text (with the
    candidate's name as its network name), its hash, cost and the learned weights of its training."""

    text: str
    name: str
    hash: str
    cost: Cost
    weights: dict[str, list[float]]
    peer_weights: dict[str, list[float]]

    @classmethod
    def of(cls, path: Path) -> Architecture:
        network = parse(path.read_text(encoding="utf-8"))
        text = format_network(network)
        return cls(
            text=text,
            name=network.header.name,
            hash=architecture_hash(network),
            cost=synthetic_cost(text, DeployTarget()),
            weights=synthetic_fitness(text)[1],
            peer_weights=synthetic_peer_weights(text),
        )

    def named(self, candidate_id: str) -> str:
        return self.text.replace(f"network {self.name}\n", f"network {candidate_id}\n", 1)


class SyntheticSearch:
    """Events of a search that never ran: a population of POPULATION, then one child per round of a
    member chosen at random; the fitness drifts up over the rounds with noise, and a child replaces the
    population's weakest when it beats it. Seeded: the same journal every time."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.architectures = [Architecture.of(p) for p in EXAMPLES]
        self.fitness: dict[str, float] = {}
        self.population: list[str] = []
        self.next_id = 0

    def start(self, candidates: int) -> Start:
        config = EvolutionConfig(population=POPULATION, rounds=candidates - POPULATION, workers=2, objective="pareto")
        return Start(config=config.model_dump(mode="json"), seeds=[a.text for a in self.architectures])

    def candidate(self, round_: int, progress: float) -> list[Event]:
        """Created, measured, and evaluated or failed: one candidate's events."""
        cid = f"c{self.next_id:05d}"
        self.next_id += 1
        arch = self.rng.choice(self.architectures)
        if round_ == 0:
            parent, mutations = None, (Mutation(kind="init", args=(str(self.rng.randrange(1, 6)),)),)
        else:
            parent = self.rng.choice(self.population)
            chosen = self.rng.sample(MUTATIONS, self.rng.randrange(1, 4))
            mutations = tuple(Mutation(kind=m[0], args=m[1:]) for m in chosen)  # type: ignore[arg-type]
        text = arch.named(cid)
        events: list[Event] = [
            Created(id=cid, round=round_, parent=parent, hash=arch.hash, text=text, mutations=mutations),
            Measured(id=cid, cost=arch.cost),
        ]
        seconds = self.rng.uniform(60, 240)
        if self.next_id % FAILED_EVERY == 0:
            return [*events, Failed(id=cid, reason="worker died: killed by signal 9 (out of memory?)", seconds=seconds)]
        fitness = min(max(0.3 + 0.5 * progress + self.rng.gauss(0, 0.12), 0.0), 1.999)
        self.fitness[cid] = fitness
        metrics = {"top1": fitness / 2, "top5": min(1.0, fitness * 0.7), "fitness": fitness}
        evaluated = Evaluated(
            id=cid,
            fitness=fitness,
            metrics=metrics,
            weights=arch.weights,
            peer_weights=arch.peer_weights,
            seconds=seconds,
        )
        return [*events, evaluated]

    def admit(self, cid: str) -> None:
        if cid not in self.fitness:
            return
        if len(self.population) < POPULATION:
            self.population.append(cid)
            return
        weakest = min(self.population, key=self.fitness.__getitem__)
        if self.fitness[cid] > self.fitness[weakest]:
            self.population[self.population.index(weakest)] = cid

    def round(self, round_: int, children: int, progress: float) -> list[Event]:
        """One round's events: its candidates, then the population after it."""
        events = [e for _ in range(children) for e in self.candidate(round_, progress)]
        for event in events:
            if isinstance(event, Created):
                self.admit(event.id)
        return [*events, Population(round=round_, members=list(self.population))]


def write_run(run: Path, candidates: int, seed: int = 0) -> SyntheticSearch:
    """RUN as a finished synthetic search of ``candidates`` candidates leaves it: the journal (line by line,
    as the search writes it) and each candidate's file; the search is returned to append more."""
    search = SyntheticSearch(seed)
    run.mkdir(parents=True, exist_ok=True)
    with (run / JOURNAL).open("wb") as journal:
        journal.write(event_line(search.start(candidates)))
        for event in search.round(0, POPULATION, 0.0):
            journal.write(event_line(event))
        rounds = candidates - POPULATION
        for round_ in range(1, rounds + 1):
            for event in search.round(round_, 1, round_ / rounds):
                journal.write(event_line(event))
    for candidate in SearchState.load(run / JOURNAL).candidates.values():
        sync_file(run, candidate)
    return search


def append_events(run: Path, search: SyntheticSearch, round_: int) -> int:
    """Append 10 events as the search would (three candidates and the round's population); how many."""
    events = search.round(round_, 3, 1.0)
    with (run / JOURNAL).open("ab") as journal:
        for event in events:
            journal.write(event_line(event))
    return len(events)


class Server:
    """A real `anet runs serve RUN --port 0` subprocess, its address read from what it prints."""

    def __init__(self, run: Path) -> None:
        env = os.environ | {"PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "anet", "runs", "serve", str(run), "--port", "0"]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            self.url = self._address()
            self.printed_s = time.perf_counter() - self.started
            self._accepting()
            self.accepting_s = time.perf_counter() - self.started
        except BaseException:
            self.__exit__()
            raise

    def _address(self) -> str:
        assert self.process.stdout is not None
        printed = []
        deadline = time.monotonic() + START_WAIT_S
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            printed.append(line)
            if match := SERVING.search(line):
                return match.group(1)
        raise RuntimeError("anet runs serve did not print its address:\n" + "".join(printed))

    def _accepting(self) -> None:
        """Wait until the printed address takes connections (it should at once: a script that reads the
        address and connects must not be refused); the wait is reported."""
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        deadline = time.monotonic() + START_WAIT_S
        while True:
            try:
                socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
                return
            except ConnectionRefusedError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.002)

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=60) as answer:
            return answer.read()

    def cpu_seconds(self) -> float:
        """User + system time of the server process so far (all its threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def first_page(server: Server, run: str) -> float:
    """Seconds for the four requests the page makes before it draws a run (one after the other)."""
    start = time.perf_counter()
    server.get("/")
    server.get("/api/runs")
    server.get(f"/api/runs/{run}/candidates")
    server.get(f"/api/runs/{run}/curve")
    return time.perf_counter() - start


@dataclass(frozen=True)
class Update:
    """One append of 10 events: the incremental answer's time and size, then the page's refresh."""

    seconds: float
    size: int
    refresh_s: float
    refresh_size: int


def update(server: Server, run_dir: Path, search: SyntheticSearch, round_: int, offset: int) -> tuple[Update, int]:
    """Append 10 events, ask for those since ``offset`` (the answer must hold exactly the new ones), then
    what the run page fetches when a poll brings events: the summary, the candidates and the curve."""
    appended = append_events(run_dir, search, round_)
    start = time.perf_counter()
    body = server.get(f"/api/runs/{run_dir.name}/events?since={offset}")
    took = time.perf_counter() - start
    answer = json.loads(body)
    if len(answer["events"]) != appended or answer["reset"]:
        raise RuntimeError(f"appended {appended} events, the server answered {len(answer['events'])}: {body[:300]!r}")
    start = time.perf_counter()
    size = sum(len(server.get(f"/api/runs/{run_dir.name}{part}")) for part in ("", "/candidates", "/curve"))
    return Update(took, len(body), time.perf_counter() - start, size), answer["offset"]


def idle_cpu(server: Server, seconds: float, *, poll: str | None = None) -> float:
    """The server's CPU use (fraction of one core) over ``seconds``; with ``poll``, GET it once a second
    as an open page does."""
    before, start = server.cpu_seconds(), time.perf_counter()
    while (left := seconds - (time.perf_counter() - start)) > 0:
        if poll is not None:
            server.get(poll)
        time.sleep(min(1.0, left))
    return (server.cpu_seconds() - before) / (time.perf_counter() - start)


@dataclass(frozen=True)
class Row:
    """One line of the table: what was measured, its value as printed, and the target it is held to."""

    step: str
    value: str
    target: str = ""
    ratio: float | None = None
    verdict: str = ""  # for a target that is not a number (checked by the run itself)

    def cells(self) -> list[str]:
        if self.ratio is None:
            return [self.step, self.value, self.target, "", self.verdict]
        return [self.step, self.value, self.target, f"{self.ratio:.2f}", "ok" if self.ratio <= 1 else "**missed**"]


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def kilobytes(size: int) -> str:
    return f"{size / 1000:,.1f} kB"


def page_rows(server: Server, run: str, rounds: int) -> list[Row]:
    cold = first_page(server, run)
    warm = statistics.median(first_page(server, run) for _ in range(rounds))
    table = len(server.get(f"/api/runs/{run}/candidates"))
    goal, pages = f"< {FIRST_PAGE_TARGET_S:.0f} s", "(`/`, runs, candidates, curve)"
    return [
        Row("server start: process start -> address printed", milliseconds(server.printed_s)),
        Row("server start: process start -> connections accepted", milliseconds(server.accepting_s)),
        Row(f"first page, first requests after start {pages}", milliseconds(cold), goal, cold / FIRST_PAGE_TARGET_S),
        Row(f"first page again, median of {rounds}", milliseconds(warm), goal, warm / FIRST_PAGE_TARGET_S),
        Row("the candidate table's answer", kilobytes(table)),
    ]


def update_rows(server: Server, run_dir: Path, search: SyntheticSearch, rounds: int, first_round: int) -> list[Row]:
    offset = json.loads(server.get(f"/api/runs/{run_dir.name}"))["offset"]
    updates = []
    for i in range(rounds):
        done, offset = update(server, run_dir, search, first_round + i, offset)
        updates.append(done)
    start = time.perf_counter()
    nothing = server.get(f"/api/runs/{run_dir.name}/events?since={offset}")
    quiet = time.perf_counter() - start
    if json.loads(nothing)["events"]:
        raise RuntimeError(f"no event was appended, the server answered {nothing[:300]!r}")
    journal = (run_dir / JOURNAL).stat().st_size
    size = kilobytes(round(statistics.median(u.size for u in updates)))
    took = milliseconds(statistics.median(u.seconds for u in updates))
    refreshed = milliseconds(statistics.median(u.refresh_s for u in updates))
    refresh = kilobytes(round(statistics.median(u.refresh_size for u in updates)))
    return [
        Row(f"update: 10 events appended, `events?since=OFFSET`, median of {rounds}", took),
        Row("update: the answer", f"{size} of a {journal / 1e6:.1f} MB journal", "only the new events", verdict="ok"),
        Row("the run page's refresh after an update (summary, candidates, curve)", f"{refreshed}, {refresh}"),
        Row("a poll with nothing new", f"{milliseconds(quiet)}, {len(nothing)} bytes"),
    ]


def cpu_rows(server: Server, run: str, seconds: float, offset: int) -> list[Row]:
    idle = idle_cpu(server, seconds)
    polled = idle_cpu(server, seconds, poll=f"/api/runs/{run}/events?since={offset}")
    goal = f"< {IDLE_CPU_TARGET:.0%} of a core"
    return [
        Row(f"CPU while idle, no client ({seconds:.0f} s)", f"{idle:.2%} of a core", goal, idle / IDLE_CPU_TARGET),
        Row(f"CPU with one page open, polling every second ({seconds:.0f} s)", f"{polled:.2%} of a core"),
    ]


def measure(run_dir: Path, candidates: int, rounds: int, idle: float) -> list[Row]:
    start = time.perf_counter()
    search = write_run(run_dir, candidates)
    size = (run_dir / JOURNAL).stat().st_size
    lines = (run_dir / JOURNAL).read_bytes().count(b"\n")
    described = f"{candidates:,} candidates, {lines:,} events, a {size / 1e6:.1f} MB journal"
    print(f"wrote {described} in {time.perf_counter() - start:.1f} s")
    with Server(run_dir) as server:
        rows = page_rows(server, run_dir.name, rounds)
        rows += update_rows(server, run_dir, search, rounds, candidates - POPULATION + 1)
        offset = json.loads(server.get(f"/api/runs/{run_dir.name}"))["offset"]
        rows += cpu_rows(server, run_dir.name, idle, offset)
    return [Row(f"the run: {described}", ""), *rows]


def table(rows: list[Row]) -> Table:
    header = ["step", "measured", "target", "measured / target", ""]
    return Table(header, [r.cells() for r in rows], ["l", "r", "l", "r", "l"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=2000, help="candidates in the synthetic journal")
    parser.add_argument("--rounds", type=int, default=5, help="repeats of the first page and of the update")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of each CPU window")
    add_docs_option(parser, "dashboard_speed")
    args = parser.parse_args()
    cpu = machine()
    print(cpu)
    print(load_line())
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(Path(tmp) / "run", args.candidates, args.rounds, args.idle)
    print(load_line())
    publish(args, "dashboard_speed", table(rows).markdown(), machine_line=cpu)


if __name__ == "__main__":
    main()
