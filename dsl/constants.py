"""The language's own limits, and the paper's numbers it checks files against (stated in
`anet.paper`, re-exported here for the language's modules)."""

from __future__ import annotations

from ..paper import (
    DEFAULT_BUDGETS,
    DEPTH_REPEATS,
    DILATIONS,
    LEVEL_WIDTHS,
    LEVELS,
    RAW_INPUTS,
    STRIDES,
    default_budget,
)

__all__ = [
    "DEFAULT_BUDGETS",
    "DEPTH_REPEATS",
    "DILATIONS",
    "LEVELS",
    "LEVEL_WIDTHS",
    "MAX_BUDGET",
    "MAX_CHANNELS",
    "MAX_CLASSES",
    "MAX_FRAMES",
    "MAX_INT_DIGITS",
    "MAX_REPEATS",
    "MAX_SIZE",
    "RAW_INPUTS",
    "STEM_CODES",
    "STRIDES",
    "default_budget",
]

# Upper bounds on what a file may ask for, far above the published models (339 classes, at most 23
# module repeats, clips of 32-128 frames of 224 px, C <= 512), so that a typo such as `classes
# 1000000000000` is a located error instead of a model that exhausts memory when it is built.
MAX_CLASSES = 100_000
MAX_REPEATS = 64
MAX_FRAMES = 1024
MAX_SIZE = 1024
MAX_CHANNELS = 4096  # C of one node (an object stem's C counts segmentation classes: same bound)
MAX_BUDGET = 65_536  # a per-level sum of C
# Integer literals longer than this are reported without being converted (every bound above has
# fewer digits; Python refuses to convert more than 4,300).
MAX_INT_DIGITS = 20

# Published flat-list stem codes.
STEM_CODES: dict[str, int] = {"rgb": -1, "flow": -2, "object": -3}
