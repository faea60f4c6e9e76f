"""Data specs: one command-line string that names a dataset and how to read it.

    KIND[:[PATH][,KEY=VALUE]...]

The kinds are the layouts of `anet.data.layouts`, one module each, which declare their options;
`syntax()` lists them, one kind a line. Every real-data kind takes frames=, size=, fps= (sampling
rate; folder/csv/frames default to each video's own rate, charades to 6 fps as in the paper),
flip= (training flip probability), eval_short_side= and objects= (the class count of the
segmentation maps beside each video, for object stems: `anet.data.segmentation`; the proxy takes
objects=3, its own maps). Values fixed in the spec win over the defaults a consumer passes to
`datasets()`, so `proxy:frames=16` means 16 frames whatever the trainer's own default is.

Validation data: folder uses root/val (or validation/) when root/train exists, else a stable hash
holdout (default 10 %); csv uses its split column, else val=FILE, else the holdout; charades uses
val=, else the sibling file with "train" replaced by "test"; frames uses val=, else the sibling list
with "train" replaced by "val", else the holdout.

Parsing checks paths and reads the class lists, so `num_classes`, `multi_label`, `has_flow` and
`objects` are known before any dataset is built (building one checks that every video has its
maps). Every problem (an option the kind does not take included) is a `DataSpecError` whose message
is meant to be shown as it is (no traceback). Paths cannot contain commas. This module builds
nothing but datasets: models and training live elsewhere.
"""

from __future__ import annotations

import re

from .dataspec import Datasets, DataSpec, DataSpecError
from .layout import Layout
from .layouts import LayoutError, registered

__all__ = ["DataSpec", "DataSpecError", "Datasets", "parse_data_spec", "syntax"]

_OPTION = re.compile(r"([a-z_]+)=(.*)", re.DOTALL)


def parse_data_spec(text: str) -> DataSpec:
    """Parse and check a data spec (see the module docstring for the syntax)."""
    kind, _, rest = text.strip().partition(":")
    kind = kind.strip().lower()
    layouts = registered()
    if kind not in layouts:
        raise DataSpecError(f"unknown data kind {kind!r} in {text!r}; expected one of: " + ", ".join(layouts))
    layout = layouts[kind]
    positional, raw = _split_items(text, layout, rest)
    options = layout.values(text, raw)
    try:
        spec = layout.build(text, positional, options)
    except LayoutError as error:
        raise DataSpecError(f"data spec {text!r}: {error}") from error
    unread = set(options) - options.read
    if unread:  # anet's bug: a declared option that does nothing
        raise AssertionError(f"the {kind} layout declares options it never reads: {sorted(unread)}")
    return spec


def syntax() -> str:
    """Every kind's syntax, one line each."""
    return "\n".join(layout.syntax() for layout in registered().values())


def _split_items(text: str, layout: Layout, rest: str) -> tuple[str | None, dict[str, str]]:
    positional: str | None = None
    options: dict[str, str] = {}
    for item in (part.strip() for part in rest.split(",")):
        if not item:
            continue
        match = _OPTION.fullmatch(item)
        if match is None:
            if positional is not None:
                raise DataSpecError(
                    f"data spec {text!r} has two paths ({positional!r}, {item!r}); paths cannot contain "
                    f"commas. Syntax: {layout.syntax()}"
                )
            positional = item
            continue
        key, value = match.groups()
        if key not in layout.options:
            kind = layout.kind
            raise DataSpecError(
                f"unknown option {key!r} for {kind} in {text!r}; {kind} takes: " + ", ".join(sorted(layout.options))
            )
        if key in options:
            raise DataSpecError(f"option {key!r} is given twice in {text!r}")
        options[key] = value.strip()
    if layout.path is None and positional is not None:
        raise DataSpecError(f"{layout.kind} takes no path, got {positional!r}. Syntax: {layout.syntax()}")
    if layout.path is not None and positional is None:
        raise DataSpecError(f"{layout.kind} needs a path in {text!r}. Syntax: {layout.syntax()}")
    return positional, options
