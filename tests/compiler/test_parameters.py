"""Parameter counts of the generated AssembleNet-50 and -101, node by node, against the layer definitions.

The expected counts are worked out here from the facts about the authors' implementation
(the AssembleNet code of the TensorFlow Model Garden), reading the .anet file with a regex of
its own: neither the runtime nor the compiler nor the DSL computes any expected number.

    RGB stem     7x7 conv 3->C, BN; temporal conv (kernel 5) C->C, BN
    flow stem    7x7 conv 2->C, BN
    2D module    1x1 conv Cin->C, BN; 3x3 conv C->D, BN; 1x1 conv D->4C, BN
    (2+1)D mod.  temporal conv (kernel 3) 4C->C, BN; 3x3 conv C->D, BN; 1x1 conv D->4C, BN
    shortcut     first module only: 1x1 conv Cin->4C, BN (always, even when Cin == 4C)
    BN           2 parameters per channel (gamma, beta); running statistics are buffers
    fusion       one 1x1 conv per channel count below the largest, c -> max; plus one logit per
                 input when the edges are learned (fixed edge weights are buffers)
    head         Linear(F, classes) with bias; F = the top nodes' channel count if they agree,
                 else their sum
    convs        bias-free everywhere; D = 64, 128, 256, 512 at levels 1-4
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import torch

LEVEL_D = {1: 64, 2: 128, 3: 256, 4: 512}
REPEATS = {"50": (3, 4, 6, 3), "101": (3, 4, 23, 3)}


@dataclass
class Node:
    id: str
    kind: str  # "rgb", "flow" or "block"
    channels: int
    level: int = 0
    stride: int = 1
    inputs: tuple[str, ...] = ()


def read_structure(text: str) -> tuple[dict[str, str], list[Node]]:
    """Header settings and nodes of an .anet file, with plain regexes."""
    settings = dict(re.findall(r"^[ \t]+(classes|depth|edges|pool)[ \t]+(\w+)", text, re.MULTILINE))
    nodes = []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if m := re.fullmatch(r"stem (\w+) in=\[(rgb|flow)\] C=(\d+) r=\d+", line):
            nodes.append(Node(m[1], m[2], int(m[3])))
        elif m := re.fullmatch(r"block (\w+) level=(\d) in=\[([^\]]*)\] C=(\d+) r=\d+(?: stride=(\d))?", line):
            sources = tuple(e.split("@")[0].strip() for e in m[3].split(","))
            nodes.append(Node(m[1], "block", int(m[4]), int(m[2]), int(m[5] or 1), sources))
        else:
            assert not line.startswith(("stem", "block")), f"unparsed line: {line}"
    return settings, nodes


def scaled(c: int, width: float) -> int:
    """README: the width multiplier scales every channel count (round, at least 1)."""
    return max(1, round(c * width))


def bn(c: int) -> int:
    return 2 * c


def conv(k: int, cin: int, cout: int) -> int:
    """A bias-free conv with k kernel taps in total (7x7 -> 49, temporal 3 -> 3)."""
    return k * cin * cout


def stem_params(node: Node, width: float) -> int:
    c = scaled(node.channels, width)
    if node.kind == "rgb":
        return conv(7 * 7, 3, c) + bn(c) + conv(5, c, c) + bn(c)
    return conv(7 * 7, 2, c) + bn(c)


def block_params(c_in: int, channels: int, level: int, repeats: int, width: float) -> int:
    c, d = scaled(channels, width), scaled(LEVEL_D[level], width)
    total = 0
    for i in range(repeats):
        cin = c_in if i == 0 else 4 * c
        first = conv(1, cin, c) if i % 2 == 0 else conv(3, cin, c)  # 2D: 1x1; (2+1)D: temporal kernel 3
        total += first + bn(c) + conv(3 * 3, c, d) + bn(d) + conv(1, d, 4 * c) + bn(4 * c)
        if i == 0:
            total += conv(1, c_in, 4 * c) + bn(4 * c)  # projection shortcut
    return total


def fusion_params(in_channels: list[int], learned: bool) -> int:
    top = max(in_channels)
    lifts = sum(conv(1, c, top) for c in set(in_channels) if c != top)
    return lifts + (len(in_channels) if learned else 0)


def expected_counts(text: str, width: float, num_classes: int) -> dict[str, int]:
    """Expected parameters per attribute of the generated model (node_ID, fuse_ID, head)."""
    settings, nodes = read_structure(text)
    repeats = REPEATS[settings["depth"]]
    learned = settings.get("edges", "learned") == "learned"
    out_channels: dict[str, int] = {}
    counts: dict[str, int] = {}
    for node in nodes:
        if node.kind != "block":
            counts[f"node_{node.id}"] = stem_params(node, width)
            out_channels[node.id] = scaled(node.channels, width)
            continue
        sources = [out_channels[s] for s in node.inputs]
        if len(sources) > 1:
            counts[f"fuse_{node.id}"] = fusion_params(sources, learned)
        counts[f"node_{node.id}"] = block_params(
            max(sources), node.channels, node.level, repeats[node.level - 1], width
        )
        out_channels[node.id] = 4 * scaled(node.channels, width)
    top = [out_channels[n.id] for n in nodes if n.level == 4]
    features = top[0] if len(set(top)) == 1 else sum(top)
    counts["head"] = features * num_classes + num_classes
    return counts


def actual_counts(model: torch.nn.Module) -> dict[str, int]:
    return {name: sum(p.numel() for p in child.parameters()) for name, child in model.named_children()}


@pytest.mark.parametrize(
    "name, width, num_classes",
    [
        ("assemblenet50", 1.0, 339),
        ("assemblenet101", 1.0, 339),
        ("assemblenet50", 0.25, 10),
        ("assemblenet101", 0.125, 7),
    ],
)
def test_parameters_per_node_match_the_layer_definitions(name, width, num_classes, example_text, variant):
    text = example_text(name)
    with torch.device("meta"):  # nothing is allocated or initialised for real
        model = variant(name).build_model(num_classes=num_classes, width=width)
    actual = actual_counts(model)
    expected = expected_counts(text, width, num_classes)
    # the flow layer holds buffers only (theta, lambda, tau)
    assert actual.pop("flow") == 0
    assert actual == expected
    total = sum(p.numel() for p in model.parameters())
    assert total == sum(expected.values())
    # every parameter sits in a node, a fusion or the head, and none is shared
    assert total == sum(actual.values())


def test_learned_edges_add_one_parameter_per_input(example_text, variant, header):
    text = header(example_text("assemblenet50"), edges="learned")
    with torch.device("meta"):
        fixed = variant("assemblenet50").build_model()
        learned = variant("assemblenet50", edges="learned").build_model()
    fixed_counts, learned_counts = actual_counts(fixed), actual_counts(learned)
    assert learned_counts == expected_counts(text, 1.0, 339) | {"flow": 0}
    _, nodes = read_structure(text)
    multi = [n for n in nodes if len(n.inputs) > 1]
    assert multi, "AssembleNet-50 has multi-input blocks"
    for node in multi:
        assert learned_counts[f"fuse_{node.id}"] - fixed_counts[f"fuse_{node.id}"] == len(node.inputs)
    assert sum(learned_counts.values()) - sum(fixed_counts.values()) == sum(len(n.inputs) for n in multi)


def test_structure_reader_sees_the_published_network(example_text):
    """Guard for the regex reader: the published AssembleNet-50 is 4 stems of 32 (128 / 4) and 11 blocks."""
    settings, nodes = read_structure(example_text("assemblenet50"))
    assert settings == {"classes": "339", "depth": "50", "edges": "fixed"}
    assert [n.channels for n in nodes if n.kind != "block"] == [32, 32, 32, 32]
    assert len([n for n in nodes if n.kind == "block"]) == 11
    assert [n.inputs for n in nodes if n.id == "8"] == [("0", "4", "5", "6", "7")]
