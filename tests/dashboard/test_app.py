"""The dashboard's HTTP API in-process (Starlette's test client) on real runs: the contract's fields,
incremental events of a growing journal, drawings made by the renderer, errors as JSON, no path
from a URL reaching the file system, nothing written into a run directory, and the run's lock left
alone."""

from __future__ import annotations

import builtins
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import pytest

from anet.cli.lock import run_lock
from anet.dashboard import drawings
from anet.dashboard.app import STATIC, create_app, run_names
from anet.evolution.journal import JOURNAL
from anet.evolution.state import SearchState

with warnings.catch_warnings():  # starlette asks for httpx2, a fork; httpx is what it supports today
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SUMMARY = {
    "name", "path", "strategy", "objective", "population", "rounds", "candidates", "workers", "busy", "best",
    "elapsed_s", "eta_s", "finished", "settings", "damaged", "offset",
}  # fmt: skip
ROW = {"id", "round", "parent", "status", "fitness", "params", "flops", "latency_ms", "mutations", "reason", "seconds"}


def client(*runs: Path) -> TestClient:
    return TestClient(create_app(list(runs)), raise_server_exceptions=True)


def error(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    return response.json()["error"]


def test_the_runs_are_listed_in_the_order_given_with_the_contracts_fields(finished_run, failing_run, tmp_path):
    other = Path(shutil.copytree(finished_run, tmp_path / "b" / "run"))
    api = client(failing_run, finished_run, other)
    runs = api.get("/api/runs").json()["runs"]
    assert [r["name"] for r in runs] == ["run", "run-2", "run-3"]  # three folders named run
    assert [r["path"] for r in runs] == [str(failing_run), str(finished_run), str(other)]
    assert all(set(r) == SUMMARY for r in runs)
    assert runs[0]["candidates"]["failed"] == 1
    assert api.get("/api/runs/run-2").json() | {"elapsed_s": None} == runs[1] | {"elapsed_s": None}
    assert api.get("/api/runs/run").headers["cache-control"] == "no-store"  # the page polls it
    assert run_names([Path("x/run"), Path("y/run"), Path("z/run-2")]) == ["run", "run-2", "run-2-2"]


def test_candidates_curve_and_a_candidates_page(finished_run):
    api = client(finished_run)
    state = SearchState.load(finished_run / JOURNAL)
    table = api.get("/api/runs/run/candidates").json()
    assert set(table) == {"candidates", "offset"} and all(set(r) == ROW for r in table["candidates"])
    assert len(table["candidates"]) == len(state.candidates)
    lines = api.get("/api/runs/run/curve").json()
    assert set(lines) == {"points", "best", "topk", "front", "cost_axis"}
    assert {"id", "round", "fitness", "mutations"} <= set(lines["points"][0])
    page = api.get("/api/runs/run/candidates/c00005").json()
    assert ROW | {"text", "parent_diff", "weights", "peer_weights", "metrics", "curve"} <= set(page)
    assert page["text"] == (finished_run / "candidates" / "c00005.anet").read_text()


def test_events_after_an_offset_as_the_journal_grows_and_when_it_is_replaced(growing, journal_lines):
    api = client(growing.run)
    empty = api.get("/api/runs/live/events?since=0").json()
    assert empty == {"offset": 0, "reset": False, "events": [], "damaged": []}
    growing.append(b"".join(journal_lines[:4]) + journal_lines[4][:7])  # line 5 half-written
    first = api.get("/api/runs/live/events", params={"since": 0}).json()
    assert [e["line"] for e in first["events"]] == [1, 2, 3, 4] and first["events"][0]["event"] == "start"
    growing.append(journal_lines[4][7:] + b"not json\n" + journal_lines[5])
    later = api.get(f"/api/runs/live/events?since={first['offset']}").json()
    assert [e["line"] for e in later["events"]] == [5, 7] and later["reset"] is False
    assert [d["line"] for d in later["damaged"]] == [6]
    assert api.get(f"/api/runs/live/events?since={later['offset']}").json()["events"] == []
    assert api.get("/api/runs/live").json()["damaged"] == later["damaged"]
    growing.path.write_bytes(b"".join(journal_lines[:2]))  # repaired: shorter
    replaced = api.get(f"/api/runs/live/events?since={later['offset']}").json()
    assert replaced["reset"] is True and [e["line"] for e in replaced["events"]] == [1, 2]
    for bad in ("-1", "abc", "1.5", "", "１"):
        assert "since must be a whole number" in error(api.get(f"/api/runs/live/events?since={bad}"), 400)


def test_a_nan_in_an_event_is_sent_as_null(growing, journal_lines):
    created = next(line for line in journal_lines if b'"created"' in line)
    cid = json.loads(created)["id"]
    nan = {"event": "evaluated", "id": cid, "fitness": 0.5, "metrics": {"loss": float("nan")}, "weights": {}}
    growing.append(journal_lines[0] + created + json.dumps(nan).encode() + b"\n")
    api = client(growing.run)
    events = api.get("/api/runs/live/events?since=0")
    assert "NaN" not in events.text and events.json()["events"][2]["metrics"] == {"loss": None}
    assert api.get(f"/api/runs/live/candidates/{cid}").json()["metrics"] == {"loss": None}


def test_drawings_are_the_renderers_svgs_and_the_lineage_links_every_candidate(failing_run, dot_installed):
    api = client(failing_run)
    drawing = api.get("/api/runs/run/candidates/c00003/drawing.svg")
    assert drawing.status_code == 200 and drawing.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in drawing.content and b"c00003" in drawing.content
    lineage = api.get("/api/runs/run/lineage.svg")
    assert lineage.headers["content-type"] == "image/svg+xml"
    links = re.findall(rb'<a href="([^"]+)" xlink:href="\1"[^>]* target="_top"', lineage.content)
    state = SearchState.load(failing_run / JOURNAL)
    assert sorted(links) == sorted(f"#/runs/run/candidates/{cid}".encode() for cid in state.candidates)
    assert state.candidates["c00002"].status == "failed"  # drawn too, without fitness
    assert b"c00002; round 0; fitness None" in lineage.content
    assert error(api.get("/api/runs/run/candidates/c99999/drawing.svg"), 404) == "run 'run' has no candidate 'c99999'"


@pytest.fixture
def dot_installed() -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


def test_without_dot_the_drawings_answer_503_and_the_rest_works(finished_run, monkeypatch):
    monkeypatch.setattr(drawings, "dot_available", lambda: False)
    api = client(finished_run)
    for url in ("/api/runs/run/candidates/c00001/drawing.svg", "/api/runs/run/lineage.svg"):
        assert "Graphviz's dot is not installed" in error(api.get(url), 503)
    assert api.get("/api/runs/run").status_code == 200


def test_unknown_runs_and_candidates_and_paths_out_of_the_run_are_404_without_a_file_opened(finished_run, monkeypatch):
    api = client(finished_run)
    touched: list[str] = []
    for module, name in ((os, "stat"), (os, "lstat"), (os, "open"), (os, "scandir"), (builtins, "open")):
        original = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda path, *a, _f=original, **k: touched.append(str(path)) or _f(path, *a, **k)
        )
    urls = [
        "/api/runs/..%2F..%2Fetc/candidates/x",
        "/api/runs/..%2F..%2Fetc%2Fpasswd",
        "/api/runs/%2Fetc%2Fpasswd/candidates",
        "/api/runs/run/candidates/..%2F..%2Fjournal",
        "/api/runs/run/candidates/..%2Fjournal.jsonl",
        "/api/runs/run/candidates/../../journal",
        "/api/runs/run/candidates/%00",
        "/api/runs/run/candidates/c00001%00.anet",
        "/api/runs/run/candidates/%2E%2E",
        "/api/runs/run/candidates/%2E%2E/drawing.svg",
        "/api/runs/run%00/curve",
        "/api/runs/nope/lineage.svg",
    ]
    for url in urls:
        assert error(api.get(url), 404), url
    # at most the served run's journal was looked at (its stat, to see whether it grew)
    assert set(touched) <= {str(finished_run / JOURNAL)}, touched
    assert error(api.get("/api/runs/nope"), 404) == "no run named 'nope' is served here"
    assert api.get("/static/..%2F..%2Fapp.py").status_code == 404


