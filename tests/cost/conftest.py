"""The cost tests run a full-width model once per test: on one intra-op thread, as the compiler's
tests do and for the same reason (tests/compiler/conftest.py, `one_thread`): on the shared 2-core
machine two OpenMP threads competing with other processes made these tests 3x slower (24 s, not 7 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
