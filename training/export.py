"""A trained (or freshly initialised) network as a file that runs without anet: ONNX or TorchScript.

Both are traced (the generated code is plain tensor code, but not TorchScript-scriptable), on an
example clip of the run's frames and size. The runtime fixes the frame size in a traced graph (TF
"same" pooling pads by the size's parity, and ONNX pads are attributes: see
`anet.runtime.layers.frame_size`); the batch size and the number of frames stay free.

- ONNX: the TorchScript-based exporter (`dynamo=False`: it needs no onnxscript), opset 17, inputs
  named as the generated `forward`'s arguments (`rgb`, `flow` for networks that read precomputed
  flow) with dynamic axes batch and frames, output `logits`.
- TorchScript: one trace per frame size in `sizes`, under a scripted module that picks the trace by
  the input's size, so one file serves several clip sizes (and any batch and frame count); another
  size is refused with a message listing those it holds.
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


def input_names(network: Network) -> list[str]:
    """The generated `forward`'s required arguments (`Network.inputs`): rgb (also when flow is
    computed from it), and flow when the network reads precomputed flow."""
    if any(s.modality == "object" for s in network.stems):
        raise UserError(f"{network.header.name} has an object stem: exporting it is not supported yet")
    return [i.name for i in network.inputs if i.required]


def example_inputs(network: Network, *, batch: int, frames: int, size: int, seed: int = 0) -> tuple[Tensor, ...]:
    """Random clips in the value ranges the model sees: rgb in [0, 1], flow in pixels."""
    generator = torch.Generator().manual_seed(seed)
    shapes = {"rgb": (batch, 3, frames, size, size), "flow": (batch, 2, frames, size, size)}
    scale = {"rgb": 1.0, "flow": 4.0}
    return tuple(torch.rand(*shapes[n], generator=generator) * scale[n] for n in input_names(network))


class _BySize(nn.Module):
    """Dispatches to the trace made at the input's frame size."""

    def __init__(self, traces: dict[int, torch.jit.ScriptModule]) -> None:
        super().__init__()
        self.sizes: list[int] = list(traces)
        self.traces = nn.ModuleList(traces.values())

    def forward(self, rgb: Tensor) -> Tensor:
        for index, traced in enumerate(self.traces):
            if rgb.shape[-1] == self.sizes[index] and rgb.shape[-2] == self.sizes[index]:
                return traced(rgb)
        raise ValueError(f"this export runs clips of {self.sizes} pixels, not {rgb.shape[-2]} x {rgb.shape[-1]}")


class _BySizeWithFlow(_BySize):
    def forward(self, rgb: Tensor, flow: Tensor) -> Tensor:  # type: ignore[override]
        for index, traced in enumerate(self.traces):
            if rgb.shape[-1] == self.sizes[index] and rgb.shape[-2] == self.sizes[index]:
                return traced(rgb, flow)
        raise ValueError(f"this export runs clips of {self.sizes} pixels, not {rgb.shape[-2]} x {rgb.shape[-1]}")


def export_model(
    model: nn.Module, network: Network, path: Path, fmt: Format, *, frames: int, sizes: Sequence[int]
) -> Path:
    """Write `model` (in eval mode, on the CPU) to `path`; `sizes`: ONNX takes the first."""
    if not sizes:
        raise UserError("give at least one clip size")
    model = model.eval().cpu()
    names = input_names(network)
    with torch.no_grad(), warnings.catch_warnings():
        # torch marks jit.trace and the TorchScript-based ONNX exporter deprecated and warns that a
        # trace fixes shapes: both are what this export is (see the module docstring).
        warnings.simplefilter("ignore")
        if fmt == "onnx":
            buffer = io.BytesIO()
            torch.onnx.export(
                model,
                example_inputs(network, batch=1, frames=frames, size=sizes[0]),
                buffer,
                opset_version=OPSET,
                dynamo=False,
                input_names=names,
                output_names=["logits"],
                dynamic_axes={**{n: {0: "batch", 2: "frames"} for n in names}, "logits": {0: "batch"}},
            )
            write_atomic(path, buffer.getvalue())
            return path
        traces = {
            size: torch.jit.trace(model, example_inputs(network, batch=1, frames=frames, size=size), check_trace=False)
            for size in dict.fromkeys(sizes)
        }
        wrapper = (_BySizeWithFlow if "flow" in names else _BySize)(traces)
        scripted = torch.jit.script(wrapper)
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer)
    write_atomic(path, buffer.getvalue())
    return path
