"""The benchmarks are the package `benchmarks` of the repository root, run as `python -m
benchmarks.NAME` from there; not installed, so the tests import it from its folder."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def import_benchmark(name: str) -> ModuleType:
    """The module benchmarks.NAME. Some set OpenMP's environment as the `anet` command does when they are
    imported (precision, inference_options): the test process's environment is put back after."""
    environ = dict(os.environ)
    try:
        return load(name)
    finally:
        os.environ.clear()
        os.environ.update(environ)


def load(name: str) -> ModuleType:
    if "benchmarks" not in sys.modules:
        spec = importlib.util.spec_from_file_location("benchmarks", ROOT / "benchmarks" / "__init__.py")
        assert spec and spec.loader
        package = importlib.util.module_from_spec(spec)
        sys.modules["benchmarks"] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"benchmarks.{name}")


@pytest.fixture
def benchmark_module():
    return import_benchmark
