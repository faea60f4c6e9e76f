"""The one way anet turns a data set into batches: training, validation and BN re-estimation alike.

Every loader reads through `TolerantSamples` (an unreadable video is replaced or dropped, not fatal)
and `collate_readable`, and starts its worker processes with `WORKER_START`.

Workers are spawned, not forked. A forked worker inherits the parent's memory but none of its
threads, and FFmpeg's frame scaler keeps worker threads: when the parent had scaled frames before
the fork, a worker that reconfigures such a scaler waits forever for threads that do not exist in it
(seen as a test run that hung near its end, both DataLoader workers blocked in FFmpeg's
`avpriv_slicethread_free` on a condition variable the parent's scaler threads were waiting on).
Scaling with one thread does not avoid it: FFmpeg still starts one worker thread per scaler. A
spawned worker starts clean, at the cost of importing torch once (a few seconds, per loader); so a
script that trains with `workers > 0` through the Python API needs the usual
`if __name__ == "__main__":` guard, as it would on macOS or Windows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from torch.utils.data import DataLoader, Dataset

from .unreadable import TolerantSamples, collate_readable

WORKER_START: Final = "spawn"  # multiprocessing start method of every DataLoader worker anet starts


def tolerant_loader(
    dataset: Dataset[dict[str, Any]],
    *,
    substitutes: int,
    batch_size: int,
    sampler: Iterable[Any],
    workers: int,
    pin_memory: bool = False,
    persistent: bool = False,
) -> DataLoader[dict[str, Any]]:
    """Batches of `dataset` in `sampler`'s order, read by `workers` spawned processes (none: in this
    one); `substitutes` following videos stand in for an unreadable one (0: it is dropped)."""
    return DataLoader(
        TolerantSamples(dataset, substitutes=substitutes),
        batch_size=batch_size,
        sampler=sampler,  # type: ignore[arg-type]
        collate_fn=collate_readable,
        num_workers=workers,
        multiprocessing_context=WORKER_START if workers > 0 else None,
        pin_memory=pin_memory,
        persistent_workers=persistent and workers > 0,
    )
