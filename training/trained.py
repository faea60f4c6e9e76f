"""A trained model, from wherever it is kept: a run directory (`anet train --out`), which holds
everything, or an .anet file with a checkpoint, as before run directories existed. `anet eval`
and `anet export` load through `load_trained`, `anet predict` and `anet.load_run` (which take only
a run directory) through `load_run_dir`, so each of them refuses a checkpoint of another
architecture with the same message; `TrainedRun.model` refuses data with other classes than the
run's (`anet eval --data`).

    run = load_trained("runs/t1", "best")
    model = run.model()                        # eval mode, on the CPU
    run.info.classes[model(clip).argmax()]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dsl import Network, architecture_hash, decode, parse
from .checkpoint import CheckpointError, load_checkpoint, load_model_state
from .run_dir import Which, checkpoint_file
from .run_info import RunInfo, read_run_info

if TYPE_CHECKING:
    from torch import nn

    from ..data.dataspec import DataSpec

# Reads FILE.anet: (network, text, label for messages). The command line passes its own, which
# also reads standard input and shows the file's warnings.
ReadNetwork = Callable[[str], tuple[Network, str, str]]


@dataclass(frozen=True)
class TrainedRun:
    """A network, the checkpoint (`state`, verified) trained on it, and what the run says about
    itself: `info` from a run directory; from a bare checkpoint, only what its `config` holds.
    `data` is the data spec it trained on (None where a bare checkpoint does not say), which a
    caller may replace by other data with the same classes (`dataclasses.replace`)."""

    network: Network
    text: str
    label: str
    state: dict[str, Any]
    checkpoint: Path
    info: RunInfo | None
    data: str | None

    @property
    def classes(self) -> tuple[str, ...] | None:
        return self.info.classes if self.info else None

    @property
    def width(self) -> float | None:
        return self.info.resolved.width if self.info else self._trained("width")

    @property
    def frames(self) -> int | None:
        return self.info.resolved.frames if self.info else self._trained("frames")

    @property
    def size(self) -> int | None:
        return self.info.resolved.size if self.info else self._trained("size")

    def _trained(self, key: str) -> Any:
        return self.state.get("config", {}).get(key)

    def model(self, data: DataSpec | None = None, width: float | None = None) -> nn.Module:
        """The network with the checkpoint's weights, in eval mode on the CPU: for `data`'s classes
        (data with other class names than the run's is refused: its labels would be scored against
        the wrong classes), else for the run's, at `width` or the width it trained at."""
        from ..compiler import compile_to_module
        from .model import build_for_data

        if data is None and self.info is None and self.data:
            from ..data.spec import parse_data_spec

            data = parse_data_spec(self.data)  # a bare checkpoint's class count is its data's
        width = width or self.width
        if data is None:
            module = compile_to_module(self.network, self.text, self.label)
            model = module.build_model(num_classes=self.info.num_classes if self.info else None, width=width)
        else:
            self._check_classes(data)
            model = build_for_data(self.network, self.text, data, width=width, source_path=self.label)
        load_model_state(model, self.state, self.checkpoint)  # names the width or class count that does not fit
        return model.eval()

    def _check_classes(self, data: DataSpec) -> None:
        names = tuple(data.class_names) if data.class_names else None
        if self.classes is None or names is None or names == self.classes:
            return
        pairs = enumerate(zip(self.classes, names, strict=False))
        differ = next((f"class {i} is {a!r} there, {b!r} here" for i, (a, b) in pairs if a != b), None)
        raise CheckpointError(
            f"data {data.text!r} has other classes than the run was trained on "
            f"({differ or f'{len(self.classes)} classes there, {len(names)} here'}): "
            "evaluate on data with the run's classes"
        )


def load_trained(
    source: str | Path, checkpoint: Which | str | Path | None = None, *, read: ReadNetwork | None = None
) -> TrainedRun:
    """RUN_DIR (`checkpoint`: last, the default; best; or a file) or FILE.anet with `checkpoint` a
    file, read by `read` (default: `anet.dsl.parse` of its text). The checkpoint is loaded, verified
    and checked to be of this architecture."""
    if Path(source).is_dir():
        return load_run_dir(source, checkpoint or "last")
    if checkpoint is None:
        raise CheckpointError(f"{source} is an .anet file: give the checkpoint trained on it (or the run directory)")
    if read is None:
        text = decode(Path(source).read_bytes(), str(source))
        network, label = parse(text, str(source)), str(source)
    else:
        network, text, label = read(str(source))
    return _checked(network, text, label, Path(checkpoint), None)


def load_run_dir(run_dir: str | Path, checkpoint: Which | str | Path = "last") -> TrainedRun:
    """A run directory's network (as trained: `network.anet`, checked against its digest), its
    description and one of its checkpoints."""
    run_dir = Path(run_dir)
    info, text = read_run_info(run_dir)
    path = checkpoint_file(run_dir, checkpoint)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist (the run has not written a checkpoint yet)")
    label = str(run_dir / info.network_file)
    return _checked(parse(text, label), text, label, path, info)


def _checked(network: Network, text: str, label: str, path: Path, info: RunInfo | None) -> TrainedRun:
    state = load_checkpoint(path)
    if state["architecture"] != architecture_hash(network):
        raise CheckpointError(
            f"{path} was trained on another architecture than {label} "
            f"(hash {state['architecture']}, not {architecture_hash(network)}): pass the .anet file it was trained from"
        )
    data = info.data if info else state.get("data")
    return TrainedRun(network=network, text=text, label=label, state=state, checkpoint=path, info=info, data=data)
