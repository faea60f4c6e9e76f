"""The Python API, one call per task; `import anet` exposes these names lazily (docs/api.md).

Each call takes and returns the library's own objects (`Network`, `nn.Module`, `RunInfo`,
`TrainResult`), so a script can go from a file to a trained run to metrics, or from a search run to
the network to deploy (`pick`), without the command line.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .dsl import Network, format_network, load
from .dsl import parse as parse_text

if TYPE_CHECKING:
    from torch import nn

    from .evolution.pick import PickBy
    from .training.loop import TrainResult
    from .training.run_info import RunInfo

EXAMPLES = Path(__file__).resolve().parent / "examples"


def parse(path_or_text: str | Path) -> Network:
    """A network from an .anet file (a `Path`, or a string naming an existing file) or from .anet
    text; every problem is an `AnetError` with file, line and column."""
    if isinstance(path_or_text, Path) or ("\n" not in path_or_text and Path(path_or_text).is_file()):
        return load(path_or_text)
    return parse_text(path_or_text)


def compile(network: Network, source_text: str | None = None) -> ModuleType:
    """The generated PyTorch module of `network` (readable source, see `anetc compile`): its
    `build_model(num_classes=None, width=None)` makes the `nn.Module`."""
    from .compiler import compile_to_module

    return compile_to_module(network, source_text or format_network(network), None)


def list_models() -> list[str]:
    """The names `create_model` knows: the shipped examples (AssembleNet-50 and -101, the baselines)."""
    return sorted(path.stem for path in EXAMPLES.glob("*.anet"))


def create_model(name_or_path: str | Path, *, num_classes: int | None = None, width: float | None = None) -> nn.Module:
    """An untrained model of a shipped architecture (`list_models()`) or of an .anet file, with
    the file's classes and width unless given."""
    path = EXAMPLES / f"{name_or_path}.anet" if str(name_or_path) in list_models() else Path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"no model {str(name_or_path)!r}: not one of {', '.join(list_models())} nor a file")
    text = path.read_text(encoding="utf-8")
    from .compiler import compile_to_module

    return compile_to_module(load(path), text, str(path)).build_model(num_classes=num_classes, width=width)


def load_run(run_dir: str | Path, checkpoint: str = "last") -> tuple[nn.Module, RunInfo]:
    """A trained run's model (weights loaded, eval mode, CPU) and its `RunInfo` (class names in
    `info.classes`, clip shape and width in `info.resolved`); `checkpoint`: last, best or a file,
    refused (`CheckpointError`) when it was trained on another architecture, as `anet eval` does."""
    from .training.trained import load_run_dir

    run = load_run_dir(run_dir, checkpoint)
    assert run.info is not None  # read from the directory's run.json
    return run.model(), run.info


def pick(
    run_dir: str | Path, *, max_latency: float | None = None, max_flops: float | None = None, by: PickBy = "auto"
) -> Network:
    """The network to deploy from a search run, as `anet runs pick` chooses it: the best trained
    candidate whose measured latency (ms) and FLOPs fit, by its re-evaluated mean where it has one
    (`by`: auto, fitness or retrained), with its learned weights and its figures in the header
    (`header.fitness`, `.latency`, `.gflops`, `.retrained`). A `PickError` says why none fits."""
    from .evolution.pick import Budget, picked_text
    from .evolution.pick import pick as choose
    from .evolution.report import load_state

    run = Path(run_dir)
    chosen = choose(load_state(run), Budget(max_latency, max_flops), by).candidate
    return parse_text(picked_text(run, chosen, run))


def train(
    network: Network,
    data: str = "proxy",
    *,
    out_dir: str | Path | None = None,
    resume: bool = False,
    source_text: str | None = None,
    **settings: Any,
) -> TrainResult:
    """Train `network` on a data spec (as `anet train --data`); `settings` are `TrainConfig`
    fields (iterations=, width=, frames=, size=, metric=, keep=, ...). With `out_dir`, the run
    directory `anet eval`, `anet predict`, `anet export` and `load_run` read."""
    from .data.spec import parse_data_spec
    from .training import TrainConfig
    from .training import train as run

    text = source_text or format_network(network)
    return run(
        network,
        text,
        parse_data_spec(data),
        TrainConfig(**settings),
        out_dir=Path(out_dir) if out_dir else None,
        resume=resume,
    )


def evaluate(
    model: nn.Module,
    network: Network,
    data: str,
    *,
    frames: int | None = None,
    size: int | None = None,
    batch_size: int = 8,
    crops: int = 1,
    device: str = "auto",
) -> dict[str, float]:
    """Validation metrics of `model` (built from `network`) on a data spec's validation split: top-1,
    top-5 and loss (mAP for multi-label data), as `anet eval` reports them."""
    from .data.spec import parse_data_spec
    from .training import TrainConfig
    from .training.device import placement
    from .training.validation import evaluate as run

    spec = parse_data_spec(data)
    place = placement(TrainConfig(device=device))
    model.to(place.device)
    dataset = spec.dataset("val", frames=frames, size=size, temporal="random" if crops > 1 else None)
    return run(model, network, dataset, multi_label=spec.multi_label, batch_size=batch_size, place=place, crops=crops)
