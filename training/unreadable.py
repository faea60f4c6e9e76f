"""The bad-video policy: one unreadable video does not end a run, many do.

A video that cannot be opened or decoded (missing, empty, truncated, not a video) raises
`VideoDecodeError` where it is read, often in a DataLoader worker. `TolerantSamples` catches it there:
in training it reads the next videos of the data set instead (up to `SUBSTITUTES`, under the same
random seed, so a resumed run still sees what the uninterrupted run saw); in evaluation it drops the
item. Either way the item says which videos it could not read, `collate_readable` gathers that into
the batch, and `UnreadableVideos` in the main process warns once per video and stops the run with a
`UnreadableVideosError` once more than a share `limit` of a split's videos failed
(`--max-bad-videos`, `config.MAX_BAD_VIDEOS` by default). A batch whose every item and substitutes
failed is skipped without a step; only then does a resumed run differ from an uninterrupted one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from torch.utils.data import Dataset, default_collate

from ..data.decode import VideoDecodeError
from ..errors import UserError
from .sampling import SeededSamples

SUBSTITUTES = 8  # following videos tried in place of an unreadable one in training
UNREADABLE = "unreadable"  # item / batch key: [(path, message), ...] of the videos that failed
INDEX = "index"  # item / batch key: the position that was asked for

log = logging.getLogger(__name__)


class UnreadableVideosError(UserError):
    """More of a split's videos failed than the limit allows."""


class TolerantSamples(Dataset[dict[str, Any]]):
    """`SeededSamples` that survive unreadable videos: `(index, seed)` -> item with `INDEX` and
    `UNREADABLE` added; an item whose video (and substitutes) all failed has only those two keys."""

    def __init__(self, dataset: Dataset[dict[str, Any]], *, substitutes: int) -> None:
        self.samples = SeededSamples(dataset)
        self.substitutes = substitutes

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, item: tuple[int, int]) -> dict[str, Any]:
        index, seed = item
        failed: list[tuple[str, str]] = []
        for offset in range(min(self.substitutes + 1, len(self))):
            try:
                sample = self.samples[(index + offset) % len(self), seed]
            except VideoDecodeError as error:
                failed.append((error.path, str(error)))
                continue
            return {**sample, INDEX: index, UNREADABLE: failed}
        return {INDEX: index, UNREADABLE: failed}


def collate_readable(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A batch of the items that were read (none: only `UNREADABLE`), and every failure."""
    failed = [entry for item in items for entry in item[UNREADABLE]]
    readable = [{k: v for k, v in item.items() if k != UNREADABLE} for item in items if len(item) > 2]
    batch: dict[str, Any] = default_collate(readable) if readable else {}
    batch[UNREADABLE] = failed
    return batch


@dataclass
class UnreadableVideos:
    """The distinct unreadable videos of one split so far, and the limit on their share."""

    split: str
    total: int
    limit: float
    seen: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> int:
        return math.floor(self.limit * self.total + 1e-9)

    def record(self, failed: list[tuple[str, str]]) -> None:
        for path, message in failed:
            if path in self.seen:
                continue
            self.seen[path] = message
            log.warning("skipped an unreadable %s video (%d so far): %s", self.split, len(self.seen), message)
        if len(self.seen) > self.allowed:
            first = "; ".join(list(self.seen.values())[:3])
            raise UnreadableVideosError(
                f"{len(self.seen)} of the {self.total} {self.split} videos cannot be read, more than "
                f"--max-bad-videos {self.limit:g} allows ({self.allowed}): {first}. "
                "Repair or remove them, or raise --max-bad-videos"
            )
