"""What a model must offer for the four manipulations and the causal metrics.

Every manipulation is written against ``VAEAdapter``, not against this project's network, so any
PyTorch VAE that offers these few things can be analysed: the project's own ``LatentModel``
satisfies it directly, other models through an adapter (``vaecausal.adapters.module`` for a module
with encode/decode methods, ``vaecausal.adapters.pythae`` for pythae models).

*Intervention latents* are what the manipulations act on: the posterior mean (B, d) of a Gaussian
encoder, or the pre-quantisation output (B, d, e) of a discrete one (slot i = ``latents[:, i]``).
*Hook points* are named submodules, on the encoder side (between image and latents) and on the
decoder side (between decoder input and image); their *units* are the channels of a map
(B, C, ...) or the features of a vector (B, F), or, for hook points named in ``neuron_hooks``,
every element of the output.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import nn

DecoderOutput = Literal["logits", "probabilities", "tanh", "clamped"]
# What each declared decoder output may hold: Bernoulli logits any real number, probabilities
# [0, 1], "tanh" images in [-1, 1] (a Tanh output layer, as PyTorch-VAE's models have),
# "clamped" images on the [-1, 1] scale that nothing bounds and that are clamped to it (a
# decoder ending in a plain convolution, as diffusers' AutoencoderKL: its bulk is checked,
# ``checks.BULK``).
OUTPUT_RANGES: dict[str, tuple[float, float]] = {
    "logits": (-float("inf"), float("inf")),
    "probabilities": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "clamped": (-1.0, 1.0),
}
# What the encoder takes: images in [0, 1] ("unit", as the project's data are) or scaled to
# [-1, 1] ("signed", as diffusers' VAEs are trained).
InputScale = Literal["unit", "signed"]
INPUT_SCALES = ("unit", "signed")
# Probabilities are clipped this far from 0 and 1 before a log: a decoder that outputs exact
# zeros would otherwise make one pixel's loss infinite.
PROBABILITY_EPS = 1e-6


@runtime_checkable
class VAEAdapter(Protocol):
    """A VAE as the manipulations see it (a ``torch.nn.Module`` owning the model's parameters)."""

    channels: int
    n_latents: int
    output: DecoderOutput  # what ``run_decoder`` returns: Bernoulli logits or probabilities
    encoder_hooks: tuple[str, ...]  # in the order they run
    decoder_hooks: tuple[str, ...]
    neuron_hooks: frozenset[str]  # hook points whose every output element is one unit

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]: ...

    def hook_module(self, name: str) -> nn.Module:
        """The submodule whose output is hook point ``name``."""
        ...

    def encode_latents(self, images: torch.Tensor) -> torch.Tensor:
        """Intervention latents of images (B, C, H, W) in [0, 1]."""
        ...

    def summarise(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Arrays to cache: ``latents``, ``metric_codes`` (B, k), ``logvar`` for a Gaussian
        posterior, ``codes`` (B, d) for a discrete one."""
        ...

    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        """What the decoder reads for intervention latents (quantised for a discrete model)."""
        ...

    def run_decoder(self, inputs: torch.Tensor) -> torch.Tensor:
        """The decoder's output (B, C, H, W), ``output`` says whether logits or probabilities."""
        ...

    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(centre, scale) of one sample's latents: value v sets latent i to
        centre_i + v * scale_i."""
        ...


@runtime_checkable
class DiscreteAdapter(VAEAdapter, Protocol):
    """A VAE whose decoder reads quantised slots: code changes and code swaps need these."""

    codebook_size: int

    def codes(self, latents: torch.Tensor) -> torch.Tensor:
        """Index of the nearest codebook vector of every slot, (..., d) for latents (..., d, e)."""
        ...

    def decoder_input_from_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Decoder inputs (..., D) for codes (..., d)."""
        ...


def model_device(model: VAEAdapter) -> torch.device:
    return next(model.parameters()).device


def decode_images(model: VAEAdapter, inputs: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] decoded from decoder inputs, whichever output the decoder declares."""
    return as_probabilities(model, model.run_decoder(inputs))


def decode_latents(model: VAEAdapter, latents: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] decoded from intervention latents."""
    return decode_images(model, model.decoder_input(latents))


def as_probabilities(model: VAEAdapter, output: torch.Tensor) -> torch.Tensor:
    """The decoder's output as pixel intensities in [0, 1]."""
    if model.output == "logits":
        return torch.sigmoid(output)
    if model.output == "tanh":
        return (output + 1) / 2
    if model.output == "clamped":
        return ((output + 1) / 2).clamp(0, 1)
    return output


def reconstruction_nats(
    model: VAEAdapter, output: torch.Tensor, images: torch.Tensor
) -> torch.Tensor:
    """Per-image Bernoulli loss (nats) of the decoder's ``output`` for ``images``."""
    if model.output == "logits":
        bce = F.binary_cross_entropy_with_logits(output, images, reduction="none")
    else:
        clipped = as_probabilities(model, output).clamp(PROBABILITY_EPS, 1 - PROBABILITY_EPS)
        bce = F.binary_cross_entropy(clipped, images, reduction="none")
    return bce.flatten(1).sum(1)
