"""The bad-video policy's parts: substitution in training, dropping in evaluation, the limit."""

from __future__ import annotations

import logging

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from anet.data.decode import VideoDecodeError
from anet.training.unreadable import (
    INDEX,
    UNREADABLE,
    TolerantSamples,
    UnreadableVideos,
    UnreadableVideosError,
    collate_readable,
)


class Videos(Dataset):
    """Item i is a tensor [i] drawn after seeding; the indices in `bad` cannot be read."""

    def __init__(self, size: int, bad: set[int]) -> None:
        self.size, self.bad = size, bad

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> dict:
        if index in self.bad:
            raise VideoDecodeError(f"v{index}.mp4", f"cannot open video v{index}.mp4: broken")
        return {"rgb": torch.tensor([float(index)]), "noise": torch.rand(()), "label": torch.tensor(index)}


def test_training_reads_the_next_video_under_the_same_seed():
    samples = TolerantSamples(Videos(6, {2, 3}), substitutes=8)
    item = samples[2, 1234]
    assert item["rgb"].item() == 4 and item[INDEX] == 2
    assert [path for path, _ in item[UNREADABLE]] == ["v2.mp4", "v3.mp4"]
    assert item["noise"] == samples[4, 1234]["noise"]  # same seed: a resumed run draws the same
    assert samples[5, 1][UNREADABLE] == []


def test_evaluation_drops_unreadable_videos_and_a_batch_says_which():
    loader = DataLoader(
        TolerantSamples(Videos(4, {1}), substitutes=0),
        batch_size=4,
        sampler=[(i, i) for i in range(4)],
        collate_fn=collate_readable,
        num_workers=2,
    )
    (batch,) = list(loader)
    assert batch[INDEX].tolist() == [0, 2, 3] and batch["rgb"].flatten().tolist() == [0, 2, 3]
    assert batch[UNREADABLE] == [("v1.mp4", "cannot open video v1.mp4: broken")]
    nothing = collate_readable([TolerantSamples(Videos(2, {0, 1}), substitutes=1)[0, 0]])
    assert set(nothing) == {UNREADABLE} and len(nothing[UNREADABLE]) == 2


def test_the_limit_is_a_share_of_distinct_videos(caplog):
    tracker = UnreadableVideos("training", total=40, limit=0.05)
    assert tracker.allowed == 2
    with caplog.at_level(logging.WARNING, logger="anet"):
        tracker.record([("a.mp4", "cannot open a.mp4"), ("a.mp4", "cannot open a.mp4")])
        tracker.record([("b.mp4", "cannot open b.mp4")])
    assert caplog.text.count("skipped an unreadable training video") == 2
    with pytest.raises(UnreadableVideosError, match=r"3 of the 40 training videos .* --max-bad-videos 0.05 .*a.mp4"):
        tracker.record([("c.mp4", "cannot open c.mp4")])
    with pytest.raises(UnreadableVideosError):
        UnreadableVideos("validation", total=10, limit=0.0).record([("x.mp4", "bad")])
