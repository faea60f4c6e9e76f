"""What a run is about to train on, said before the first step: classes, split sizes, the clip, and
where the numbers it will report cannot mean much (a tiny validation split, top-5 of five classes
or fewer); and the one way a command-line setting and the data spec can contradict each other."""

from __future__ import annotations

import logging
import math

from ..data.spec import DataSpec
from ..dsl import Network
from ..errors import UserError
from .config import Metric

log = logging.getLogger(__name__)

SMALL_VALIDATION = 100
"""Below this many validation videos one standard error of top-1 exceeds 5 points (at 50 %)."""


def data_summary(
    network: Network, data: DataSpec, *, train: int, val: int, frames: int, size: int, metric: Metric
) -> str:
    """One line; warns (through logging) about what makes the metrics unreliable."""
    names = data.class_names or ()
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    line = f"data {data.text}: {data.num_classes} classes" + (f" ({shown})" if shown else "")
    line += f", {train} training / {val} validation {'clips' if data.kind == 'proxy' else 'videos'}"
    line += f", clips of {frames} frames x {size} px"
    if network.header.classes != data.num_classes:
        line += f"; the file's `classes {network.header.classes}` is replaced by the data's {data.num_classes}"
    if val < SMALL_VALIDATION:
        error = 0.5 / math.sqrt(max(val, 1))
        log.warning(
            "the validation split has only %d video(s): top-1 is known to about +-%.2f (one standard error "
            "at 50 %%), too coarse to compare runs; add validation videos",
            val,
            error,
        )
    if not data.multi_label and data.num_classes <= 5:
        log.warning(
            "with %d classes top-5 accuracy is always 1 and means nothing%s",
            data.num_classes,
            "; --metric top1 ranks by what is measured" if metric == "top1+top5" else "",
        )
    return line


def check_clip_flags(data: DataSpec, **flags: int | float | None) -> None:
    """A clip setting given both as a flag (`--frames 16`) and in the data spec (`frames=8`) with
    different values is an error: the spec's value would win silently."""
    for name, flag in flags.items():
        fixed = getattr(data, name)
        if flag is not None and fixed is not None and flag != fixed:
            raise UserError(
                f"--{name} {flag:g} conflicts with {name}={fixed:g} in the data spec {data.text!r}: give it once"
            )