def test_the_page_and_plotly_are_served_from_the_package(finished_run):
    api = client(finished_run)
    page = api.get("/")
    assert page.status_code == 200 and page.text == (STATIC / "index.html").read_text()
    plotly = api.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and b"plotly.js" in plotly.content[:200]
    assert "javascript" in plotly.headers["content-type"]
    assert not re.search(r"""(src|href)=["']https?://""", page.text), "nothing from a CDN"


def test_the_server_writes_nothing_into_a_run_and_leaves_its_lock_alone(run_copy, dot_installed):
    def snapshot() -> dict[str, tuple[int, int]]:
        return {str(p.relative_to(run_copy)): (p.stat().st_size, p.stat().st_mtime_ns) for p in run_copy.rglob("*")}

    with run_lock(run_copy):  # as `anet evolve` holds it while it runs
        before = snapshot()
        api = client(run_copy)
        urls = ["/api/runs", "/api/runs/run", "/api/runs/run/candidates", "/api/runs/run/curve"]
        urls += ["/api/runs/run/events?since=0", "/api/runs/run/candidates/c00004", "/api/runs/run/lineage.svg"]
        urls += ["/api/runs/run/candidates/c00004/drawing.svg", "/api/runs/run/candidates/nope"]
        assert [api.get(url).status_code for url in urls] == [200] * 8 + [404]
        assert snapshot() == before


def test_a_large_lineage_is_laid_out_the_fast_way_with_every_link(failing_run, dot_installed, monkeypatch):
    state = SearchState.load(failing_run / JOURNAL)
    tree = drawings.lineage_of(state, failing_run)
    assert "nslimit" not in drawings.lineage_figure(tree, "run").source  # a small one: as `anet render` draws it
    monkeypatch.setattr(drawings, "LARGE_LINEAGE", len(state.candidates) - 1)
    assert "graph [nslimit=0.01 nslimit1=0.01 splines=line]" in drawings.lineage_figure(tree, "run").source
    lineage = client(failing_run).get("/api/runs/run/lineage.svg").content
    assert len(re.findall(rb'<a href="#/runs/run/candidates/c\d+"', lineage)) == len(state.candidates)
