"""Terms shared by the objectives: Bernoulli reconstruction, Gaussian KL, reparameterisation."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bernoulli_reconstruction(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Sigmoid cross-entropy summed over pixels and channels, averaged over the batch."""
    per_image = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_image.flatten(1).sum(1).mean()


def gaussian_kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) for each sample and dimension, shape (B, d)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def reparameterise(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    noise = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + noise * (0.5 * logvar).exp()
