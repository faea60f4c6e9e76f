"""Python names for generated code. Everything the compiler writes into Python comes from here or
is a number: ids and the network name are validated identifiers already, and these helpers add
fixed prefixes so that no id can collide with a keyword, a builtin or an nn.Module attribute."""

from __future__ import annotations

import builtins
import keyword
import re

# Names the generated module binds itself; a class name must not shadow them.
_MODULE_NAMES = frozenset(
    {
        "torch",
        "nn",
        "rt",
        "build_model",
        "SOURCE_SHA256",
        "ARCHITECTURE_HASH",
        "ANET_VERSION",
        "RUNTIME_VERSION",
        "annotations",
    }
)


def class_name(network_name: str) -> str:
    """`assemblenet_50` -> `Assemblenet50`; never a keyword, builtin or module-level name."""
    parts = [p for p in network_name.split("_") if p]
    name = "".join(p[0].upper() + p[1:] for p in parts) or "Network"
    if name[0].isdigit():
        name = "Net" + name
    if keyword.iskeyword(name) or hasattr(builtins, name) or name in _MODULE_NAMES:
        name += "Net"
    assert name.isidentifier()
    return name


def node_attribute(node_id: str) -> str:
    """The submodule attribute of a node: `node_8`, `node_rgb_a`."""
    return _checked(f"node_{node_id}")


def fusion_attribute(node_id: str) -> str:
    return _checked(f"fuse_{node_id}")


def node_variable(node_id: str) -> str:
    """The local in `forward` holding a node's output: `x8`, `x_rgb_a`."""
    return _checked(f"x{node_id}" if node_id.isdigit() else f"x_{node_id}")


def mean_variable(node_id: str) -> str:
    """The local in `forward` holding a peer's per-frame means (AssembleNet++): `m8`, `m_rgb_a`."""
    return _checked(f"m{node_id}" if node_id.isdigit() else f"m_{node_id}")


def source_label(path: str | None) -> str:
    """The .anet file's base name as it may appear in a comment: only [A-Za-z0-9._-]."""
    base = (path or "model.anet").replace("\\", "/").rsplit("/", 1)[-1]
    label = re.sub(r"[^A-Za-z0-9._-]", "_", base) or "model.anet"
    return label if len(label) <= 48 else label[:40] + "..." + label[-5:]


def _checked(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a usable Python name")
    return name
