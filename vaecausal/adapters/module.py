"""The generic adapter: any module with ``encode(images)`` and ``decode(codes)`` methods."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from vaecausal.adapters.base import DEFAULT_IMAGE_SHAPE, GaussianAdapter
from vaecausal.adapters.protocol import DecoderOutput


class ModuleAdapter(GaussianAdapter):
    """A VAE module whose ``encode(images)`` returns the posterior mean, or (mean, log-variance),
    and whose ``decode(codes)`` returns image logits or probabilities (``output``). Hook points
    as in ``Adapter``; other methods can be named with ``encode`` and ``decode``."""

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
    ) -> None:
        for method in (encode, decode):
            if not callable(getattr(module, method, None)):
                raise ValueError(f"{type(module).__name__} has no method '{method}'")
        self._encode, self._decode = encode, decode
        super().__init__(module, output, image_shape, encoder_hooks, decoder_hooks, neuron_hooks)

    def posterior(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        encoded = getattr(self.module, self._encode)(images)
        if isinstance(encoded, tuple | list):
            return encoded[0], encoded[1] if len(encoded) > 1 else None
        return encoded, None

    def run_decoder(self, inputs: torch.Tensor) -> torch.Tensor:
        return getattr(self.module, self._decode)(inputs)
