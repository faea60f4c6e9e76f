"""Between the data and a compiled network: building it for the data's classes (refusing data
without the inputs it reads), feeding it the inputs it declares, and reading back its learned
connection weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..compiler import compile_to_module
from ..data.segmentation import one_hot
from ..data.spec import DataSpec
from ..dsl import Network
from ..errors import UserError
from ..paper import STEM_INPUTS
from .device import Placement


class DataMismatchError(UserError, ValueError):
    """The network needs an input the data does not provide."""


def check_inputs(network: Network, data: DataSpec) -> None:
    required = {i.name: i for i in network.inputs if i.required}
    if "flow" in required and not data.has_flow:
        raise DataMismatchError(
            f"{network.header.name} reads precomputed flow (`flow input`), but the data "
            f"{data.text!r} has none: use `flow computed` or data with flow"
        )
    objects = required.get(STEM_INPUTS["object"])
    if objects is None:
        return
    if data.objects is None:
        raise DataMismatchError(
            f"{network.header.name} has an object stem of C={objects.channels} segmentation classes, but the data "
            f"{data.text!r} provides no segmentation maps: add objects={objects.channels} to its spec, with maps "
            "beside the videos (<video>.seg.npz), or train on proxy:objects=3 with C=3"
        )
    if data.objects != objects.channels:
        raise DataMismatchError(
            f"{network.header.name}'s object stem has C={objects.channels} segmentation classes, but the data "
            f"{data.text!r} has objects={data.objects}: they must be equal"
        )


def build_for_data(
    network: Network, source_text: str, data: DataSpec, *, width: float | None = None, source_path: str | None = None
) -> nn.Module:
    check_inputs(network, data)
    module = compile_to_module(network, source_text, source_path)
    return module.build_model(num_classes=data.num_classes, width=width)


def model_inputs(
    batch: dict[str, Any], network: Network, place: Placement
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """The keyword arguments of the generated `forward` and the labels, on the model's device."""
    return network_inputs(batch, network, place), batch["label"].to(place.device, non_blocking=True)


def network_inputs(batch: dict[str, Any], network: Network, place: Placement) -> dict[str, torch.Tensor]:
    """The keyword arguments of the generated `forward` on the model's device: every input the
    network requires, and an optional one (precomputed flow) when the batch has it. Segmentation
    maps travel as class ids and become one-hot maps there (`anet.data.segmentation`)."""
    inputs = {}
    for given in network.inputs:
        if given.required or given.name in batch:
            value = batch[given.name].to(place.device, non_blocking=True)
            inputs[given.name] = one_hot(value, given.channels) if given.name == STEM_INPUTS["object"] else value
    return inputs


def edge_weights(model: nn.Module) -> dict[str, list[float]]:
    """Sigmoid weight of every input of every multi-input block, in input order (the generated
    module's `edge_weights()`)."""
    return model.edge_weights()  # type: ignore[operator]


def peer_weights(model: nn.Module) -> dict[str, list[float]]:
    """Softmax weight of every peer of every block with peer attention, in peer order (the
    generated module's `peer_weights()`, which only a network with peer attention has)."""
    learned = getattr(model, "peer_weights", None)
    return learned() if callable(learned) else {}


def batch_forward(network: Network, place: Placement) -> Callable[[nn.Module, dict[str, Any]], torch.Tensor]:
    """`forward(model, batch)`: one data-loader batch through a compiled network on `place`, under
    its autocast (what BN re-estimation runs, in training and in `anet eval` alike)."""

    def forward(model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        with place.autocast():
            return model(**model_inputs(batch, network, place)[0])

    return forward
