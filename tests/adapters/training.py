"""A few training steps for the foreign test models: enough to move them off their
initialisation on procedural dSprites (the tests check plumbing and laws, not quality)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from vaecausal.adapters.base import GaussianAdapter
from vaecausal.adapters.protocol import as_probabilities


def batches(images: np.ndarray, steps: int, size: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        rows = rng.choice(len(images), size, replace=False)
        yield torch.as_tensor(images[rows]).permute(0, 3, 1, 2).float() / 255.0


def train_gaussian(model: GaussianAdapter, images: np.ndarray, steps: int = 20) -> None:
    """Steps of the VAE objective (Bernoulli reconstruction + KL) through the adapter."""
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for x in batches(images, steps):
        mean, logvar = model.posterior(x)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        output = model.run_decoder(model.decoder_input(z))
        if model.output == "logits":
            reconstruction = F.binary_cross_entropy_with_logits(output, x, reduction="sum")
        else:
            probabilities = as_probabilities(model, output)
            reconstruction = F.binary_cross_entropy(
                probabilities.clamp(1e-6, 1 - 1e-6), x, reduction="sum"
            )
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum()
        optimiser.zero_grad()
        ((reconstruction + kl) / len(x)).backward()
        optimiser.step()
    model.eval()


def train_pythae(model: torch.nn.Module, images: np.ndarray, steps: int = 20) -> None:
    """Steps of a pythae model's own loss (its ``forward`` on ``{"data": x}``)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for x in batches(images, steps):
        loss = model({"data": x}).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
