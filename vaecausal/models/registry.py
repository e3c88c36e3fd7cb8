"""Architecture name -> (network, objective). The one place that knows which objectives exist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vaecausal.models.beta_tc_vae import BetaTCVAEObjective
from vaecausal.models.beta_vae import BetaVAEObjective
from vaecausal.models.dip_vae_ii import DIPVAEIIObjective
from vaecausal.models.factor_vae import FactorVAEObjective
from vaecausal.models.network import GaussianVAE, LatentModel
from vaecausal.models.objective import Objective
from vaecausal.models.vq_vae import VQVAE, VQVAEObjective

IMPLEMENTED = ("vae", "beta_vae", "factor_vae", "beta_tc_vae", "dip_vae_ii", "vq_vae")
MODEL_CLASSES: dict[str, type[LatentModel]] = {"GaussianVAE": GaussianVAE, "VQVAE": VQVAE}


def build_objective(
    objective: str, hyperparameters: Mapping[str, Any], dataset_size: int, n_latents: int
) -> Objective:
    if objective == "vae":
        return BetaVAEObjective(beta=1.0)
    if objective == "beta_vae":
        return BetaVAEObjective(beta=float(hyperparameters["beta"]))
    if objective == "beta_tc_vae":
        return BetaTCVAEObjective(float(hyperparameters["beta"]), dataset_size)
    if objective == "factor_vae":
        return FactorVAEObjective(
            float(hyperparameters["gamma"]),
            n_latents,
            float(hyperparameters["discriminator_lr"]),
            tuple(hyperparameters["discriminator_betas"]),
        )
    if objective == "dip_vae_ii":
        return DIPVAEIIObjective(
            float(hyperparameters["lambda_od"]), float(hyperparameters["lambda_d"])
        )
    if objective == "vq_vae":
        return VQVAEObjective(float(hyperparameters["commitment"]))
    raise ValueError(f"unknown objective '{objective}' (known: {', '.join(IMPLEMENTED)})")


def build_model(
    objective: str,
    hyperparameters: Mapping[str, Any],
    channels: int,
    n_latents: int,
    kernels: Sequence[int],
) -> LatentModel:
    """The network an objective trains: d latent slots for VQ-VAE, d Gaussian latents otherwise."""
    if objective == "vq_vae":
        return VQVAE(
            channels,
            n_latents,
            int(hyperparameters["embedding_dim"]),
            int(hyperparameters["codebook_size"]),
            kernels,
        )
    return GaussianVAE(channels, n_latents, kernels)
