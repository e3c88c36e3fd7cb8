"""Reading and replacing hook-point activations without copying the model.

Activations are read with forward hooks (``captured``); a hook point's units are viewed as
(B, U, S): channels x spatial positions for conv layers, neurons x 1 for linear layers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from vaecausal.models.network import LatentModel


@contextmanager
def captured(model: LatentModel, names: Sequence[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Inside the block, every forward pass stores hook point ``name``'s output in the dict."""
    outputs: dict[str, torch.Tensor] = {}

    def keeper(name: str):
        def hook(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
            outputs[name] = output

        return hook

    handles = [model.hook_module(name).register_forward_hook(keeper(name)) for name in names]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def is_linear(model: LatentModel, name: str) -> bool:
    """Whether hook point ``name`` is a linear layer (units = neurons) rather than a conv."""
    part, layer = name.split(".")
    chain = model.encoder if part == "encoder" else model.decoder
    return layer in chain.linear_hook_points


def unit_view(activation: torch.Tensor, linear: bool) -> torch.Tensor:
    """(B, U, S): units of a hook point's activation, with their spatial positions flattened."""
    if linear:
        return activation.reshape(activation.shape[0], -1, 1)
    return activation.reshape(activation.shape[0], activation.shape[1], -1)


def n_units(model: LatentModel, name: str, activation: torch.Tensor) -> int:
    return unit_view(activation[:1], is_linear(model, name)).shape[1]
