"""The causal metrics of docs/methods.md#causal-metrics computed from intervention results.

CES_i = E_x E_{v in G} ||Delta_i(x, v)||_2 (pixel L2 of the latent perturbation); model CES is the
mean over active latents; CES_rms = CES / sqrt(C * 64 * 64) puts datasets with different channel
counts on one scale.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from vaecausal.models.losses import gaussian_kl_per_dim


def kl_per_latent(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """E_x KL(q(z_i|x) || N(0, 1)) for each latent i (nats)."""
    kl = gaussian_kl_per_dim(
        torch.as_tensor(mu, dtype=torch.float64), torch.as_tensor(logvar, dtype=torch.float64)
    )
    return kl.mean(0).numpy()


def active_latents(kl: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of the latents whose mean KL exceeds ``threshold``."""
    return np.asarray(kl) > threshold


def latent_activity(
    latents: np.ndarray, logvar: np.ndarray | None, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(mean KL per latent, active mask). Discrete slots (a VQ-VAE, ``logvar`` None) have no KL
    to the prior: their KL is NaN and every slot is active."""
    if logvar is None:
        return np.full(latents.shape[1], np.nan), np.ones(latents.shape[1], dtype=bool)
    kl = kl_per_latent(latents, logvar)
    return kl, active_latents(kl, threshold)


def ces_per_latent(effect_norms: np.ndarray) -> np.ndarray:
    """CES_i from pixel effect norms of shape (N, d, V): the mean over images and values."""
    return effect_norms.mean(axis=(0, 2))


def model_ces(ces: np.ndarray, active: np.ndarray) -> float | np.ndarray:
    """Mean CES over active latents (on the last axis; leading axes, such as bootstrap
    replicates, give one value each); NaN when no latent is active (a collapsed model)."""
    ces = np.asarray(ces)
    if not active.any():
        return math.nan if ces.ndim == 1 else np.full(ces.shape[:-1], math.nan)
    value = ces[..., active].mean(-1)
    return float(value) if ces.ndim == 1 else value


def rms_scale(channels: int, image_size: int = 64) -> float:
    """sqrt(C * H * W): divides a pixel L2 norm into a per-pixel root-mean-square."""
    return math.sqrt(channels * image_size * image_size)


def specificity_per_latent(factor_effect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S_i = 1 - H(p_i)/log K, the public formula's 1/(H(p_i) + 1e-6)) from E (d, K), with
    p_i = E[i, :] / sum_k E[i, k]. S is 1 when a latent moves exactly one factor and 0 when it
    moves all equally; a latent that moves nothing gets NaN (no distribution to speak of). K
    counts the columns given: pass only the factors that vary in the dataset, since a factor with
    one value can never be moved and would only lift every S."""
    effect = np.clip(np.asarray(factor_effect, dtype=np.float64), 0.0, None)
    total = effect.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(total > 0, effect / total, np.nan)
        terms = np.where(p > 0, p * np.log(p), 0.0)
    entropy = np.where(np.isnan(p).any(axis=1), np.nan, -terms.sum(axis=1))
    n_factors = effect.shape[1]
    if n_factors > 1:
        normalised = 1.0 - entropy / math.log(n_factors)
    else:  # one factor: whatever moves, moves only it
        normalised = np.where(np.isnan(entropy), np.nan, 1.0)
    return normalised, 1.0 / (entropy + 1e-6)


def model_specificity(
    specificity: np.ndarray, ces: np.ndarray, active: np.ndarray
) -> float | np.ndarray:
    """sum_i w_i S_i over active latents with w_i = CES_i / sum_j CES_j (latents on the last
    axis: leading axes, such as bootstrap replicates, give one value each); NaN where no active
    latent has a defined S and a positive CES."""
    weights = np.where(active & ~np.isnan(specificity), ces, 0.0)
    total = weights.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(
            total > 0, (weights * np.nan_to_num(specificity)).sum(-1) / total, math.nan
        )
    return float(value) if value.ndim == 0 else value
