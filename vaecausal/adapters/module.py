"""The generic adapter: any module with ``encode(images)`` and ``decode(codes)`` methods, in the
conventions the common VAE libraries use, with no wrapper to write.

The encoder may return the posterior mean as a tensor; a (mean, log-variance) tuple or list
(PyTorch-VAE's ``[mu, log_var]``); a ``torch.distributions.Normal`` or an ``Independent`` of one;
an object with a ``latent_dist`` (diffusers' ``AutoencoderKLOutput``) or with ``mean`` and
``logvar`` (its ``DiagonalGaussianDistribution``). A spatial latent (B, C, H, W) is flattened to
C * H * W latents for the manipulations and metrics and restored for the decoder
(``latent_shape`` records it). The decoder may return a tensor, a tuple or list whose first item
is the image, or an object with ``sample`` (diffusers' ``DecoderOutput``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import distributions, nn

from vaecausal.adapters.base import DEFAULT_IMAGE_SHAPE, GaussianAdapter
from vaecausal.adapters.protocol import INPUT_SCALES, DecoderOutput, InputScale

ENCODER_FORMS = (
    "a tensor (the mean), a (mean, log-variance) tuple or list, a torch.distributions.Normal "
    "or Independent, or an object with latent_dist or with mean and logvar"
)


def mean_and_logvar(encoded: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(mean, log-variance or None) from what an encoder returns, in any of ``ENCODER_FORMS``."""
    if isinstance(encoded, torch.Tensor):
        return encoded, None
    if isinstance(encoded, tuple | list) and encoded and isinstance(encoded[0], torch.Tensor):
        return encoded[0], encoded[1] if len(encoded) > 1 else None
    if isinstance(encoded, distributions.Independent):
        return mean_and_logvar(encoded.base_dist)
    if isinstance(encoded, distributions.Normal):
        return encoded.loc, 2 * encoded.scale.log()
    if hasattr(encoded, "latent_dist"):
        return mean_and_logvar(encoded.latent_dist)
    if isinstance(getattr(encoded, "mean", None), torch.Tensor) and hasattr(encoded, "logvar"):
        return encoded.mean, encoded.logvar
    raise ValueError(
        f"the encoder returns {type(encoded).__name__}; expected {ENCODER_FORMS} (or wrap the "
        "model in an adapter: vaecausal.adapters.module)"
    )


def decoded_image(decoded: Any) -> torch.Tensor:
    """The image tensor from what a decoder returns: a tensor, a tuple or list whose first item
    is one, or an object with ``sample``."""
    if isinstance(decoded, torch.Tensor):
        return decoded
    if isinstance(decoded, tuple | list) and decoded and isinstance(decoded[0], torch.Tensor):
        return decoded[0]
    if isinstance(getattr(decoded, "sample", None), torch.Tensor):
        return decoded.sample
    raise ValueError(
        f"the decoder returns {type(decoded).__name__}; expected a tensor, a tuple or list "
        "starting with one, or an object with a 'sample' tensor"
    )


class ModuleAdapter(GaussianAdapter):
    """A VAE module whose ``encode(images)`` and ``decode(codes)`` follow any of the conventions
    of the module's docstring, whose encoder takes images in [0, 1] or, with ``inputs="signed"``,
    scaled to [-1, 1], and whose decoder outputs images as ``output`` says (logits,
    probabilities, tanh or clamped; checked on a probe batch). Hook points as in ``Adapter``;
    other methods can be named with ``encode`` and ``decode``."""

    def __init__(
        self,
        module: nn.Module,
        output: DecoderOutput = "logits",
        image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
        encoder_hooks: Sequence[str] | None = None,
        decoder_hooks: Sequence[str] | None = None,
        neuron_hooks: Sequence[str] = (),
        encode: str = "encode",
        decode: str = "decode",
        inputs: InputScale = "unit",
    ) -> None:
        for method in (encode, decode):
            if not callable(getattr(module, method, None)):
                raise ValueError(f"{type(module).__name__} has no method '{method}'")
        if inputs not in INPUT_SCALES:
            raise ValueError(f"encoder inputs must be one of {list(INPUT_SCALES)}, not {inputs!r}")
        self._encode, self._decode, self.inputs = encode, decode, inputs
        self.latent_shape: tuple[int, ...] | None = None  # a spatial latent's (C, H, W)
        super().__init__(module, output, image_shape, encoder_hooks, decoder_hooks, neuron_hooks)

    def posterior(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        scaled = images * 2 - 1 if self.inputs == "signed" else images
        mean, logvar = mean_and_logvar(getattr(self.module, self._encode)(scaled))
        if mean.dim() > 2:  # a spatial latent: one latent per element
            self.latent_shape = tuple(mean.shape[1:])
            mean = mean.flatten(1)
            logvar = None if logvar is None else logvar.flatten(1)
        return mean, logvar

    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        if self.latent_shape is None:
            return latents
        return latents.reshape(-1, *self.latent_shape)

    def run_decoder(self, inputs: torch.Tensor) -> torch.Tensor:
        return decoded_image(getattr(self.module, self._decode)(inputs))
