"""A real editor: headless Neovim starts `anet lsp`, shows for a broken file exactly what `anet check`
reports (codes, severities, places, messages), clears the diagnostics once the buffer is fixed, shows
a node's hover and formats an untidy line as `anet fmt` does.

Debian's Neovim is 0.7, which has `vim.lsp.start_client` but not `vim.lsp.start` (0.8+). The Lua
script reads its parameters from a JSON file, records what Neovim holds in `vim.diagnostic.get()` at
each step, and writes it back as JSON; every wait in it is bounded and Neovim runs under a timeout,
so a server that never answers fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="needs Neovim (`nvim`): `make setup` installs it")

WAIT_MS = 30_000  # per step, generous for a loaded 2-core machine; the server usually answers in < 1 s
NVIM_TIMEOUT_S = 4 * WAIT_MS / 1000

# An error and a warning: node 7 does not exist (E131) and block 2 feeds no level-4 block (W140).
BROKEN = (
    "network tiny\n"
    "  classes 4\n"
    "stem 0 in=[rgb] C=64 r=1\n"
    "stem 1 in=[flow] C=64 r=1\n"
    "block 2 level=1 in=[0, 7] C=64 r=1\n"
    "block 3 level=4 in=[0, 1] C=512 r=1\n"
)
FIXED_LINES = ["block 2 level=1 in=[0] C=64 r=1", "block 3 level=4 in=[1, 2] C=512 r=1"]  # replace lines 5-6
UNTIDY = "block 3  level=4 in=[1,2]   C=512 r=1"  # then line 6 so, for the formatter to tidy

SCRIPT = r"""
local params = vim.fn.json_decode(table.concat(vim.fn.readfile(vim.env.ANET_NVIM_PARAMS), "\n"))
local result = {}

local function shown()
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(out, {code = d.code, severity = d.severity, message = d.message, source = d.source,
                       lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col})
  end
  return out
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(params.file))
  vim.bo.filetype = "anet"
  local exited = nil
  local client = vim.lsp.start_client({
    name = "anet", cmd = params.cmd, root_dir = params.root,
    on_exit = function(code, signal) exited = {code = code, signal = signal} end,
  })
  assert(client, "vim.lsp.start_client did not start the server")
  assert(vim.lsp.buf_attach_client(0, client), "vim.lsp.buf_attach_client failed")
  result.appeared = vim.wait(params.wait_ms, function() return #vim.diagnostic.get(0) > 0 end, 20)
  result.broken = shown()
  vim.api.nvim_buf_set_lines(0, params.fix_start, params.fix_end, false, params.fix_lines)
  result.cleared = vim.wait(params.wait_ms, function() return #vim.diagnostic.get(0) == 0 end, 20)
  result.fixed = shown()
  local at = {textDocument = vim.lsp.util.make_text_document_params(), position = params.hover_at}
  local answers = vim.lsp.buf_request_sync(0, "textDocument/hover", at, params.wait_ms) or {}
  local answer = answers[client] and answers[client].result
  result.hover = answer and answer.contents.value
  vim.api.nvim_buf_set_lines(0, params.untidy_line, params.untidy_line + 1, false, {params.untidy})
  vim.lsp.buf.formatting_sync(nil, params.wait_ms)  -- 0.8 renamed it vim.lsp.buf.format
  result.formatted = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  vim.lsp.stop_client(client)
  vim.wait(params.wait_ms, function() return exited ~= nil end, 20)
  result.exit = exited
end)
if not ok then result.error = tostring(err) end
vim.fn.writefile({vim.fn.json_encode(result)}, params.out)
vim.cmd("qall!")
"""


def run_neovim(tmp_path: Path, text: str, fix: tuple[int, int, list[str]]) -> dict:
    """Open ``text`` as a .anet file in headless Neovim with `anet lsp` attached, apply ``fix``
    (0-based start line, end line exclusive, new lines) and return what the script recorded."""
    source = tmp_path / "tiny.anet"
    source.write_text(text, encoding="utf-8")
    script = tmp_path / "diagnostics.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "seen.json"
    params = {
        "file": str(source),
        "root": str(tmp_path),
        "cmd": [sys.executable, "-m", "anet", "lsp"],
        "wait_ms": WAIT_MS,
        "fix_start": fix[0],
        "fix_end": fix[1],
        "fix_lines": fix[2],
        "hover_at": {"line": 5, "character": len("block ")},  # block 3's id, after the fix
        "untidy_line": 5,
        "untidy": UNTIDY,
        "out": str(out),
    }
    (tmp_path / "params.json").write_text(json.dumps(params), encoding="utf-8")
    env = {**os.environ, "ANET_NVIM_PARAMS": str(tmp_path / "params.json")}
    done = subprocess.run(
        [NVIM, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {script}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=NVIM_TIMEOUT_S,
        check=False,
    )
    assert out.exists(), f"Neovim wrote no result (exit {done.returncode}): {done.stderr or done.stdout}"
    return json.loads(out.read_text(encoding="utf-8"))


def anet_check(path: Path) -> list[dict]:
    """`anet check --format json`'s diagnostics for ``path``: what the editor must show."""
    done = subprocess.run(
        [sys.executable, "-m", "anet", "check", "--format", "json", str(path)], capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def anet_fmt(text: str) -> str:
    """What `anet fmt` makes of ``text``: what the editor's formatting must give."""
    done = subprocess.run([sys.executable, "-m", "anet", "fmt", "-"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_neovim_shows_diagnostics_hover_and_formatting_from_anet_lsp(tmp_path: Path):
    seen = run_neovim(tmp_path, BROKEN, (4, 6, FIXED_LINES))
    assert "error" not in seen, seen["error"]
    expected = anet_check(tmp_path / "tiny.anet")
    assert sorted(d["code"] for d in expected) == ["E131", "W140"]  # the file is as broken as intended
    assert seen["appeared"], "no diagnostics reached Neovim"
    severity = {"error": 1, "warning": 2}  # vim.diagnostic.severity.ERROR, .WARN
    shown = sorted(seen["broken"], key=lambda d: (d["lnum"], d["col"]))
    assert len(shown) == len(expected)
    for got, want in zip(shown, sorted(expected, key=lambda d: (d["line"], d["column"])), strict=True):
        place = (got["lnum"], got["col"], got["end_lnum"], got["end_col"])
        assert place == (want["line"] - 1, want["column"] - 1, want["end_line"] - 1, want["end_column"] - 1)
        assert (got["code"], got["severity"], got["source"]) == (want["code"], severity[want["severity"]], "anet")
        assert got["message"].startswith(want["message"])
    assert seen["cleared"] and seen["fixed"] == [], f"the fix left {seen['fixed']}"
    assert seen["hover"] is not None and seen["hover"].startswith("**block 3**: level 4 block")
    untidy = "\n".join([*BROKEN.splitlines()[:4], FIXED_LINES[0], UNTIDY]) + "\n"
    assert seen["formatted"] == anet_fmt(untidy).splitlines()
    assert seen["exit"] == {"code": 0, "signal": 0}, "the server did not shut down cleanly"
