"""Hypothesis strategies for valid architectures, shared by the language and search tests."""

from __future__ import annotations

import keyword

import numpy as np
from hypothesis import strategies as st

from anet.dsl import Block, Budget, Edge, Header, Mutation, Network, Retrained, Stem, Trivia, architecture_hash
from anet.dsl.ast import MUTATION_KINDS, RESERVED_IDS, Peer
from anet.dsl.constants import DILATIONS, default_budget
from anet.dsl.header import HEADER_KEYWORDS

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"
names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z").filter(lambda s: s not in RESERVED_IDS)
node_ids = st.one_of(names, st.integers(0, 10_000).map(str))
comment_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="\x7f"), max_size=30
).map(lambda s: ("# " + s).rstrip())
weights = st.floats(min_value=1e-6, max_value=1 - 1e-6).map(lambda w: float(np.float32(w))).filter(lambda w: 0 < w < 1)
peer_weights = st.floats(min_value=1e-6, max_value=1).map(lambda w: float(np.float32(w))).filter(lambda w: 0 < w <= 1)
attention_modes = st.sampled_from(["none", "self", "peer"])


@st.composite
def trivia(draw: st.DrawFn, *, blank_first: bool, comments_only: bool = False) -> Trivia:
    """Trivia already in canonical form (what the parser produces): no blank line first where the
    printer puts its own, never two blank lines in a row."""
    items = draw(st.lists(comment_text if comments_only else st.one_of(comment_text, st.just("")), max_size=3))
    out: list[str] = []
    for item in items:
        if item == "" and ((not out and not blank_first) or (out and out[-1] == "")):
            continue
        out.append(item)
    note = draw(st.none() | comment_text)
    return Trivia(before=tuple(out), note=note)


@st.composite
def plus_attributes(draw: st.DrawFn, below: list[Stem | Block], level: int) -> dict:
    """A block's AssembleNet++ attributes: its own attention (or the header's), and an explicit peer
    list of lower-level nodes (or the default), weighted all or none."""
    out: dict = {}
    if draw(st.booleans()):
        out["attention"] = draw(attention_modes)
    candidates = [n.id for n in below if n.level < level]
    if candidates and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4, unique=True))
        weighted = draw(st.booleans())
        out["peers"] = tuple(Peer(source=c, weight=draw(peer_weights) if weighted else None) for c in chosen)
    return out


def _optional_header(depth: int | tuple[int, ...]) -> dict:
    """The header settings a generated file may leave out, each drawn with probability 1/2."""
    return {
        "depth": st.just(depth),
        "pool": st.sampled_from(["avg", "max"]),
        "flow": st.sampled_from(["computed", "input"]),
        "frames": st.integers(1, 128),
        "size": st.integers(1, 512),
        "width": st.floats(min_value=1e-3, max_value=64, allow_nan=False),
        "parent": st.text(alphabet=_NAME_CHARS + "/.- ", max_size=20),
        "round": st.integers(0, 10_000),
        "fitness": st.floats(allow_nan=False, allow_infinity=False),
        "latency": st.floats(min_value=0, allow_infinity=False),
        "gflops": st.floats(min_value=0, allow_infinity=False),
        "params": st.integers(0, 10**12),
        "retrained": st.one_of(
            st.builds(Retrained, mean=st.floats(allow_nan=False, allow_infinity=False), runs=st.just(1)),
            st.builds(
                Retrained,
                mean=st.floats(allow_nan=False, allow_infinity=False),
                se=st.floats(min_value=0, allow_infinity=False),
                runs=st.integers(2, 100),
            ),
        ),
        "mutations": st.lists(
            st.builds(Mutation, kind=st.sampled_from(MUTATION_KINDS), args=st.lists(node_ids, max_size=3).map(tuple)),
            max_size=4,
        ).map(tuple),
    }


