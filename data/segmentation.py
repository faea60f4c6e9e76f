"""Object-segmentation maps beside videos: the input of AssembleNet++'s object stem.

Any segmenter can write them (ADE20k models give 150 classes and background: 151). One file per video,
beside it, with the video's suffix replaced (a frame folder `root/v1/` gets `root/v1.seg.npz`):

    clip.mp4  ->  clip.seg.npz    array `labels`: integer class ids [T, H, W], labels[k] for frame k

`np.savez_compressed(path, labels=ids.astype(np.uint8))` writes one (label maps compress well; each
clip decompresses the whole file, so keep the maps of long videos at a low resolution). T is the
video's frame count (one more or one fewer is accepted for video files: containers count their
frames differently); H x W is any size of the video's aspect ratio (a rounding pixel either way),
so a segmenter can run at a lower resolution than the video. Frame k of the maps belongs to frame k
of the video at its average rate.

A clip's maps are the frames at the clip's instants, picked as the decoder picks the RGB frames,
resized (nearest neighbour) to the decoded frames and then cropped, flipped and resized with them
(`transforms.py`). Items carry class ids, uint8 [T, H, W] (int32 beyond 256 classes); `one_hot`
makes the model's input on its device: one-hot 151 classes of 8 x 112 x 112 in float32 are 60 MB a
clip, too much for a DataLoader's queue and its workers.

A map that is missing or does not fit its video raises `SegmentationError`, a `VideoDecodeError`:
training and evaluation skip that video as unreadable (with a warning naming the map) under the
same limit as broken videos. Layouts check beforehand that every video has its file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .decode import VIDEO_SUFFIXES, VideoDecodeError, VideoInfo
from .sampling import nearest_frame_indices
from .transforms import resize_labels

SUFFIX = ".seg.npz"
ARRAY = "labels"
# Containers disagree by a frame about how many frames a video has (a last partial frame, an edit list).
FRAME_SLACK = 1


class SegmentationError(VideoDecodeError):
    """A video's segmentation maps are missing, unreadable or do not fit it; `path` is the map file."""


def map_path(video: str | Path) -> Path:
    """Where the maps of a video file or frame folder lie: `clip.mp4` -> `clip.seg.npz`."""
    video = Path(video)
    name = video.name
    if video.suffix.lower() in VIDEO_SUFFIXES:
        name = name[: -len(video.suffix)]
    return video.with_name(name + SUFFIX)


def missing_maps(videos: Iterable[str | Path]) -> list[Path]:
    """The map files of `videos` that do not exist, in order."""
    return [path for path in map(map_path, videos) if not path.is_file()]


def id_dtype(classes: int) -> np.dtype:
    """The dtype an item's class ids travel in: one byte where it suffices."""
    return np.dtype(np.uint8 if classes <= 256 else np.int32)


@dataclass(frozen=True)
class LabelMaps:
    """The class ids of every frame of one video, [T, H, W], checked against the declared class count."""

    path: Path
    labels: np.ndarray

    @classmethod
    def read(cls, path: str | Path, *, classes: int) -> LabelMaps:
        path = Path(path)
        if not path.is_file():
            raise SegmentationError(path, f"segmentation maps {path} do not exist (one {SUFFIX} beside each video)")
        labels = _load(path)
        if labels.ndim != 3 or labels.size == 0:
            raise SegmentationError(
                path, f"{path}: `{ARRAY}` must be class ids [frames, height, width], got shape {labels.shape}"
            )
        if labels.dtype.kind not in "ui":
            raise SegmentationError(path, f"{path}: `{ARRAY}` must hold integer class ids, got {labels.dtype}")
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= classes:
            raise SegmentationError(
                path,
                f"{path} has class id {low if low < 0 else high}, but the data declares objects={classes} "
                f"(ids 0 to {classes - 1})",
            )
        return cls(path, labels.astype(id_dtype(classes), copy=False))

    def __len__(self) -> int:
        return len(self.labels)

    def check_fits(self, *, frames: int, width: int, height: int, video: str | Path, slack: int) -> None:
        """That the maps have `frames` frames (within `slack`) and the aspect ratio of width x height."""
        count, (map_height, map_width) = len(self), self.labels.shape[1:]
        if abs(count - frames) > slack:
            raise SegmentationError(
                self.path, f"{self.path} has {count} frames of maps, but {video} has {frames} frames: one map a frame"
            )
        if abs(map_width * height / width - map_height) > 1 and abs(map_height * width / height - map_width) > 1:
            raise SegmentationError(
                self.path,
                f"{self.path} has maps of {map_width}x{map_height}, but {video} is {width}x{height}: maps may "
                "be of another size than the video, not of another aspect ratio",
            )

    def frames(self, indices: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
        """The maps of frames `indices`, resized to (height, width): class ids [len(indices), *size]."""
        picked = torch.from_numpy(np.ascontiguousarray(self.labels[indices]))
        return resize_labels(picked, size)

    def at(self, times: np.ndarray, info: VideoInfo, size: tuple[int, int], *, video: str | Path) -> torch.Tensor:
        """The maps shown at `times` (seconds) of a video described by `info`, at the decoded frames' size."""
        frames = info.num_frames or max(1, round(info.duration * info.fps))
        self.check_fits(frames=frames, width=info.width, height=info.height, video=video, slack=FRAME_SLACK)
        return self.frames(nearest_frame_indices(times, source_fps=info.fps, num_frames=len(self)), size)


def _load(path: Path) -> np.ndarray:
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise SegmentationError(path, f"cannot read segmentation maps {path}: {error}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise SegmentationError(path, f"{path} is not an .npz archive (write it with np.savez_compressed)")
    with archive:
        if ARRAY not in archive.files:
            found = ", ".join(archive.files) or "nothing"
            raise SegmentationError(path, f"{path} has no array `{ARRAY}` (it holds {found})")
        try:
            return archive[ARRAY]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise SegmentationError(path, f"cannot read `{ARRAY}` from {path}: {error}") from error


def one_hot(ids: torch.Tensor, classes: int) -> torch.Tensor:
    """Class ids [B, T, H, W] -> float one-hot maps [B, classes, T, H, W] (the model's `segmentation`)."""
    out = torch.zeros((ids.shape[0], classes, *ids.shape[1:]), dtype=torch.float32, device=ids.device)
    return out.scatter_(1, ids.long().unsqueeze(1), 1.0)
