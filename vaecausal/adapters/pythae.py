"""Adapters for pythae models (``pythae==0.1.2``): VAE, BetaVAE, BetaTCVAE, FactorVAE and other
Gaussian models through ``PythaeAdapter``, VQVAE through ``PythaeVQAdapter``.

pythae's encoder returns a ``ModelOutput`` with ``embedding`` (the posterior mean, or a VQ-VAE's
pre-quantisation output) and ``log_covariance`` (the log-variance); its decoder returns one with
``reconstruction``, probabilities for its default architectures (a final sigmoid). pythae itself is
not imported: the adapters only call the model's ``encoder`` and ``decoder``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from vaecausal.adapters.base import DEFAULT_IMAGE_SHAPE, Adapter, GaussianAdapter
from vaecausal.adapters.protocol import DecoderOutput
from vaecausal.models.network import spread_frame
from vaecausal.models.vq_vae import nearest_codes


class PythaeAdapter(GaussianAdapter):
    """A pythae model with a Gaussian posterior (VAE, BetaVAE, BetaTCVAE, FactorVAE, ...).
    Hook point names are relative to the pythae model (e.g. ``encoder.conv_layers.0``)."""

    def __init__(
        self,
        model: nn.Module,
        output: DecoderOutput = "probabilities",
        image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
        encoder_hooks: Sequence[str] | None = None,
        decoder_hooks: Sequence[str] | None = None,
        neuron_hooks: Sequence[str] = (),
    ) -> None:
        super().__init__(model, output, image_shape, encoder_hooks, decoder_hooks, neuron_hooks)

    def posterior(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        encoded = self.module.encoder(images)
        return encoded["embedding"], encoded.get("log_covariance")

    def run_decoder(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.module.decoder(inputs)["reconstruction"]


class PythaeVQAdapter(Adapter):
    """A pythae VQVAE. Its quantiser snaps the encoder's embedding slot by slot: a vector
    embedding (B, D) is D slots of one dim, a map (B, C, H, W) is H * W slots of C dims. The
    intervention latents are these slots before quantisation, perturbed in units of their
    spread, as for this project's VQ-VAE."""

    def __init__(
        self,
        model: nn.Module,
        output: DecoderOutput = "probabilities",
        image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
        encoder_hooks: Sequence[str] | None = None,
        decoder_hooks: Sequence[str] | None = None,
        neuron_hooks: Sequence[str] = (),
    ) -> None:
        self.embedding_shape: tuple[int, ...] = ()  # set by the first encoding
        super().__init__(model, output, image_shape, encoder_hooks, decoder_hooks, neuron_hooks)
        self.codebook_size = int(self.codebook.shape[0])

    @property
    def codebook(self) -> torch.Tensor:
        """(M, e): an ``nn.Embedding``'s weight, or the EMA quantiser's buffer."""
        embeddings = self.module.quantizer.embeddings
        return embeddings.weight if isinstance(embeddings, nn.Embedding) else embeddings

    def encode_latents(self, images: torch.Tensor) -> torch.Tensor:
        embedding = self.module.encoder(images)["embedding"]
        self.embedding_shape = tuple(embedding.shape[1:])
        if embedding.dim() == 2:
            return embedding.unsqueeze(-1)
        return embedding.flatten(2).transpose(1, 2)  # (B, H * W, C)

    def _as_embedding(self, slots: torch.Tensor) -> torch.Tensor:
        """Slots (N, d, e) back in the shape the decoder reads."""
        if len(self.embedding_shape) == 1:
            return slots.flatten(1)
        return slots.transpose(1, 2).reshape(len(slots), *self.embedding_shape)

    def codes(self, latents: torch.Tensor) -> torch.Tensor:
        return nearest_codes(latents, self.codebook)

    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        return self._as_embedding(self.codebook[self.codes(latents)])

    def decoder_input_from_codes(self, codes: torch.Tensor) -> torch.Tensor:
        slots = self.codebook[codes.reshape(-1, codes.shape[-1])]
        embedding = self._as_embedding(slots)
        return embedding.reshape(*codes.shape[:-1], *embedding.shape[1:])

    def summarise(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        latents = self.encode_latents(images)
        codes = self.codes(latents)
        return {
            "latents": latents,
            "codes": codes,
            "metric_codes": self.codebook[codes].flatten(1),
        }

    def run_decoder(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.module.decoder(inputs)["reconstruction"]

    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return spread_frame(latents)
