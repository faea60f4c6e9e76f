"""`proxy`: the built-in synthetic task defined by motion (anet.data.proxy); `objects=3` adds its
segmentation maps (background, actor, distractor) for networks with an object stem. More classes
are allowed (`objects=151` feeds the published AssembleNet++ unchanged): the maps use the first three
and leave the others empty."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from ..clip import ClipConfig
from ..dataspec import DataSpec, DataSpecError, spec_of
from ..layout import Flag, Integer, Layout, Number, Values
from ..proxy import PROXY_CLASSES, PROXY_OBJECTS, ProxyConfig, ProxyDataset


def build(text: str, path: Path | None, options: Values) -> DataSpec:
    frames, size = options["frames"], options["size"]
    try:
        config = ProxyConfig(
            classes=options["classes"],
            frames=frames or 8,
            size=size or 32,
            distractors=options["distractors"],
            noise=options["noise"],
        )
    except ValueError as error:
        raise DataSpecError(f"data spec {text!r}: {error}") from error
    samples = {"train": options["train"], "val": options["val"]}
    seed, flow, cache, objects = options["seed"], options["flow"], options["cache"], options["objects"]
    if objects is not None and objects < len(PROXY_OBJECTS):
        raise DataSpecError(
            f"data spec {text!r}: the proxy's segmentation maps have {len(PROXY_OBJECTS)} classes "
            f"({', '.join(PROXY_OBJECTS)}), not objects={objects}: write objects={len(PROXY_OBJECTS)} or more"
        )

    def factory(split: str, clip: ClipConfig) -> Dataset[dict[str, Any]]:
        shaped = replace(config, frames=clip.frames, size=clip.size)  # fps has no meaning here
        return ProxyDataset(
            samples=samples[split],
            split=split,
            seed=seed,
            flow=flow,
            objects=objects is not None,
            cache=cache,
            config=shaped,
        )

    # The proxy is never flipped: a flip turns "left" into "right".
    clip = {"frames": frames, "size": size, "fps": None, "flip": 0.0, "eval_short_side": None, "objects": objects}
    names = tuple(name for name, _ in PROXY_CLASSES[: config.classes])
    return spec_of(
        text,
        "proxy",
        clip,
        factory,
        defaults=(8, 32, None),
        num_classes=config.classes,
        multi_label=False,
        has_flow=flow,
        class_names=names,
    )


LAYOUT = Layout(
    kind="proxy",
    path=None,
    options={
        "classes": Integer(8, minimum=2),
        "frames": Integer(),
        "size": Integer(),
        "train": Integer(512),
        "val": Integer(512),
        "seed": Integer(0, minimum=0),
        "flow": Flag(False),
        "objects": Integer(minimum=2),
        "cache": Flag(False),
        "distractors": Integer(2, minimum=0),
        "noise": Number(0.02, high=1.0),
    },
    build=build,
)
