"""AssembleNet++ compiled: parameter counts from the TF1 layer definitions, peers kept alive until
their last reader, dead nodes computed, learned peer weights written back and read again.

Parameter counts are worked out here from the authors' TF1 code (google-research
`assemblenet/assemblenet_plus.py`), reading the .anet file with a regex of its own:

    RGB stem       7x7 conv 3->C, BN; temporal conv (kernel 5) C->C, BN;  flow stem: 7x7 conv 2->C, BN
    object stem    a 4x4 max-pool: no parameters
    block          as AssembleNet (tests/compiler/test_parameters.py), its input the fused width
    fusion         lg = the widest input that is not an object stem; one bias-free 1x1 conv c -> lg per
                   other channel count; one logit per input when edges are learned
    peer attention per block: Dense(C_k -> U) + bias for each peer k, U = the widest peer (object
                   stems included); per connection j: Dense(U -> C_j) + bias and K peer logits
    self attention per connection j: Dense(C_j -> C_j) + bias
    head           Linear(F, classes) with bias
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import pytest
import torch

from anet.compiler import compile_network, compile_to_module
from anet.dsl import format_network, parse
from anet.dsl.learned import with_learned_peer_weights

LEVEL_D = {1: 64, 2: 128, 3: 256, 4: 512}
REPEATS_50 = (3, 4, 6, 3)


@dataclass
class Node:
    id: str
    kind: str  # rgb, flow, object or block
    channels: int
    level: int = 0
    inputs: tuple[str, ...] = ()
    attention: str | None = None


def read(text: str) -> tuple[dict[str, str], list[Node]]:
    """Header settings and nodes, with plain regexes (no peers=[...] lists: every node below)."""
    settings = dict(re.findall(r"^[ \t]+(classes|edges|attention)[ \t]+(\w+)", text, re.MULTILINE))
    nodes = []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if m := re.fullmatch(r"stem (\w+) in=\[(rgb|flow|object)\] C=(\d+) r=\d+", line):
            nodes.append(Node(m[1], m[2], int(m[3])))
        elif m := re.fullmatch(
            r"block (\w+) level=(\d) in=\[([^\]]*)\] C=(\d+) r=\d+(?: stride=\d)?(?: attention=(\w+))?", line
        ):
            sources = tuple(e.split("@")[0].strip() for e in m[3].split(","))
            nodes.append(Node(m[1], "block", int(m[4]), int(m[2]), sources, m[5]))
        else:
            assert not line.startswith(("stem", "block")), f"unparsed line: {line}"
    return settings, nodes


def block_params(c_in: int, c: int, level: int, repeats: int) -> int:
    d, total = LEVEL_D[level], 0
    for i in range(repeats):
        cin = c_in if i == 0 else 4 * c
        total += (1 if i % 2 == 0 else 3) * cin * c + 2 * c + 9 * c * d + 2 * d + d * 4 * c + 8 * c
    return total + c_in * 4 * c + 8 * c  # the first module's projection shortcut


def expected_counts(text: str, classes: int) -> dict[str, int]:
    settings, nodes = read(text)
    learned, default = settings.get("edges", "learned") == "learned", settings.get("attention", "none")
    out: dict[str, int] = {}
    counts: dict[str, int] = {}
    by_id = {n.id: n for n in nodes}
    for node in nodes:
        c = node.channels
        if node.kind != "block":
            counts[f"node_{node.id}"] = {"rgb": 49 * 3 * c + 2 * c + 5 * c * c + 2 * c, "flow": 49 * 2 * c + 2 * c}.get(
                node.kind, 0
            )
            out[node.id] = c
            continue
        widths = [out[s] for s in node.inputs]
        features = [out[s] for s in node.inputs if by_id[s].kind != "object"]
        lg = max(features or widths)
        fusion = 0
        if len(widths) > 1:
            fusion += sum(w * lg for w in set(widths) if w != lg) + (len(widths) if learned else 0)
        mode = node.attention or default
        if mode == "peer":
            peers = [out[n.id] for n in nodes if n.level < node.level]
            units = max(peers)
            fusion += sum(p * units + units for p in peers)
            fusion += sum(units * w + w + len(peers) for w in widths)
        elif mode == "self":
            fusion += sum(w * w + w for w in widths)
        if len(widths) > 1 or mode != "none":
            counts[f"fuse_{node.id}"] = fusion
        counts[f"node_{node.id}"] = block_params(lg, c, node.level, REPEATS_50[node.level - 1])
        out[node.id] = 4 * c
    top = [out[n.id] for n in nodes if n.level == 4]
    counts["head"] = (top[0] if len(set(top)) == 1 else sum(top)) * classes + classes
    return counts


def compile_text(text: str, label: str = "peers.anet"):
    return compile_to_module(parse(text, label), text, label)


def actual_counts(model: torch.nn.Module) -> dict[str, int]:
    counts = {name: sum(p.numel() for p in child.parameters()) for name, child in model.named_children()}
    assert counts.pop("flow", 0) == 0  # the flow layer holds buffers only
    return counts


@pytest.mark.parametrize(
    "name, settings",
    [
        ("assemblenet_plus50", {}),
        ("assemblenet_plus50", {"edges": "learned"}),
        ("assemblenet_plus50", {"attention": "self"}),
        ("assemblenet50", {"attention": "peer"}),
        ("assemblenet50", {"attention": "self"}),
        ("assemblenet50", {"attention": "peer", "edges": "learned"}),
    ],
)
def test_parameters_per_node_match_the_tf_layers(name, settings, example_text, header):
    text = header(example_text(name), **settings)
    with torch.device("meta"):
        model = compile_text(text, f"{name}.anet").build_model()
    expected = expected_counts(text, int(read(text)[0]["classes"]))
    assert actual_counts(model) == expected
    assert sum(p.numel() for p in model.parameters()) == sum(expected.values())


@pytest.mark.parametrize(
    "name, attention, total, in_attention",
    [
        ("assemblenet_plus50", "peer", 48_054_173, 9_883_924),
        ("assemblenet50", "peer", 44_562_161, 7_661_204),
        ("assemblenet50", "self", 39_507_965, 2_607_008),
    ],
)
def test_totals_at_157_classes(name, attention, total, in_attention, example_text, header):
    """The totals the parity table quotes (157 classes, width 1): those of TF2's `assemblenet_plus`
    built with the same structure and TF1's behaviour (trainable peer weights, inputs of one channel
    count summed before their 1x1 conv, object maps out of the fused width), which the TF side
    counts. The attention layers (gates and peer projections) are what `attention none` drops."""
    text = header(example_text(name), attention=attention, classes="157")
    with torch.device("meta"):
        model = compile_text(text).build_model()
        plain = compile_text(header(text, attention="none")).build_model()
    attention_params = sum(p.numel() for n, p in model.named_parameters() if ".gates." in n or ".projections." in n)
    assert (sum(p.numel() for p in model.parameters()), attention_params) == (total, in_attention)
    assert sum(p.numel() for p in plain.parameters()) == total - in_attention
    assert sum(expected_counts(text, 157).values()) == total


NETWORK = """network peers
  classes 3
  depth [1, 1, 1, 1]
  edges {edges}
  attention peer

