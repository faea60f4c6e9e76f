"""Parameter groups of the training optimiser: convolution and linear weights with weight decay
(as the TF kernels' L2), BN parameters and biases without, and the connection-weight logits in a
group of their own with a learning-rate multiplier.

Why the logits need their own rate: a BN follows every fusion, so the loss cannot see a fusion's
overall scale, only the ratios of its sigmoid weights, and those gradients are small and noisy. With
the shared rate (peak 0.05 at batch 8, cosine over a few hundred steps) a logit travels about 0.1 in
a proxy training, every learned weight stays within a few hundredths of 0.5, and equation (2) keeps
each edge with probability close to 1/2: a coin flip, not guidance. The weights' *order* is already
informative at that point (it agrees across seeds); a larger step on the logits alone spreads them
without touching how the rest of the network trains. `edge_lr = 1` is the paper's literal recipe.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..runtime.fusion import Fusion


def edge_logits(model: nn.Module) -> list[nn.Parameter]:
    """The trainable connection-weight logits of every fusion in `model` (fixed ones are buffers)."""
    return [m.logits for m in model.modules() if isinstance(m, Fusion) and isinstance(m.logits, nn.Parameter)]


def parameter_groups(model: nn.Module, *, lr: float, weight_decay: float, edge_lr: float) -> list[dict[str, Any]]:
    """SGD groups with their peak learning rates (a scheduler scales each group's rate alike)."""
    logits = {id(p) for p in edge_logits(model)}
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    edges: list[nn.Parameter] = []
    for param in model.parameters():
        if not param.requires_grad:
            continue
        if id(param) in logits:
            edges.append(param)
        else:
            (decay if param.ndim > 1 else no_decay).append(param)
    groups = [
        {"name": "weights", "params": decay, "lr": lr, "weight_decay": weight_decay},
        {"name": "norms_and_biases", "params": no_decay, "lr": lr, "weight_decay": 0.0},
    ]
    if edge_lr == 1.0:  # the paper's recipe, and the grouping of checkpoints written before edge_lr existed
        no_decay += edges
    elif edges:
        groups.append({"name": "edge_logits", "params": edges, "lr": lr * edge_lr, "weight_decay": 0.0})
    return groups
