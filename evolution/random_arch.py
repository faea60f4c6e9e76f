"""Initial architectures as in section 3.2: 2 or 4 stems (half RGB, half flow), two blocks at each
of levels 1-3 and one at level 4 with the level's budget shared equally, 1-5 random node splits,
r drawn from {1, 2, 4, 8} for every node, every allowed edge added with p = 0.5, and graphs with
depth < 4 drawn again. In a search with attention, each block then gets the run's attention with
p = 0.5 (drawn last: without attention, the draws are those of before)."""

from __future__ import annotations

import numpy as np

from ..dsl import Header
from ..dsl.constants import DILATIONS
from ..dsl.values import AttentionMode
from .arch import Arch, NodeSpec
from .edges import connect_randomly
from .nodes import split, splittable
from .repair import repair

MIN_DEPTH = 4
STRIDES = {1: 1, 2: 2, 3: 2, 4: 2}  # as in the published models: level 1 keeps the stems' resolution
ATTENTION_PROBABILITY = 0.5  # as the edges': an initial population with and without attention alike


def random_architecture(
    header: Header,
    rng: np.random.Generator,
    *,
    edge_probability: float = 0.5,
    attention: AttentionMode = "none",
    max_tries: int = 1000,
) -> tuple[Arch, int]:
    """A random valid architecture and the number of splits applied; `attention` is the run's mode."""
    for _ in range(max_tries):
        arch = Arch(header, {})
        stems = 2 if rng.random() < 0.5 else 4
        for i in range(stems):
            modality = "rgb" if i < stems // 2 else "flow"
            r = int(rng.choice(DILATIONS)) if modality == "rgb" else 1
            arch.nodes[str(i)] = NodeSpec(str(i), 0, header.channel_budget(0) // stems, r, modality=modality)
        for level, count in ((1, 2), (2, 2), (3, 2), (4, 1)):
            for _ in range(count):
                node_id = arch.new_id()
                arch.nodes[node_id] = NodeSpec(
                    node_id, level, header.channel_budget(level) // count, int(rng.choice(DILATIONS)), STRIDES[level]
                )
        splits = int(rng.integers(1, 6))
        for _ in range(splits):
            candidates = splittable(arch)
            first, second = split(arch, candidates[int(rng.integers(len(candidates)))])
            for node_id in (first, second):
                arch.nodes[node_id].r = int(rng.choice(DILATIONS))
        connect_randomly(arch, rng, p=edge_probability)
        repair(arch, rng)
        if arch.depth() >= MIN_DEPTH:
            if attention != "none":
                for node, x in zip(arch.blocks(), rng.random(len(arch.blocks())), strict=True):
                    node.attention = attention if x < ATTENTION_PROBABILITY else None
            return arch, splits
    raise RuntimeError(f"no random architecture of depth >= {MIN_DEPTH} in {max_tries} tries")
