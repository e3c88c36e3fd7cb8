"""A hand-built model whose latent i reads and paints only vertical stripe i of the image, and an
oracle that reads factor k off stripe k: effect matrices of such a model must be diagonal."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from vaecausal.models.network import Decoder, Encoder, HookChain, LatentModel


def stripe_means(x: torch.Tensor, k: int) -> torch.Tensor:
    """Mean intensity of each of ``k`` vertical stripes, (B, k)."""
    return x.mean(dim=(1, 2)).reshape(x.shape[0], k, -1).mean(-1)


class StripeReader(nn.Module):
    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return stripe_means(x, self.k)


class StripePainter(nn.Module):
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Logits: stripe i is 4 * z_i everywhere."""
        width = 64 // z.shape[1]
        return (4 * z).repeat_interleave(width, dim=1)[:, None, None, :].expand(-1, 1, 64, -1)


def _chain(base: type[HookChain], last: str, module: nn.Module) -> HookChain:
    chain = HookChain()
    chain.hook_points, chain.linear_hook_points = base.hook_points, base.linear_hook_points
    for name in base.hook_points:
        chain.add_module(name, module if name == last else nn.Identity())
    return chain


class StripeModel(LatentModel):
    def __init__(self, k: int) -> None:
        super().__init__()
        self.channels, self.n_latents = 1, k
        self.encoder = _chain(Encoder, "fc", StripeReader(k))  # type: ignore[assignment]
        self.decoder = _chain(Decoder, "deconv4", StripePainter())  # type: ignore[assignment]
        self.anchor = nn.Parameter(torch.zeros(()))  # gives the model a device

    def constructor_arguments(self) -> dict[str, Any]:
        return {"k": self.n_latents}

    def summarise(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.encoder(x)
        return {"latents": z, "metric_codes": z}

    def latents_from_features(self, features: torch.Tensor) -> torch.Tensor:
        return features

    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        return latents

    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros_like(latents[0]), torch.ones_like(latents[0])


class StripeOracle:
    """Two classes per factor k: how bright stripe k is."""

    def __init__(self, k: int) -> None:
        self.k = k

    def probabilities(self, x: torch.Tensor) -> list[torch.Tensor]:
        means = stripe_means(x, self.k)
        logits = torch.stack([torch.zeros_like(means), 10 * (means - 0.5)], dim=-1)
        return [logits[:, k].softmax(-1) for k in range(self.k)]


def stripe_images(factors: np.ndarray, size: int) -> np.ndarray:
    """(N, 64, 64, 1) uint8 images whose stripe k has brightness factors[:, k] / (size - 1)."""
    k = factors.shape[1]
    level = (factors / (size - 1) * 255).astype(np.uint8)
    return np.repeat(level, 64 // k, axis=1)[:, None, :, None].repeat(64, axis=1)
