"""Encoding a fixed set of images once, so every manipulation and metric reuses the same codes."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from vaecausal.data.loader import BatchGatherer
from vaecausal.models.network import GaussianVAE


@torch.no_grad()
def encode(
    model: GaussianVAE, images: BatchGatherer, indices: np.ndarray, batch_size: int = 1024
) -> dict[str, np.ndarray]:
    """Posterior means, log-variances and the per-image reconstruction loss at z = mu."""
    mus, logvars, losses = [], [], []
    for start in range(0, len(indices), batch_size):
        x = images.gather(indices[start : start + batch_size])
        mu, logvar = model.encode(x)
        bce = F.binary_cross_entropy_with_logits(model.decode(mu), x, reduction="none")
        mus.append(mu.cpu())
        logvars.append(logvar.cpu())
        losses.append(bce.flatten(1).sum(1).cpu())
    return {
        "mu": torch.cat(mus).numpy(),
        "logvar": torch.cat(logvars).numpy(),
        "reconstruction": torch.cat(losses).numpy(),
    }
