"""Numbers fixed by the paper and the authors' implementation, in one place for the language,
the compiler and the search. (The runtime keeps its own copy of the 3x3 widths: it must not import
anet.dsl.)"""

from __future__ import annotations

# Module repeats per block at levels 1-4: the paper's m = 1.5, 2, 3, 1.5 (and 11.5 at level 3 for
# depth 101) counted in modules, as in the published `repeats_per_level`.
DEPTH_REPEATS: dict[int, tuple[int, int, int, int]] = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}

# Per-level channel sums of the published models (stems, levels 1-4): the default budgets.
DEFAULT_BUDGETS: dict[int, tuple[int, int, int, int, int]] = {
    50: (128, 128, 256, 512, 512),
    101: (128, 128, 256, 384, 256),
}

# Width D of the 3x3 convs at levels 1-4, fixed per level (appendix A.2): what makes split and
# merge keep the parameter count.
LEVEL_WIDTHS: tuple[int, int, int, int] = (64, 128, 256, 512)

DILATIONS: tuple[int, ...] = (1, 2, 4, 8)
STRIDES: tuple[int, ...] = (1, 2)
LEVELS: tuple[int, ...] = (1, 2, 3, 4)
RAW_INPUTS: tuple[str, ...] = ("rgb", "flow", "object")

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


def default_budget(depth: int | tuple[int, ...]) -> tuple[int, int, int, int, int]:
    """Budgets for explicit repeats default to depth 50's: the channel sums do not depend on the
    number of modules, only on the published widths."""
    return DEFAULT_BUDGETS.get(depth, DEFAULT_BUDGETS[50]) if isinstance(depth, int) else DEFAULT_BUDGETS[50]
