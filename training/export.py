"""A trained (or freshly initialised) network as a file that runs without anet: ONNX or TorchScript.

Both are traced (the generated code is plain tensor code, but not TorchScript-scriptable), on an
example clip of the run's frames and size. The runtime fixes the frame size in a traced graph (TF
"same" pooling pads by the size's parity, and ONNX pads are attributes: see
`anet.runtime.layers.frame_size`); the batch size and the number of frames stay free.

- ONNX: the TorchScript-based exporter (`dynamo=False`: it needs no onnxscript), opset 17, inputs
  named as the generated `forward`'s arguments (`rgb`; `flow` for networks that read precomputed
  flow; `segmentation` for an object stem) with dynamic axes batch and frames, output `logits`.
- TorchScript: one trace per frame size in `sizes`, under a scripted module that picks the trace by
  the input's size, so one file serves several clip sizes (and any batch and frame count); another
  size is refused with a message listing those it holds. It takes the same inputs, in the same
  order, positionally or by name.

What a trace cannot hold is refused as the user's to change (a one-frame trace of a network that
computes flow, ONNX weights beyond protobuf's 2 GiB); torch's exporter refusing an operator of the
generated code stays anet's bug (`OnnxExportError`), with the hint that TorchScript may do.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn

from ..dsl import Network
from ..errors import UserError
from ..files import write_atomic

Format = Literal["onnx", "torchscript"]
OPSET = 17
# What a single ONNX file can hold: protobuf refuses messages of 2 GiB or more.
ONNX_LIMIT_BYTES = 2**31
# Where the example inputs' values lie: rgb in [0, 1], flow in pixels, segmentation class scores.
_EXAMPLE_SCALE = {"rgb": 1.0, "flow": 4.0, "segmentation": 1.0}


class OnnxExportError(RuntimeError):
    """torch's ONNX exporter refused a network anet generated: a bug in anet, not in the user's
    file (so the command line still reports it as an internal error), with what still works."""


def input_names(network: Network) -> list[str]:
    """The generated `forward`'s required arguments (`Network.inputs`) in its order: rgb (also when
    flow is computed from it), flow when the network reads precomputed flow, segmentation for an
    object stem."""
    return [i.name for i in network.inputs if i.required]


def example_inputs(network: Network, *, batch: int, frames: int, size: int, seed: int = 0) -> tuple[Tensor, ...]:
    """Random clips in the value ranges the model sees (`_EXAMPLE_SCALE`), one per required input."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.rand(batch, i.channels, frames, size, size, generator=generator) * _EXAMPLE_SCALE[i.name]
        for i in network.inputs
        if i.required
    )


class _FirstOfThree(nn.Module):
    """The model called with the first `count` of three inputs, so that every trace, whatever the
    network reads, has the signature `_BySize` calls (the others are empty placeholders)."""

    def __init__(self, model: nn.Module, count: int) -> None:
        super().__init__()
        self.model, self.count = model, count

    def forward(self, first: Tensor, second: Tensor, third: Tensor) -> Tensor:
        return self.model(*(first, second, third)[: self.count])


class _BySize(nn.Module):
    """Takes the network's inputs in the generated `forward`'s order (positionally or by name) and
    dispatches to the trace made at their frame size."""

    def __init__(self, traces: dict[int, torch.jit.ScriptModule], names: list[str]) -> None:
        super().__init__()
        self.sizes: list[int] = list(traces)
        self.names: list[str] = names
        self.traces = nn.ModuleList(traces.values())

    def forward(
        self, rgb: Tensor | None = None, flow: Tensor | None = None, segmentation: Tensor | None = None
    ) -> Tensor:
        given: list[Tensor] = []
        for clip in [rgb, flow, segmentation]:
            if clip is not None:
                given.append(clip)
        if len(given) != len(self.names):
            raise ValueError(f"this export takes {len(self.names)} clips, {self.names}, not {len(given)}")
        while len(given) < 3:
            given.append(given[0].new_empty(0))
        for index, traced in enumerate(self.traces):
            if given[0].shape[-1] == self.sizes[index] and given[0].shape[-2] == self.sizes[index]:
                return traced(given[0], given[1], given[2])
        raise ValueError(
            f"this export runs clips of {self.sizes} pixels, not {given[0].shape[-2]} x {given[0].shape[-1]}"
        )


def export_model(
    model: nn.Module, network: Network, path: Path, fmt: Format, *, frames: int, sizes: Sequence[int]
) -> Path:
    """Write `model` (in eval mode, on the CPU) to `path`; `sizes`: ONNX takes the first."""
    if not sizes:
        raise UserError("give at least one clip size")
    _check_exportable(model, network, fmt, frames)
    model = model.eval().cpu()
    with torch.no_grad(), warnings.catch_warnings():
        # torch marks jit.trace and the TorchScript-based ONNX exporter deprecated and warns that a
        # trace fixes shapes: both are what this export is (see the module docstring).
        warnings.simplefilter("ignore")
        data = _onnx(model, network, frames, sizes[0]) if fmt == "onnx" else _torchscript(model, network, frames, sizes)
    write_atomic(path, data)
    return path


def _check_exportable(model: nn.Module, network: Network, fmt: Format, frames: int) -> None:
    """The known limits of a traced export, as the user's to fix (exit 1) rather than a failure."""
    if frames < 2 and any(i.name == "flow" and not i.required for i in network.inputs):
        raise UserError(
            f"--frames {frames}: {network.header.name} computes flow between consecutive frames, which a "
            "one-frame trace would record as always zero; give --frames 2 or more"
        )
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    if fmt == "onnx" and weights >= ONNX_LIMIT_BYTES:
        raise UserError(
            f"{network.header.name} holds {weights / 2**30:.1f} GiB of weights, and an ONNX file at most "
            "2 GiB (protobuf's limit): export it with --format torchscript, or at a smaller --width"
        )


def _onnx(model: nn.Module, network: Network, frames: int, size: int) -> bytes:
    names = input_names(network)
    buffer = io.BytesIO()
    try:
        torch.onnx.export(
            model,
            example_inputs(network, batch=1, frames=frames, size=size),
            buffer,
            opset_version=OPSET,
            dynamo=False,
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**{n: {0: "batch", 2: "frames"} for n in names}, "logits": {0: "batch"}},
        )
    except torch.onnx.errors.OnnxExporterError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OnnxExportError(
            f"torch's ONNX exporter could not write {network.header.name} ({reason}); "
            "--format torchscript may export it"
        ) from exc
    return buffer.getvalue()


def _torchscript(model: nn.Module, network: Network, frames: int, sizes: Sequence[int]) -> bytes:
    names = input_names(network)
    adapter = _FirstOfThree(model, len(names))
    traces = {}
    for size in dict.fromkeys(sizes):
        clips = list(example_inputs(network, batch=1, frames=frames, size=size))
        clips += [clips[0].new_empty(0)] * (3 - len(clips))
        traces[size] = torch.jit.trace(adapter, tuple(clips), check_trace=False)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(_BySize(traces, names)), buffer)
    return buffer.getvalue()
