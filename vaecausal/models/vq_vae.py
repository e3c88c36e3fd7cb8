"""VQ-VAE (van den Oord et al. 2017) on the shared network.

The two Gaussian heads are replaced by one linear layer to d slots of e dims (z_e); each slot is
snapped to its nearest of M codebook vectors (z_q); the decoder reads the flattened z_q. Gradients
pass the quantiser straight through; the loss adds the codebook term ||sg[z_e] - z_q||^2 and the
commitment term beta ||z_e - sg[z_q]||^2 (sums over a sample's slot dims, mean over the batch).
Codebook usage and perplexity are logged so dead codes show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vaecausal.models.losses import bernoulli_reconstruction
from vaecausal.models.network import (
    Decoder,
    Encoder,
    LatentModel,
    reference_init,
    spread_frame,
)
from vaecausal.models.objective import LossTerms, Objective


class VectorQuantiser(nn.Module):
    """Nearest-codebook-vector quantisation of (B, d, e) slots with a straight-through gradient.

    The codebook is initialised from the first training batch's encoder outputs (a random init
    far from z_e leaves all slots on a handful of codes), and codes unused for ``restart_every``
    training batches are moved onto random encoder outputs of the current batch (dead-code
    restarts). ``initialised`` and ``usage`` are buffers, so both survive checkpoints.
    """

    def __init__(self, codebook_size: int, embedding_dim: int, restart_every: int = 100) -> None:
        super().__init__()
        self.codebook = nn.Embedding(codebook_size, embedding_dim)
        nn.init.uniform_(self.codebook.weight, -1.0 / codebook_size, 1.0 / codebook_size)
        self.restart_every = restart_every
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))
        self.register_buffer("usage", torch.zeros(codebook_size))
        self.register_buffer("batches", torch.zeros((), dtype=torch.long))
        # The host's copy of ``batches`` (-1 before initialisation), read from the buffers once
        # per construction or load: testing the buffers every step would stall a GPU each step.
        self._host_batches: int | None = None

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._host_batches = None  # the loaded buffers rule

    @torch.no_grad()
    def _random_outputs(self, z_e: torch.Tensor, n: int) -> torch.Tensor:
        flat = z_e.reshape(-1, z_e.shape[-1])
        pick = torch.randint(len(flat), (n,), device=z_e.device)
        return flat[pick] + 1e-3 * torch.randn(n, flat.shape[1], device=z_e.device)

    @torch.no_grad()
    def _maintain(self, z_e: torch.Tensor, codes: torch.Tensor) -> None:
        """Initialise on the first training batch; restart codes unused for a while."""
        if self._host_batches is None:
            self._host_batches = int(self.batches) if bool(self.initialised) else -1
        if self._host_batches < 0:
            self.codebook.weight.copy_(self._random_outputs(z_e, len(self.usage)))
            self.initialised.fill_(True)
            self._host_batches = 0
            return
        self.usage += code_counts(codes, len(self.usage))
        self._host_batches += 1
        self.batches.fill_(self._host_batches)
        if self._host_batches % self.restart_every == 0:
            dead = self.usage == 0
            if dead.any():
                self.codebook.weight[dead] = self._random_outputs(z_e, int(dead.sum()))
            self.usage.zero_()

    def codes(self, z_e: torch.Tensor) -> torch.Tensor:
        """Index of the nearest codebook vector of every slot, (B, d)."""
        return nearest_codes(z_e, self.codebook.weight)

    def forward(self, z_e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(z_q with straight-through gradient, codes, z_q carrying the codebook's gradient)."""
        if self.training:
            self._maintain(z_e.detach(), self.codes(z_e.detach()))
        codes = self.codes(z_e)
        z_q = self.codebook(codes)
        return z_e + (z_q - z_e).detach(), codes, z_q


