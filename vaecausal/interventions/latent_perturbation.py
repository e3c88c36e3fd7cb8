"""Latent perturbation (manipulation 2): set one latent to a grid value and decode.

For every evaluation code z (mu(x), or a VQ-VAE's z_e), latent i and value v, z^{i<-v} is z with
latent i set to centre_i + v * scale_i (prior units for Gaussian latents; z_e's per-dim mean and
standard deviation for a VQ-VAE, applied before quantisation). The pixel effect is
||xhat(z^{i<-v}) - xhat(z)||_2 over all pixels and channels. All latents and values of a batch of
codes go through the decoder together, in calls of at most ``decode_batch`` codes.
"""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.models.network import LatentModel


def perturbation_targets(
    centre: torch.Tensor, scale: torch.Tensor, values: torch.Tensor
) -> torch.Tensor:
    """targets[i, k] = centre_i + v_k * scale_i, shape (d, V, *latent_shape)."""
    shape = (1, len(values)) + (1,) * (centre.dim() - 1)
    return centre[:, None] + values.reshape(shape) * scale[:, None]


def perturbed_codes(z: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Every single-latent perturbation of ``z`` (B, d, ...): (B, d, V, d, ...) with
    [b, i, k] = z[b] whose latent i is replaced by ``targets[i, k]``."""
    batch, d, n_values = z.shape[0], z.shape[1], targets.shape[1]
    codes = z[:, None, None].repeat(1, d, n_values, *([1] * (z.dim() - 1)))
    latent = torch.arange(d, device=z.device)
    codes[:, latent, :, latent] = targets[:, None].expand(d, batch, *targets.shape[1:])
    return codes


@torch.no_grad()
def pixel_effect_norms(
    model: LatentModel, latents: np.ndarray, values: list[float], decode_batch: int
) -> np.ndarray:
    """||xhat(z^{i<-v}) - xhat(z)||_2 for every code, latent and value: shape (N, d, V)."""
    device = next(model.parameters()).device
    all_latents = torch.as_tensor(latents, device=device)
    centre, scale = model.perturbation_frame(all_latents)
    grid = torch.as_tensor(values, dtype=all_latents.dtype, device=device)
    targets = perturbation_targets(centre, scale, grid)
    n, d, n_values = latents.shape[0], latents.shape[1], len(values)
    images_per_call = max(1, decode_batch // (d * n_values))
    out = np.empty((n, d, n_values), dtype=np.float32)
    for start in range(0, n, images_per_call):
        z = all_latents[start : start + images_per_call]
        base = torch.sigmoid(model.decode_latents(z)).flatten(1)
        codes = perturbed_codes(z, targets).flatten(0, 2)
        perturbed = torch.sigmoid(model.decode_latents(codes)).reshape(len(z), d, n_values, -1)
        out[start : start + len(z)] = (perturbed - base[:, None, None]).norm(dim=-1).cpu().numpy()
    return out
