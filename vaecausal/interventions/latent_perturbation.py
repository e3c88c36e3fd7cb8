"""Latent perturbation (methods.md, manipulation 2): set one latent to a grid value and decode.

For every evaluation code z = mu(x), latent i and value v, z^{i<-v} is z with z_i := v, and the
pixel effect is ||xhat(z^{i<-v}) - xhat(z)||_2 over all pixels and channels. All latents and values
of a batch of codes go through the decoder together, in calls of at most ``decode_batch`` codes.
"""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.models.network import GaussianVAE


def perturbed_codes(z: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Every single-latent perturbation of ``z`` (B, d): (B, d, V, d), [b, i, k] = z^{i<-v_k}."""
    batch, d = z.shape
    codes = z[:, None, None, :].repeat(1, d, len(values), 1)
    latent = torch.arange(d, device=z.device)
    codes[:, latent, :, latent] = values[None, None, :].expand(batch, d, -1).permute(1, 0, 2)
    return codes


@torch.no_grad()
def pixel_effect_norms(
    model: GaussianVAE, mu: np.ndarray, values: list[float], decode_batch: int
) -> np.ndarray:
    """||xhat(z^{i<-v}) - xhat(z)||_2 for every code, latent and value: shape (N, d, V)."""
    device = next(model.parameters()).device
    grid = torch.as_tensor(values, dtype=torch.float32, device=device)
    d, n_values = mu.shape[1], len(values)
    codes_per_image = d * n_values
    images_per_call = max(1, decode_batch // codes_per_image)
    out = np.empty((mu.shape[0], d, n_values), dtype=np.float32)
    for start in range(0, mu.shape[0], images_per_call):
        z = torch.as_tensor(mu[start : start + images_per_call], device=device)
        base = torch.sigmoid(model.decode(z))
        perturbed = torch.sigmoid(model.decode(perturbed_codes(z, grid).reshape(-1, d)))
        perturbed = perturbed.reshape(z.shape[0], d, n_values, -1)
        delta = perturbed - base.reshape(z.shape[0], 1, 1, -1)
        out[start : start + z.shape[0]] = delta.norm(dim=-1).cpu().numpy()
    return out
