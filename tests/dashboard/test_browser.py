"""A real browser on `anet runs serve`: headless Chromium (Debian's, driven by selenium through its
chromedriver) opens the dashboard of a real `anet runs serve` subprocess on run directories written by
`anet evolve`, and sees what a person would: a candidate appearing in the table while a search runs in
another process (without reloading the page), a candidate's drawing and text, a lineage whose nodes open
their candidates, and a damaged journal line shown as a warning while the page goes on working.

Every wait is bounded (WAIT_S) and every process started here (browser, server, search) is stopped in a
`finally`, so a test that fails leaves nothing running. With ANET_WRITE_SCREENSHOT=1 the live test also
saves docs/figures/dashboard.png (1280x800) of the page it checked, so the figure is what the test saw.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from anet.cli.main import anet
from anet.evolution.journal import JOURNAL

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Chromium and chromedriver (`chromium`, `chromedriver`): `make setup` installs them",
)

T = TypeVar("T")
WAIT_S = 30.0  # for anything the page shows; a 2-core machine under load usually takes about a second
WIDTH, HEIGHT = 1280, 800
SCREENSHOT = ROOT / "docs" / "figures" / "dashboard.png"
SERVING = re.compile(r"serving \d+ run\(s\) at (http://[^/\s]+)")
# The smallest searches the search's own tests run: a free synthetic fitness, four members.
FINISHED = ["--fitness", "synthetic", "--population", "4", "--rounds", "6", "--random-seed", "3"]
ENDLESS = ["--fitness", "synthetic", "--population", "4", "--rounds", "100000", "--random-seed", "3"]


# -- processes ----------------------------------------------------------------------------------------


@contextmanager
def serving(runs: list[Path], log: Path) -> Iterator[str]:
    """`anet runs serve RUNS --port 0` in a subprocess; yields the address it printed. Its output goes to
    a file (a pipe nobody reads could fill and stall it), read back for the address."""
    command = [sys.executable, "-m", "anet", "runs", "serve", *map(str, runs), "--port", "0"]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=os.environ | {"PYTHONUNBUFFERED": "1"}
        )
    try:
        url = address(server, log)
        try:  # at once: a script (or a browser opened by one) that reads the address must not be refused
            urllib.request.urlopen(f"{url}/api/runs", timeout=WAIT_S).close()
        except urllib.error.URLError as error:
            raise AssertionError(f"the printed address {url} refused the first request: {error.reason}") from error
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def address(server: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + WAIT_S
    while not (match := SERVING.search(log.read_text(errors="replace"))):
        assert server.poll() is None, f"anet runs serve exited {server.returncode}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"anet runs serve printed no address:\n{log.read_text()}"
        time.sleep(0.05)
    return match.group(1)


@contextmanager
def searching(run: Path) -> Iterator[subprocess.Popen]:
    """`anet evolve --out RUN` running in its own process group (killed whole at the end, workers too)."""
    with (run.parent / "evolve.log").open("wb") as log:
        search = subprocess.Popen(
            [sys.executable, "-m", "anet", "evolve", "--out", str(run), *ENDLESS],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield search
    finally:
        if search.poll() is None:
            os.killpg(search.pid, signal.SIGKILL)
        search.wait()


def wait_for_lines(journal: Path, search: subprocess.Popen, count: int) -> None:
    deadline = time.monotonic() + WAIT_S * 2  # the search's start imports torch
    while not journal.exists() or journal.read_bytes().count(b"\n") < count:
        assert search.poll() is None, (journal.parent.parent / "evolve.log").read_text()
        assert time.monotonic() < deadline, "the search made no progress"
        time.sleep(0.05)


def chromium() -> WebDriver:
    options = Options()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    options.add_argument("--headless=new")
    options.add_argument(f"--window-size={WIDTH},{HEIGHT}")
    options.add_argument("--disable-dev-shm-usage")  # containers give /dev/shm 64 MB
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    # The viewport itself 1280x800 (the window size includes none of it in new headless, but be exact).
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


# -- the page -----------------------------------------------------------------------------------------


def wait(browser: WebDriver, what: str, condition: Callable[[WebDriver], T], timeout: float = WAIT_S) -> T:
    """WebDriverWait with a message naming what did not happen, and the page's console errors."""
    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)
    except Exception as error:
        logs = browser.get_log("browser") if hasattr(browser, "get_log") else []
        raise AssertionError(
            f"{what} within {timeout:.0f} s; page at {browser.current_url}; console: {logs}"
        ) from error


def row_ids(browser: WebDriver) -> set[str]:
    """The candidate table's row ids, read in one script (the table may be redrawn between two calls)."""
    script = "return [...document.querySelectorAll('table#candidates tbody tr[data-id]')].map(r => r.dataset.id)"
    return set(browser.execute_script(script))


def text_of(browser: WebDriver, selector: str) -> str:
    """An element's whole text ('' while there is none): textContent, which SVG text has too."""
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : ''", selector
    )


def node_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("stem ", "block "))]


