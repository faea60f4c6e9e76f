"""The TensorFlow side of benchmarks/tf_plus_parity.py: builds the Model Garden's AssembleNet++ and says
which weights each layer holds and why it exists.

Runs only as a script in TensorFlow's own venv (`python benchmarks/tf_workers/assemblenet_plus_counts.py
--tf-code DIR`), which has neither anet nor this package (hence its own folder: it is no benchmark);
it prints one JSON document (tf_plus_parity.TfCounts) on stdout. No TF code is copied here: TF's
functions are wrapped at run time to record the context a layer is created in (stem, block, fusion,
peer projection, attention gate, head; node and connection), and a layer is part of the model only
when Keras kept it in the built graph (TF creates some layers no path uses: the dropped ones). The
variants patch TF1's behaviours in at run time (fusion_summing_same_channels rewrites one expression
of TF's fusion in memory).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import inspect
import json
import os
import sys
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tf_plus_parity: the records, stdlib only
from tf_plus_parity import MODELS, Category, ModelSpec, TfCounts, TfModel, WeightRow

FRAMES, SIZE = 8, 64  # enough for counting: no weight depends on the clip size
OBJECT_CLASSES = 151  # ADE-20k, as the Model Garden's test and the paper


@dataclasses.dataclass
class BuildContext:
    """Where the TF code is while it builds: filled by the wrappers, read when a layer is created."""

    node: int | None = None
    connection: tuple[int, int] | None = None  # TF's name scope Connection_{channels}_{index}
    roles: list[str] = dataclasses.field(default_factory=list)
    created: list[tuple[Any, int | None, tuple[int, int] | None, str | None]] = dataclasses.field(default_factory=list)


CONTEXT = BuildContext()


class ScopeRecorder:
    """The tensorflow module as TF's AssembleNet++ code sees it, except that its name scopes Node_i and
    Connection_K_I also say which node and connection the layers created inside belong to."""

    def __init__(self, tf: Any) -> None:
        self._tf = tf

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tf, name)

    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[None]:
        kind, _, rest = name.partition("_")
        if kind == "Node":
            CONTEXT.node, CONTEXT.connection = int(rest), None
        elif kind == "Connection":
            channels, index = rest.split("_")
            CONTEXT.connection = (int(channels), int(index))
        with self._tf.name_scope(name):
            yield
        if kind == "Connection":
            CONTEXT.connection = None


def in_role(role: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        CONTEXT.roles.append(role)
        try:
            return fn(*args, **kwargs)
        finally:
            CONTEXT.roles.pop()

    return wrapped


def record_layer_creation(tf_keras: Any) -> None:
    layer_init = tf_keras.layers.Layer.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        layer_init(self, *args, **kwargs)
        role = CONTEXT.roles[-1] if CONTEXT.roles else None
        CONTEXT.created.append((self, CONTEXT.node, CONTEXT.connection, role))

    tf_keras.layers.Layer.__init__ = init


def category_of(layer: Any, role: str | None) -> Category:
    kind = type(layer).__name__
    if role in ("stem", "block"):
        return f"{role}_{'bn' if 'BatchNormalization' in kind else 'conv'}"  # type: ignore[return-value]
    if role == "fusion":
        return "edge_weights" if kind == "_ApplyEdgeWeight" else "fusion_conv"
    if role in ("attention_gate", "peer_softmax", "head"):
        return role  # type: ignore[return-value]
    if kind == "RepresentationFlow":
        return "flow_constants"
    if kind == "Dense":  # created in the node's loop itself: a peer's projection
        return "peer_projection"
    raise ValueError(f"a {kind} with weights was created outside every known role")


def nodes_below(structure: list[list[Any]], node: int) -> list[int]:
    """TF's candidate peers of a block, in its order: every node of a lower level, level by level
    from -3 (objects), then file order within a level."""
    return [i for level in range(-3, structure[node][0]) for i in range(len(structure)) if structure[i][0] == level]


def source_of(spec_structure: list[list[Any]], channels: list[int], row: dict[str, Any]) -> int | None:
    """The node a connection's or peer's weights belong to (None for a block's own weights)."""
    node, category = row["node"], row["category"]
    if category == "peer_projection":
        return nodes_below(spec_structure, node)[row["ordinal"]]
    if category in ("attention_gate", "peer_softmax", "fusion_conv"):
        inputs = spec_structure[node][1]
        key, index = row["connection"] or (channels[inputs[0]], 0)
        if category == "fusion_conv":  # the conv reads the first input of its channel group
            key, index = row["in_channels"], 0
        return [j for j in inputs if channels[j] == key][index]
    return None


def model_layers(model: Any) -> set[int]:
    return {id(layer) for layer in model._flatten_layers(include_self=False, recursive=True)}


def build(spec: ModelSpec, tf: Any, tf_keras: Any, cfg: Any, asn: Any, asnp: Any) -> Any:
    structure = getattr(cfg, spec.structure)
    weights = getattr(cfg, spec.structure_weights)
    if spec.code == "tf2_assemblenet":
        shape = tf_keras.layers.InputSpec(shape=[1, FRAMES, SIZE, SIZE, 3])
        return asn.assemblenet_v1(50, spec.classes, FRAMES, structure, input_specs=shape, model_edge_weights=weights)
    if spec.objects:
        shape = (
            tf_keras.layers.InputSpec(shape=(FRAMES, SIZE, SIZE, 3)),
            tf_keras.layers.InputSpec(shape=(FRAMES, SIZE, SIZE, OBJECT_CLASSES)),
        )
    else:
        shape = tf_keras.layers.InputSpec(shape=[1, FRAMES, SIZE, SIZE, 3])
    return asnp.assemblenet_plus(
        50,
        spec.classes,
        FRAMES,
        structure,
        input_specs=shape,
        model_edge_weights=weights,
        use_object_input=spec.objects,
        attention_mode=spec.attention,
    )


def fusion_summing_same_channels(fusion: Callable[..., Any]) -> Callable[..., Any]:
    """TF's fusion with TF1's sum of same-channel inputs before their 1x1 conv: the TF2 source is
    read and its one differing expression replaced, in memory."""
    source = textwrap.dedent(inspect.getsource(fusion))
    first_only = "channel_inps[0], lg_channel, kernel_size=1, strides=1)"
    if source.count(first_only) != 2:  # the single-input group, then the group of several
        raise SystemExit("this fusion_with_peer_attention is not the one the sum_same_channels fix knows")
    head, _, tail = source.rpartition(first_only)
    namespace = dict(vars(inspect.getmodule(fusion)))
    exec(
        compile(head + "tf.add_n(channel_inps), lg_channel, kernel_size=1, strides=1)" + tail, "tf1_fusion", "exec"),
        namespace,
    )
    return namespace["fusion_with_peer_attention"]


def with_fixes(spec: ModelSpec, tf: Any, tf_keras: Any, cfg: Any, fusion: Callable[..., Any]) -> dict[str, Any]:
    """The module attributes of assemblenet_plus to patch for the TF1 behaviours a variant asks for."""
    patches: dict[str, Any] = {}
    if "trainable_peer_weights" in spec.fixes:

        class PeerSoftmax(tf_keras.layers.Layer):
            """TF1's peer_attention_weights: one trainable logit per peer, softmax over them."""

            def build(self, shapes: Any) -> None:
                init = tf_keras.initializers.TruncatedNormal(stddev=0.01)
                self.logits = self.add_weight(name="peer_attention_weights", shape=[len(shapes)], initializer=init)

            def call(self, peers: Any) -> Any:
                weights = tf.nn.softmax(self.logits)
                return tf.add_n([weights[i] * peer for i, peer in enumerate(peers)])

        patches["softmax_merge_peer_attentions"] = in_role("peer_softmax", lambda peers: PeerSoftmax()(peers))
    if "sum_same_channels" in spec.fixes:
        fusion = fusion_summing_same_channels(fusion)
    if "objects_not_largest" in spec.fixes:
        fusion = functools.partial(fusion, num_object_classes=OBJECT_CLASSES)
    if "published_edge_weights" in spec.fixes:
        fusion = functools.partial(fusion, model_edge_weights=getattr(cfg, spec.structure_weights))
    patches["fusion_with_peer_attention"] = in_role("fusion", fusion)
    return patches


def measure(spec: ModelSpec, modules: tuple[Any, ...]) -> TfModel:
    tf, tf_keras, cfg, asn, asnp = modules
    originals = {name: getattr(asnp, name) for name in ("softmax_merge_peer_attentions", "fusion_with_peer_attention")}
    for name, value in with_fixes(spec, tf, tf_keras, cfg, originals["fusion_with_peer_attention"]).items():
        setattr(asnp, name, value)
    tf_keras.backend.clear_session()
    CONTEXT.created.clear()
    try:
        model = build(spec, tf, tf_keras, cfg, asn, asnp)
    finally:
        for name, value in originals.items():
            setattr(asnp, name, value)
    structure = getattr(cfg, spec.structure)
    channels = [int(t.shape[-1]) for t in model.backbone.outputs]
    kept = model_layers(model)
    rows: dict[tuple[int | None, str, int | None, bool], list[int]] = defaultdict(lambda: [0, 0])
    ordinals: dict[int, int] = defaultdict(int)
    for layer, node, connection, role in CONTEXT.created:
        if not layer.weights or isinstance(layer, tf_keras.Model):
            continue
        category = category_of(layer, role)
        row = {"node": node, "category": category, "connection": connection, "ordinal": 0, "in_channels": 0}
        if category == "peer_projection":
            row["ordinal"] = ordinals[node]
            ordinals[node] += 1
        if category == "fusion_conv":
            row["in_channels"] = int(layer.weights[0].shape[2])
        node_of = None if category in ("head", "flow_constants") else node
        key = (
            node_of,
            category,
            source_of(structure, channels, row) if node_of is not None else None,
            id(layer) in kept,
        )
        for weight in layer.weights:
            rows[key][0 if weight.trainable else 1] += int(weight.shape.num_elements())
    table = [
        WeightRow(node=n, category=c, source=s, in_model=k, trainable=t, non_trainable=u)
        for (n, c, s, k), (t, u) in rows.items()
    ]
    stems = [r for r in CONTEXT.created if r[3] == "stem" and type(r[0]).__name__ == "Conv2D"]
    return TfModel(
        spec=spec,
        trainable=sum(int(w.shape.num_elements()) for w in model.trainable_weights),
        non_trainable=sum(int(w.shape.num_elements()) for w in model.non_trainable_weights),
        stem_filters=int(stems[0][0].weights[0].shape[-1]),
        channels=channels,
        peers={i: nodes_below(structure, i) for i in range(len(structure)) if structure[i][0] >= 0},
        rows=sorted(table, key=WeightRow.order),
    )


def load_tf(code: str) -> tuple[Any, ...]:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # the Model Garden's assemblenet.py says tf.keras and means Keras 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import official.projects

    official.projects.__path__.append(f"{code}/official/projects")
    import tensorflow as tf
    import tf_keras
    from official.projects.assemblenet.configs import assemblenet as cfg
    from official.projects.assemblenet.modeling import assemblenet as asn
    from official.projects.assemblenet.modeling import assemblenet_plus as asnp

    record_layer_creation(tf_keras)
    asn.tf = asnp.tf = ScopeRecorder(tf)
    for module, name, role in [
        (asn, "rgb_conv_stem", "stem"),
        (asn, "flow_conv_stem", "stem"),
        (asn, "block_group", "block"),
        (asn, "multi_connection_fusion", "fusion"),
        (asn, "multi_stream_heads", "head"),
        (asnp, "apply_attention", "attention_gate"),
    ]:
        setattr(module, name, in_role(role, getattr(module, name)))
    return tf, tf_keras, cfg, asn, asnp


def main() -> None:
    parser = argparse.ArgumentParser(description="Count the Model Garden AssembleNet++'s weights (JSON on stdout).")
    parser.add_argument("--tf-code", required=True, help="folder holding official/projects/assemblenet")
    args = parser.parse_args()
    modules = load_tf(args.tf_code)
    models = [measure(spec, modules) for spec in MODELS]
    counts = TfCounts(tensorflow=modules[0].__version__, frames=FRAMES, size=SIZE, models=models)
    json.dump(counts.to_json(), sys.stdout, indent=1)


if __name__ == "__main__":
    main()
