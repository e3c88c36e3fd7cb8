"""Latent perturbation (manipulation 2): set one latent to a grid value and decode.

For every evaluation code z (mu(x), or a VQ-VAE's z_e), latent i and value v, z^{i<-v} is z with
latent i set to centre_i + v * scale_i (prior units for Gaussian latents; z_e's per-dim mean and
standard deviation for a VQ-VAE, applied before quantisation). Measured per change (see
``decoder_effects``): the pixel effect ||xhat(z^{i<-v}) - xhat(z)||_2, the oracle's factor effect
E[i, k] and each decoder unit's activation change. All latents and values of a batch of codes go
through the decoder together with the batch's unchanged codes, in calls of at most
``decode_batch`` codes (at least one code's changes).
"""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.interventions.decoder_effects import (
    DECODER_HOOKS,
    EffectSums,
    images_per_call,
    measure_decoder_change,
)
from vaecausal.interventions.oracle import FactorOracle
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


def value_targets(model: LatentModel, latents: torch.Tensor, values: list[float]) -> torch.Tensor:
    """Each latent's target for each grid value, (d, V, ...), in the model's perturbation frame
    estimated on ``latents``."""
    centre, scale = model.perturbation_frame(latents)
    return perturbation_targets(
        centre, scale, torch.as_tensor(values, dtype=latents.dtype, device=latents.device)
    )


@torch.no_grad()
def latent_perturbation(
    model: LatentModel,
    latents: np.ndarray,
    values: list[float],
    decode_batch: int,
    oracle: FactorOracle | None = None,
    hooks: tuple[str, ...] = DECODER_HOOKS,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(pixel effect norms (N, d, V), mean factor effects (with an oracle) and activation effects
    at ``hooks``, as ``EffectSums.means``)."""
    device = next(model.parameters()).device
    all_latents = torch.as_tensor(latents, device=device)
    targets = value_targets(model, all_latents, values)
    n, d, n_values = latents.shape[0], latents.shape[1], len(values)
    per_call = images_per_call(decode_batch, d * n_values)
    norms = np.empty((n, d, n_values), dtype=np.float32)
    sums = EffectSums(d)
    for start in range(0, n, per_call):
        z = all_latents[start : start + per_call]
        changed = model.decoder_input(perturbed_codes(z, targets).flatten(0, 2))
        change = measure_decoder_change(
            model,
            model.decoder_input(z),
            changed.reshape(len(z), d, n_values, -1),
            oracle,
            sums,
            hooks,
        )
        norms[start : start + len(z)] = change.cpu().numpy()
    return norms, sums.means()
