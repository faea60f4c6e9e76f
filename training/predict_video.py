"""Classifying video files with a trained run, sampled the way `anet eval` samples its validation
videos: clips of the run's frames, frame rate and size, each frame's short side resized and the
centre square cut (the evaluation transform). With `clips` K > 1, K clips are taken at evenly spaced
positions (clip k is centred at (k + 1/2) / K of the slack), and their scores are combined as
`anet eval --crops` combines crops: softmax averaged (single-label), sigmoid max-pooled (multi-label).
One clip is exactly the centred clip that `anet eval` scores. A network with an object stem reads
each video's segmentation maps from beside it (`clip.mp4` -> `clip.seg.npz`, anet.data.segmentation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..data.clip import ClipConfig, decoded_clip
from ..data.decode import VideoReader
from ..data.segmentation import LabelMaps, map_path
from ..dsl import Network
from ..errors import UserError
from ..paper import STEM_INPUTS
from ..runtime import inference_copy
from .device import Placement
from .model import network_inputs
from .run_info import RunInfo


@dataclass(frozen=True)
class Prediction:
    """The `top` classes of one video, best first, with their scores (probabilities)."""

    video: str
    classes: list[str]
    indices: list[int]
    scores: list[float]

    def as_dict(self) -> dict[str, object]:
        return {
            "video": self.video,
            "top": [
                {"class": c, "index": i, "score": round(s, 6)}
                for c, i, s in zip(self.classes, self.indices, self.scores, strict=True)
            ],
        }


def video_clips(path: Path, config: ClipConfig, clips: int) -> dict[str, torch.Tensor]:
    """A batch of `clips` clips of one video at evenly spaced positions: rgb [clips, 3, T, S, S]
    floats, and with `config.objects` their segmentation, class ids [clips, T, S, S]."""
    sampler, transform = config.sampler(), config.transform()
    maps = LabelMaps.read(map_path(path), classes=config.objects) if config.objects else None
    with VideoReader(path) as reader:
        info = reader.info
        slack = max(0.0, info.duration - sampler.span(info.fps))
        out = []
        for k in range(clips):
            times = sampler.times(info.duration, source_fps=info.fps, start=slack * (k + 0.5) / clips)
            out.append(transform(decoded_clip(reader, times, transform, maps)))
    return {key: torch.stack([clip[key] for clip in out]) for key in out[0]}


def clip_config(
    info: RunInfo, *, frames: int | None = None, size: int | None = None, objects: int | None = None
) -> ClipConfig:
    """The evaluation clips of a run (its resolved frames, size, rate and short side), with
    segmentation maps of `objects` classes where the network has an object stem."""
    return ClipConfig(
        frames=frames or info.resolved.frames,
        size=size or info.resolved.size,
        fps=info.resolved.fps,
        train=False,
        eval_short_side=info.resolved.eval_short_side,
        objects=objects,
    )


@torch.no_grad()
def predict_videos(
    model: nn.Module,
    network: Network,
    info: RunInfo,
    videos: list[Path],
    place: Placement,
    *,
    top: int = 5,
    clips: int = 3,
    frames: int | None = None,
    size: int | None = None,
) -> list[Prediction]:
    """One `Prediction` per video, in order, from the model's inference copy (BN folded once); the
    model must be on `place`'s device."""
    if network.header.flow == "input" and any(s.modality == "flow" for s in network.stems):
        raise UserError(
            f"{info.network} reads precomputed flow (`flow input`): `anet predict` decodes RGB only; "
            "evaluate frame folders with flow through `anet eval --data frames:...`"
        )
    objects = {i.name: i.channels for i in network.inputs}.get(STEM_INPUTS["object"])
    config = clip_config(info, frames=frames, size=size, objects=objects)
    model = inference_copy(model, place.autocast_dtype)
    results = []
    for path in videos:
        inputs = network_inputs(video_clips(path, config, clips), network, place)
        with place.autocast():
            logits = model(**inputs).float().cpu()
        scores = torch.sigmoid(logits).amax(0) if info.multi_label else torch.softmax(logits, dim=-1).mean(0)
        best = scores.topk(min(top, scores.numel()))
        indices = best.indices.tolist()
        results.append(Prediction(str(path), [info.classes[i] for i in indices], indices, best.values.tolist()))
    return results
