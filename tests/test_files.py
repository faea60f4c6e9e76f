"""`write_atomic`: never half a file, and the permissions an ordinary write would give."""

from __future__ import annotations

import os
import stat

import pytest

from anet import files
from anet.files import current_umask, write_atomic


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_0666_less_the_umask(tmp_path, umask_027):
    assert current_umask() == 0o027
    write_atomic(tmp_path / "new.anet", "network n\n")
    assert mode(tmp_path / "new.anet") == 0o640
    assert (tmp_path / "new.anet").read_text() == "network n\n"


@pytest.mark.parametrize("kept", [0o600, 0o755, 0o664])
def test_a_replaced_file_keeps_its_mode(tmp_path, umask_027, kept):
    target = tmp_path / "old.anet"
    target.write_text("before")
    target.chmod(kept)
    write_atomic(target, b"after", durable=False)
    assert mode(target) == kept and target.read_bytes() == b"after"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "old.anet"
    target.write_text("before")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "after")
    assert target.read_text() == "before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.anet"]
