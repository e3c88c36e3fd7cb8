"""Input manipulation (manipulation 1): how each latent moves when one input factor changes.

A[k, i] = E |mu_i(x') - mu_i(x)| / std_x(mu_i) over the pairs of factor k, with the standard
deviation taken over the evaluation set, so latents of different scales compare. For a VQ-VAE the
latent is a slot of z_e (e dims): the ratio is averaged over the slot's dims.
"""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.adapters.protocol import VAEAdapter, model_device
from vaecausal.interventions.pairs import PairFamily


def as_slots(latents: torch.Tensor) -> torch.Tensor:
    """Latents as (B, d, e): a Gaussian latent is a slot of one dim."""
    return latents.unsqueeze(-1) if latents.dim() == 2 else latents


@torch.no_grad()
def encode_latents(model: VAEAdapter, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Intervention latents as (B, d, e)."""
    parts = [
        model.encode_latents(images[s : s + batch_size]) for s in range(0, len(images), batch_size)
    ]
    return as_slots(torch.cat(parts))


def input_effects(
    model: VAEAdapter, families: list[PairFamily], eval_latents: np.ndarray
) -> np.ndarray:
    """The effect matrix A, shape (K, d)."""
    device = model_device(model)
    std = as_slots(torch.as_tensor(eval_latents, device=device)).std(0).clamp_min(1e-8)
    rows = []
    for family in families:
        change = encode_latents(model, family.treated) - encode_latents(model, family.control)
        rows.append((change.abs() / std).mean(dim=(0, 2)))
    return torch.stack(rows).cpu().numpy()
