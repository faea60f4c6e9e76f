"""What a training run directory says about itself, so that it can be evaluated, used for prediction
and exported with nothing else at hand (mmaction2 dumps its config into the work dir for the same
reason): the `.anet` text it trained (`network.anet`, byte for byte), and in `run.json` the data
spec, the class names in index order, the training settings as given and as resolved, and the
anet / torch versions. Both are written atomically when training starts; `--resume` compares the
new command's settings with them.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import __version__
from ..errors import UserError
from ..files import write_atomic
from .config import TrainConfig

RUN_INFO = "run.json"
NETWORK_FILE = "network.anet"
LEARNED_FILE = "learned.anet"


class RunDirError(UserError):
    """A folder that is not a usable training run (no run.json, or one that does not match)."""


class Resolved(BaseModel):
    """The settings training actually used where the config left them open (None there)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frames: int
    size: int
    fps: float | None
    eval_short_side: int | None = None
    width: float
    lr: float


class RunInfo(BaseModel):
    """One training run's self-description (`run.json`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1] = 1
    network: str = Field(description="the architecture's name in its header")
    network_file: str = NETWORK_FILE
    network_sha256: str = Field(description="sha256 of network.anet, checked when the run is loaded")
    source: str | None = Field(description="where the .anet text was read from")
    architecture: str = Field(description="architecture hash (anet.dsl.architecture_hash)")
    data: str = Field(description="the data spec trained on")
    classes: tuple[str, ...] = Field(description="class names, index -> name")
    multi_label: bool
    config: TrainConfig
    resolved: Resolved
    anet_version: str = __version__
    torch_version: str
    python_version: str = Field(default_factory=platform.python_version)
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_run_info(directory: Path, info: RunInfo, network_text: str) -> None:
    """network.anet first, then run.json (which names its digest): a run.json is never newer than
    the network it describes."""
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(directory / info.network_file, network_text)
    write_atomic(directory / RUN_INFO, info.model_dump_json(indent=1) + "\n")


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and (path / RUN_INFO).is_file()


def read_run_info(directory: Path) -> tuple[RunInfo, str]:
    """(info, the .anet text trained) of a run directory, or a `RunDirError` naming what is wrong."""
    path = directory / RUN_INFO
    if not path.is_file():
        raise RunDirError(
            f"{directory} is not a training run directory (it has no {RUN_INFO}; runs written by `anet train` "
            "before it existed need the .anet file and --checkpoint)"
        )
    try:
        info = RunInfo.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise RunDirError(f"{path} is damaged or was not written by anet: {first}") from None
    network_path = directory / info.network_file
    if not network_path.is_file():
        raise RunDirError(f"{directory} lacks {info.network_file}, the architecture it trained")
    text = network_path.read_text(encoding="utf-8")
    if text_digest(text) != info.network_sha256:
        raise RunDirError(
            f"{network_path} was changed after training (its sha256 differs from {path}'s): "
            "restore it, or evaluate the edited file with --checkpoint"
        )
    return info, text


def resume_mismatch(old: RunInfo, new: RunInfo) -> str | None:
    """Why a run cannot be resumed with new settings (one line), or None."""
    checks = (
        ("architecture", old.architecture, new.architecture),
        ("data", old.data, new.data),
        ("classes", len(old.classes), len(new.classes)),
        ("width", old.resolved.width, new.resolved.width),
    )
    for name, before, now in checks:
        if before != now:
            return f"it was trained with {name} {before!r}, not {now!r}"
    return None
