"""Running generated code without writing it to disk: the module is registered in `linecache`
(as torch.fx does) so that tracebacks and debuggers show the generated lines."""

from __future__ import annotations

import hashlib
import linecache
import sys
import types
from pathlib import Path

from ..dsl import Network, load
from .emit import compile_network


def load_source(source: str, module_name: str, filename: str | None = None) -> types.ModuleType:
    """Execute generated source as module `module_name` (kept in sys.modules for pickling)."""
    filename = filename or f"<anet:{module_name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules[module_name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def compile_to_module(network: Network, source_text: str, source_path: str | None = None) -> types.ModuleType:
    source = compile_network(network, source_text, source_path)
    name = f"anet_generated_{network.header.name}_{hashlib.sha256(source.encode()).hexdigest()[:12]}"
    return load_source(source, name)


def compile_file(path: str | Path) -> types.ModuleType:
    """Load an .anet file and return the imported generated module (with `build_model`)."""
    path = Path(path)
    network = load(path)
    return compile_to_module(network, path.read_text(encoding="utf-8"), str(path))