def created_ids(journal: Path) -> list[str]:
    return [m.decode() for m in re.findall(rb'"event":"created".*?"id":"(c\d+)"', journal.read_bytes())]


def screenshot(browser: WebDriver) -> None:
    """docs/figures/dashboard.png, when asked for (ANET_WRITE_SCREENSHOT=1): tests leave the tree alone."""
    if os.environ.get("ANET_WRITE_SCREENSHOT") == "1":
        assert browser.save_screenshot(str(SCREENSHOT))


# -- a finished run and a damaged copy, served once for the tests that only read ----------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path, int]:
    """A finished search's run directory, and a copy of its journal (alone) with one line in the middle
    torn as a crash mid-write leaves it; that line's number."""
    base = tmp_path_factory.mktemp("dashboard")
    run, damaged = base / "run", base / "damaged"
    result = CliRunner().invoke(anet, ["evolve", "--out", str(run), *FINISHED])
    assert result.exit_code == 0, result.output
    lines = (run / JOURNAL).read_bytes().splitlines(keepends=True)
    index = next(i for i in range(len(lines) // 2, len(lines)) if b'"event":"measured"' in lines[i])
    lines[index] = lines[index][: len(lines[index]) // 2] + b"\n"
    damaged.mkdir()
    (damaged / JOURNAL).write_bytes(b"".join(lines))
    return run, damaged, index + 1


@pytest.fixture(scope="module")
def served(runs, tmp_path_factory) -> Iterator[str]:
    run, damaged, _ = runs
    with serving([run, damaged], tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


# -- the tests ----------------------------------------------------------------------------------------


@pytest.mark.slow  # a search in a subprocess, a server and a browser: about 10 s on 2 cores
def test_a_new_candidate_appears_in_the_table_while_the_search_runs(browser, tmp_path):
    run = tmp_path / "live"
    with searching(run) as search:
        wait_for_lines(run / JOURNAL, search, 14)  # the start and the initial population's first events
        with serving([run], tmp_path / "serve.log") as url:
            browser.get(f"{url}/#/runs/live")
            first = wait(browser, "the table lists the search's candidates", row_ids)
            browser.execute_script("window.anetNotReloaded = true")  # a reload would drop it
            new = wait(browser, "a new candidate row", lambda b: row_ids(b) - first)
            assert browser.execute_script("return window.anetNotReloaded") is True
            assert new <= set(created_ids(run / JOURNAL))
            assert "live" in text_of(browser, "#status")
            if os.environ.get("ANET_WRITE_SCREENSHOT") == "1":
                wait(browser, "40 candidates for the figure", lambda b: len(row_ids(b)) >= 40, timeout=120)
                time.sleep(1.5)  # the plots' redraw
                screenshot(browser)


def test_a_candidate_page_shows_the_drawing_and_the_text_of_its_file(browser, served, runs):
    run, _, _ = runs
    cid = "c00005"
    written = (run / "candidates" / f"{cid}.anet").read_text(encoding="utf-8")
    browser.get(f"{served}/#/runs/run/candidates/{cid}")
    wait(browser, "the drawing", lambda b: b.find_elements(By.CSS_SELECTOR, "#drawing svg"))
    wait(browser, "the candidate's text", lambda b: f"network {cid}" in text_of(b, "pre#text"))
    assert node_lines(text_of(browser, "pre#text")) == node_lines(written)
    stems = sum(line.startswith("stem ") for line in node_lines(written))
    drawing = text_of(browser, "#drawing svg")
    assert cid in drawing and f"{stems} stems, {len(node_lines(written)) - stems} blocks" in drawing


def test_a_lineage_node_opens_its_candidates_page(browser, served, runs):
    run, _, _ = runs
    browser.get(f"{served}/#/runs/run/lineage")
    script = (
        "return [...document.querySelectorAll('#lineage svg a')]"
        ".map(a => a.getAttribute('href') || a.getAttribute('xlink:href'))"
    )
    hrefs = wait(browser, "linked nodes in the lineage", lambda b: [h for h in b.execute_script(script) if h])
    assert sorted(hrefs) == sorted(f"#/runs/run/candidates/{c}" for c in created_ids(run / JOURNAL))
    target = hrefs[-1]
    cid = target.rsplit("/", 1)[1]
    node = browser.find_elements(By.CSS_SELECTOR, "#lineage svg a")[-1]
    node.click()
    wait(browser, f"the page of {cid} after a click", lambda b: b.execute_script("return location.hash") == target)
    wait(browser, f"the text of {cid}", lambda b: f"network {cid}" in text_of(b, "pre#text"))


def test_a_damaged_journal_line_is_shown_and_the_candidates_still_listed(browser, served, runs):
    _, damaged, line = runs
    browser.get(f"{served}/#/runs/damaged")
    wait(browser, "the damaged line in #damaged", lambda b: str(line) in text_of(b, "#damaged"))
    assert wait(browser, "the candidates", row_ids) == set(created_ids(damaged / JOURNAL))
