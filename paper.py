"""The numbers and rules the paper and the authors' implementation fix, stated once for the language,
the compiler, the runtime, the search and the figures.

Plain Python on purpose: the runtime (which generated models import) and the `anet check` path both
read it, so it must import neither torch nor the language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

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
LEVEL_WIDTHS: dict[int, int] = {1: 64, 2: 128, 3: 256, 4: 512}

DILATIONS: tuple[int, ...] = (1, 2, 4, 8)
STRIDES: tuple[int, ...] = (1, 2)
LEVELS: tuple[int, ...] = (1, 2, 3, 4)
RAW_INPUTS: tuple[str, ...] = ("rgb", "flow", "object")

# Channels of each raw input as the network reads it: RGB frames, flow (dx, dy) in pixels. An
# object stem reads a segmentation map with one channel per class, so its count is the stem's C.
INPUT_CHANNELS: dict[str, int] = {"rgb": 3, "flow": 2}
# The input each kind of stem reads (the name of the model's keyword argument).
STEM_INPUTS: dict[str, str] = {"rgb": "rgb", "flow": "flow", "object": "segmentation"}


class Input(NamedTuple):
    """One input clip [B, channels, T, H, W] of a network, a keyword argument of its `forward`. An
    optional input (`required=False`) is computed by the model when not given: flow from RGB."""

    name: str
    channels: int
    required: bool


def default_budget(depth: int | tuple[int, ...]) -> tuple[int, int, int, int, int]:
    """Budgets for explicit repeats default to depth 50's: the channel sums do not depend on the
    number of modules, only on the published widths."""
    return DEFAULT_BUDGETS.get(depth, DEFAULT_BUDGETS[50]) if isinstance(depth, int) else DEFAULT_BUDGETS[50]


def counts_toward_budget(modality: str | None) -> bool:
    """An object stem's C counts segmentation classes, not filters: it is outside every budget
    (`modality` is None for a block)."""
    return modality != "object"


def peer_strengths(weights: Sequence[float | None]) -> list[float]:
    """A block's peer softmax weights, each against the uniform one, through a sigmoid: n p / (1 + n p)
    for n peers and probability p (the sigmoid of the peer's logit measured from the uniform logit).
    0.5 for a peer weighted like the others (as an untrained edge is 0.5), towards 1 for the one
    the block listens to, towards 0 for one it ignores; so a peer weight reads on an edge weight's
    scale whatever the number of peers (the search's guided peer change and the figures use it).
    Written weights need not sum to 1 (softmax renormalises them); when any is missing, all count
    as uniform."""
    n = len(weights)
    if any(w is None for w in weights):
        return [0.5] * n
    total = sum(weights)  # type: ignore[arg-type]
    return [n * w / total / (1 + n * w / total) for w in weights]  # type: ignore[operator]


def edge_allowed(source_level: int, target_level: int) -> bool:
    """The search space: a node feeds any block on a strictly higher level (stems are level 0)."""
    return source_level < target_level


def allowed_edges(nodes: Iterable[tuple[str, int]]) -> list[tuple[str, str]]:
    """Every (source, target) pair the search may connect among (id, level) nodes, ordered by target,
    then source, each in the given order, so that random draws and figures are reproducible."""
    order = list(nodes)
    return [(a, b) for b, b_level in order for a, a_level in order if edge_allowed(a_level, b_level)]