stem r in=[rgb] C=4 r=1
stem o in=[object] C=5 r=1
block a level=1 in=[r] C=2 r=1
block dead level=2 in=[a] C=2 r=1 stride=2
block b level=2 in=[r@0.4, a@0.7, o@0.6] C=2 r=1 stride=2 attention=self
block c level=3 in=[b] C=4 r=2 stride=2 attention=none
block d level=4 in=[c@0.3, a@0.9] C=4 r=1 stride=2{peers}
"""


def network_text(edges: str = "learned", peers: str = "") -> str:
    return NETWORK.format(edges=edges, peers=peers)


def clips(batch: int = 2) -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    return {"rgb": torch.rand(batch, 3, 3, 32, 32), "segmentation": torch.rand(batch, 5, 3, 32, 32)}


def statements(source: str, function: str) -> list[str]:
    """The statements of a generated method, one line each whatever their layout."""
    tree = ast.parse(source)
    method = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    return [ast.unparse(statement) for statement in method.body]


def test_peers_are_averaged_once_and_every_value_lives_until_its_last_reader(header):
    """`dead` feeds no block but is a peer of d; r is read by a and b as an input and by a, dead
    and d as a peer: its output is released after b, its means after d."""
    text = network_text()
    source = compile_network(parse(text), text, "peers.anet")
    lines = statements(source, "forward_features")
    assert lines[lines.index("x_r = self.node_r(rgb)") + 1] == "m_r = rt.frame_mean(x_r)"
    assert "x_a = self.node_a(self.fuse_a([x_r], peers=[m_r, m_o]))" in lines  # one input, gated
    made = lines.index("x_dead = self.node_dead(self.fuse_dead([x_a], peers=[m_r, m_o, m_a]))")
    assert lines[made + 1 : made + 3] == ["m_dead = rt.frame_mean(x_dead)", "del x_dead"]  # only its means live on
    b = lines.index("x_b = self.node_b(self.fuse_b([x_r, x_a, x_o]))")  # self-attention: no peers
    assert lines[b + 1 : b + 3] == ["m_b = rt.frame_mean(x_b)", "del x_r, x_o"]
    assert "x_c = self.node_c(x_b)" in lines  # attention=none: as AssembleNet
    d = lines.index("x_d = self.node_d(self.fuse_d([x_c, x_a], peers=[m_r, m_o, m_a, m_dead, m_b, m_c]))")
    released = lines[d + 1].removeprefix("del ").split(", ")
    assert lines[d + 1].startswith("del ") and sorted(released) == sorted(
        ["x_a", "x_c", "m_r", "m_o", "m_a", "m_dead", "m_b", "m_c"]
    )
    model = compile_text(text).build_model()
    out = model(**clips())
    out.sum().backward()
    assert model.node_dead.residuals[0].shortcut.conv.weight.grad.abs().sum() > 0  # it trains through d's attention
    assert model.fuse_b.fusion.out_channels == 8  # the object stem's 5 classes do not set b's width

    plain = header(text.replace(" attention=self", ""), attention="none")
    lines = statements(compile_network(parse(plain), plain, "plain.anet"), "forward_features")
    made = lines.index("x_dead = self.node_dead(x_a)")
    assert lines[made + 1] == "del x_dead"  # computed, released at once
    assert not any("frame_mean" in line for line in lines)


def test_learned_peer_weights_are_written_back_and_read_again(header):
    """Training's write-back: `peer_weights()` per block (mean over connections), into the file as
    peers=[...@w]; compiled again, every connection starts from those weights (fixed with `edges
    fixed`), and the module reports them back."""
    text = network_text()
    model = compile_text(text).build_model()
    torch.manual_seed(5)
    with torch.no_grad():
        for gate in [*model.fuse_a.gates, *model.fuse_d.gates]:
            gate.logits.copy_(torch.randn_like(gate.logits))
    learned = model.peer_weights()
    assert set(learned) == {"a", "dead", "d"} and len(learned["d"]) == 6
    means = [(a + b) / 2 for a, b in zip(*(g.peer_weights() for g in model.fuse_d.gates), strict=True)]
    assert learned["d"] == pytest.approx(means)
    written = format_network(with_learned_peer_weights(parse(text), learned))
    assert re.search(
        r"block d .* peers=\[r@[0-9.]+, o@[0-9.]+, a@[0-9.]+, dead@[0-9.]+, b@[0-9.]+, c@[0-9.]+\]", written
    )
    for edges in ("learned", "fixed"):
        again = compile_text(header(written, edges=edges)).build_model()
        assert again.peer_weights()["d"] == pytest.approx(learned["d"], abs=1e-6)
        assert all(g.peer_weights() == pytest.approx(learned["d"], abs=1e-6) for g in again.fuse_d.gates)
        assert isinstance(again.fuse_d.gates[0].logits, torch.nn.Parameter) == (edges == "learned")
    assert format_network(with_learned_peer_weights(parse(written), learned)) == written  # a fixed point


def test_training_writes_peer_weights_beside_the_edge_weights(tmp_path):
    from anet.training.run_dir import write_learned

    network = parse(network_text())
    learned = write_learned(tmp_path, network, {"b": [0.25, 0.5, 0.75], "d": [0.5, 0.5]}, {"a": [0.75, 0.25]})
    again = parse(learned.read_text(encoding="utf-8"))
    block_a = next(b for b in again.blocks if b.id == "a")
    assert [(p.source, p.weight) for p in block_a.peers] == [("r", 0.75), ("o", 0.25)]
    assert next(b for b in again.blocks if b.id == "d").peers is None  # no learned weights given: as it was
    assert next(b for b in again.blocks if b.id == "b").weights == (0.25, 0.5, 0.75)


def test_runtime_version_and_peer_weights_only_where_the_code_needs_them(header):
    """Self-attention and object inputs need runtime 3 but have no peer weights; a network with
    neither is compiled as before (runtime 2)."""
    plain = header(network_text(), attention="none")
    source = compile_network(parse(plain), plain, "plain.anet")
    assert "peer_weights" not in source and "rt.AttendedFusion" in source and "RUNTIME_VERSION = 3" in source
    text = plain.replace(" attention=self", "").replace(", o@0.6]", "]").replace("stem o in=[object] C=5 r=1\n", "")
    source = compile_network(parse(text), text, "plain.anet")
    assert "RUNTIME_VERSION = 2" in source and "objects=" not in source and "Attended" not in source