class VQVAE(LatentModel):
    def __init__(
        self,
        channels: int,
        n_latents: int,
        embedding_dim: int,
        codebook_size: int,
        kernels: Sequence[int] = (4, 4, 2, 2),
    ) -> None:
        super().__init__()
        self.channels, self.n_latents = channels, n_latents
        self.embedding_dim, self.codebook_size = embedding_dim, codebook_size
        self.kernels = list(kernels)
        self.encoder = Encoder(channels, kernels)
        self.pre_quantisation = nn.Linear(256, n_latents * embedding_dim)
        self.quantiser = VectorQuantiser(codebook_size, embedding_dim)
        self.decoder = Decoder(n_latents * embedding_dim, channels)
        reference_init(self)  # convs and linears; the codebook keeps its own init

    def encode_slots(self, x: torch.Tensor) -> torch.Tensor:
        """z_e, shape (B, d, e)."""
        return self.latents_from_features(self.encoder(x))

    def latents_from_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.pre_quantisation(features).reshape(-1, self.n_latents, self.embedding_dim)

    def decode(self, z_q: torch.Tensor) -> torch.Tensor:
        return self.decoder(z_q.flatten(1))

    def constructor_arguments(self) -> dict[str, Any]:
        return {
            "channels": self.channels,
            "n_latents": self.n_latents,
            "embedding_dim": self.embedding_dim,
            "codebook_size": self.codebook_size,
            "kernels": self.kernels,
        }

    def summarise(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z_e = self.encode_slots(x)
        _, codes, z_q = self.quantiser(z_e)
        return {"latents": z_e, "codes": codes, "metric_codes": z_q.flatten(1)}

    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        """Quantise (perturbed) z_e: small moves snap back to the same code."""
        return self.quantiser(latents)[0].flatten(1)

    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Logits of the image decoded from discrete codes (B, d): for code swaps."""
        return self.decode(self.quantiser.codebook(codes))

    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return spread_frame(latents)

    def codes(self, latents: torch.Tensor) -> torch.Tensor:
        return self.quantiser.codes(latents)

    def decoder_input_from_codes(self, codes: torch.Tensor) -> torch.Tensor:
        return self.quantiser.codebook(codes).flatten(-2)


def nearest_codes(z_e: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Index of the nearest of ``codebook``'s rows (M, e) for every slot of ``z_e`` (..., e)."""
    flat = z_e.reshape(-1, z_e.shape[-1])
    distances = (
        flat.pow(2).sum(1, keepdim=True) - 2 * flat @ codebook.T + codebook.pow(2).sum(1)[None, :]
    )
    return distances.argmin(1).reshape(z_e.shape[:-1])


def code_counts(codes: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """How often each code occurs, (codebook_size,) float. Counted by comparison: ``bincount``
    on a GPU reads the largest code back to the host, a stall in every training step."""
    every_code = torch.arange(codebook_size, device=codes.device)
    return (codes.reshape(-1, 1) == every_code).sum(0, dtype=torch.float32)


def codebook_usage(codes: torch.Tensor, codebook_size: int) -> dict[str, torch.Tensor]:
    """Share of the codebook in use and the perplexity exp(H) of the code distribution."""
    counts = code_counts(codes, codebook_size)
    entropy = torch.special.entr(counts / counts.sum()).sum()  # 0 log 0 = 0, no host sync
    return {"codebook_usage": (counts > 0).float().mean(), "perplexity": entropy.exp()}


class VQVAEObjective(Objective):
    def __init__(self, commitment: float) -> None:
        self.commitment = commitment

    def __call__(
        self, model: torch.nn.Module, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> LossTerms:
        assert isinstance(model, VQVAE)
        z_e = model.encode_slots(x)
        z_q_straight, codes, z_q = model.quantiser(z_e)
        reconstruction = bernoulli_reconstruction(model.decode(z_q_straight), x)
        codebook = (z_q - z_e.detach()).pow(2).sum((1, 2)).mean()
        commitment = (z_e - z_q.detach()).pow(2).sum((1, 2)).mean()
        total = reconstruction + codebook + self.commitment * commitment
        logs = {
            "loss": total,
            "reconstruction": reconstruction,
            "codebook": codebook,
            "commitment": commitment,
            **codebook_usage(codes, model.codebook_size),
        }
        return LossTerms(total, {k: v.detach() for k, v in logs.items()}, z_e.detach())
