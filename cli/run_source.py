"""What `anet eval`, `anet predict` and `anet export` are given: a run directory (`anet train --out`),
which holds everything, or an .anet file with a checkpoint, as before run directories existed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..dsl import Network, architecture_hash
from .app import CommandFailed
from .language import read_network


@dataclass(frozen=True)
class EvalSource:
    """A trained network to evaluate: its architecture, weights (`state`), and the settings it was
    trained with (None where only a bare checkpoint says nothing about them)."""

    network: Network
    text: str
    label: str
    state: dict[str, Any]
    checkpoint: Path
    data: str
    classes: tuple[str, ...] | None
    width: float | None
    frames: int | None
    size: int | None

    def model(self, spec: Any, width: float | None = None) -> Any:
        """The network built for `spec`'s classes with the checkpoint's weights; data with other
        class names than the run's is refused (its labels would be scored against the wrong classes)."""
        from ..training.checkpoint import load_model_state
        from ..training.model import build_for_data

        names = tuple(spec.class_names) if spec.class_names else None
        if self.classes is not None and names is not None and names != self.classes:
            pairs = enumerate(zip(self.classes, names, strict=False))
            differ = next((f"class {i} is {a!r} there, {b!r} here" for i, (a, b) in pairs if a != b), None)
            raise CommandFailed(
                f"data {spec.text!r} has other classes than the run was trained on "
                f"({differ or f'{len(self.classes)} classes there, {len(names)} here'}): "
                "evaluate on data with the run's classes"
            )
        model = build_for_data(self.network, self.text, spec, width=width or self.width, source_path=self.label)
        load_model_state(model, self.state, self.checkpoint)
        return model


def load_for_eval(source: str, checkpoint: str | None, data: str | None) -> EvalSource:
    """RUN_DIR (with `checkpoint` last, best or a file) or FILE.anet (with `checkpoint` a file)."""
    from ..training.checkpoint import CheckpointError, load_checkpoint
    from ..training.run_dir import read_run

    if Path(source).is_dir():
        run = read_run(source, checkpoint or "last")
        state = load_checkpoint(run.checkpoint)
        _check_architecture(state, run.network, run.checkpoint, str(Path(source) / run.info.network_file))
        return EvalSource(
            network=run.network,
            text=run.text,
            label=str(Path(source) / run.info.network_file),
            state=state,
            checkpoint=run.checkpoint,
            data=data or run.info.data,
            classes=run.info.classes,
            width=run.info.resolved.width,
            frames=run.info.resolved.frames,
            size=run.info.resolved.size,
        )
    if checkpoint is None:
        raise CommandFailed(f"{source} is an .anet file: pass --checkpoint FILE (or give the run directory instead)")
    path = Path(checkpoint)
    if not path.is_file():
        raise CommandFailed(f"--checkpoint {checkpoint} is not a file")
    network, text, label = read_network(source)
    state = load_checkpoint(path)
    _check_architecture(state, network, path, label)
    data = data or state.get("data")
    if not data:
        raise CheckpointError(f"{path} does not say which data it was trained on: pass --data")
    trained = state.get("config", {})
    return EvalSource(
        network=network,
        text=text,
        label=label,
        state=state,
        checkpoint=path,
        data=data,
        classes=None,
        width=trained.get("width"),
        frames=trained.get("frames"),
        size=trained.get("size"),
    )


def _check_architecture(state: dict[str, Any], network: Network, checkpoint: Path, label: str) -> None:
    from ..training.checkpoint import CheckpointError

    if state["architecture"] != architecture_hash(network):
        raise CheckpointError(
            f"{checkpoint} was trained on another architecture than {label} "
            f"(hash {state['architecture']}, not {architecture_hash(network)}): pass the .anet file it was trained from"
        )