@st.composite
def networks(draw: st.DrawFn, *, max_per_level: int = 4, with_trivia: bool = True, plus: bool = False) -> Network:
    """A random valid network: 1-4 stems, 1..max_per_level blocks at levels 1-3, 1-2 at level 4,
    inputs drawn from lower levels, every node feeding a level-4 block, channels within budget.
    `plus` also draws AssembleNet++: attention in the header and per block, peer lists with and
    without weights, and `family lite` networks with filter triples."""
    lite = plus and draw(st.booleans())
    ids = draw(st.lists(node_ids, min_size=4 + 4 * max_per_level, max_size=4 + 4 * max_per_level, unique=True))
    ids_iter = iter(ids)
    depth = draw(st.sampled_from([50, 101, (2, 2, 2, 2), (1, 3, 5, 1)]))
    budget_defaults = default_budget(depth)

    stems = []
    n_stems = draw(st.integers(1, 4))
    for _ in range(n_stems):
        modality = draw(st.sampled_from(["rgb", "rgb", "flow", "object"]))
        stems.append(
            dict(
                id=next(ids_iter),
                modality=modality,
                channels=draw(st.integers(1, 128 // n_stems)),
                r=draw(st.sampled_from(DILATIONS)),
            )
        )
    levels: list[list[dict]] = [stems]
    edges_fixed = draw(st.booleans())
    for level in (1, 2, 3, 4):
        # A lite head reads one level-4 block: a second would be dead (W140).
        count = draw(st.integers(1, (1 if lite else 2) if level == 4 else max_per_level))
        budget = budget_defaults[level]
        this: list[dict] = []
        for _ in range(count):
            lower = [n for lvl in levels for n in lvl]
            sources = draw(st.lists(st.sampled_from([n["id"] for n in lower]), min_size=1, max_size=4, unique=True))
            this.append(
                dict(
                    id=next(ids_iter),
                    level=level,
                    sources=sources,
                    channels=draw(st.integers(1, budget // count)),
                    r=draw(st.sampled_from(DILATIONS)),
                    stride=draw(st.sampled_from([1, 2])),
                )
            )
        levels.append(this)
    # Every node must feed a level-4 block: connect each unused node to a random block above it.
    used = {s for lvl in levels[1:] for b in lvl for s in b["sources"]}
    for level_index, lvl in enumerate(levels[:-1]):
        for node in lvl:
            if node["id"] not in used:
                higher = [b for later in levels[level_index + 1 :] for b in later]
                target = draw(st.sampled_from(higher))
                target["sources"].append(node["id"])
                used.add(node["id"])
    # Inputs must name earlier nodes in the file: file order is level order.
    nodes: list[Stem | Block] = [
        Stem(**s, trivia=draw(trivia(blank_first=i > 0)) if with_trivia else Trivia()) for i, s in enumerate(stems)
    ]
    for lvl in levels[1:]:
        for b in lvl:
            weighted = len(b["sources"]) > 1 and (edges_fixed or draw(st.booleans()))
            edges = tuple(Edge(source=s, weight=draw(weights) if weighted else None) for s in b["sources"])
            channels = b["channels"]
            if lite:
                channels = (draw(st.integers(1, 512)), draw(st.integers(1, 512)), channels)
            extra = draw(plus_attributes(nodes, b["level"])) if plus else {}
            nodes.append(
                Block(
                    id=b["id"],
                    level=b["level"],
                    inputs=edges,
                    channels=channels,
                    r=b["r"],
                    stride=b["stride"],
                    trivia=draw(trivia(blank_first=True)) if with_trivia else Trivia(),
                    **extra,
                )
            )

    header_fields: dict = {
        "name": draw(names.filter(lambda s: not keyword.iskeyword(s))),
        "classes": draw(st.integers(1, 1000)),
    }
    optional = _optional_header(depth)
    for key, strategy in optional.items():
        if draw(st.booleans()):
            header_fields[key] = draw(strategy)
    header_fields["depth"] = depth
    if lite:
        header_fields["family"] = "lite"
    if plus and draw(st.booleans()):
        header_fields["attention"] = draw(attention_modes)
    if edges_fixed:
        header_fields["edges"] = "fixed"
    elif draw(st.booleans()):
        header_fields["edges"] = "learned"
    if draw(st.booleans()):
        sums = [sum(n["channels"] for n in levels[0] if n["modality"] != "object")] + [
            sum(n["channels"] for n in lvl) for lvl in levels[1:]
        ]
        keys = ["stems", "l1", "l2", "l3", "l4"]
        header_fields["budget"] = Budget(
            **{k: max(s, 1) + draw(st.integers(0, 64)) for k, s in zip(keys, sums, strict=True) if draw(st.booleans())}
        )
    if with_trivia:
        # comments only above lines the printer writes (a `budget` of no keys is dropped, and a
        # comment above it would be lost with it)
        shown = Header(**header_fields)
        present = ["network", *[k for k in HEADER_KEYWORDS if k in header_fields and getattr(shown, k) is not None]]
        chosen = draw(st.lists(st.sampled_from(present), max_size=3, unique=True))
        header_fields["trivia"] = {
            key: t for key in chosen if (t := draw(trivia(blank_first=False, comments_only=key != "network")))
        }
    trailing = draw(trivia(blank_first=True)).before if with_trivia else ()
    while trailing and trailing[-1] == "":
        trailing = trailing[:-1]
    if plus:  # peers are only allowed where the block's attention, after the header's, is peer
        mode = header_fields.get("attention", "none")
        nodes = [
            n.model_copy(update={"peers": None})
            if isinstance(n, Block) and n.peers is not None and (n.attention or mode) != "peer"
            else n
            for n in nodes
        ]
    network = Network(header=Header(**header_fields), nodes=tuple(nodes), trailing=trailing)
    if draw(st.booleans()):  # a matching hash, as the search writes it
        header = network.header.model_copy(update={"hash": architecture_hash(network)})
        network = network.model_copy(update={"header": header})
    return network
