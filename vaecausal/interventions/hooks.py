"""Reading hook-point activations without copying the model, and viewing them as units.

Activations are read with forward hooks (``captured``); a hook point's units are viewed as
(B, U, S): channels x spatial positions for a map (B, C, ...), features x 1 for a vector (B, F)
and for a hook point the model declares as neurons (every output element one unit).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from vaecausal.adapters.protocol import VAEAdapter


@contextmanager
def captured(model: VAEAdapter, names: Sequence[str]) -> Iterator[dict[str, torch.Tensor]]:
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


def is_linear(model: VAEAdapter, name: str) -> bool:
    """Whether every output element of hook point ``name`` is a unit of its own (a linear layer,
    even one whose output is reshaped to a map) rather than a channel of a map."""
    return name in model.neuron_hooks


def unit_view(activation: torch.Tensor, linear: bool) -> torch.Tensor:
    """(B, U, S): units of a hook point's activation, with their spatial positions flattened."""
    if linear or activation.dim() <= 2:
        return activation.reshape(activation.shape[0], -1, 1)
    return activation.reshape(activation.shape[0], activation.shape[1], -1)


def n_units(model: VAEAdapter, name: str, activation: torch.Tensor) -> int:
    return unit_view(activation[:1], is_linear(model, name)).shape[1]


@torch.no_grad()
def unit_counts(model: VAEAdapter, probe: torch.Tensor) -> dict[str, int]:
    """Units of every encoder and decoder hook point, in the order they run, from one pass of
    ``probe`` (a batch of images)."""
    with captured(model, [*model.encoder_hooks, *model.decoder_hooks]) as acts:
        model.run_decoder(model.decoder_input(model.encode_latents(probe)))
    return {
        name: n_units(model, name, acts[name])
        for name in (*model.encoder_hooks, *model.decoder_hooks)
    }
