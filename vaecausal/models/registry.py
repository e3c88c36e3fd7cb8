"""Architecture name -> (network, objective): one builder per objective of the catalog
(``vaecausal/catalog.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vaecausal.models.beta_tc_vae import BetaTCVAEObjective
from vaecausal.models.beta_vae import BetaVAEObjective
from vaecausal.models.dip_vae_ii import DIPVAEIIObjective
from vaecausal.models.factor_vae import FactorVAEObjective
from vaecausal.models.network import GaussianVAE, LatentModel
from vaecausal.models.objective import Objective
from vaecausal.models.vq_vae import VQVAE, VQVAEObjective

MODEL_CLASSES: dict[str, type[LatentModel]] = {"GaussianVAE": GaussianVAE, "VQVAE": VQVAE}
Hyperparameters = Mapping[str, Any]


def gaussian_network(
    hyperparameters: Hyperparameters, channels: int, n_latents: int, kernels: Sequence[int]
) -> LatentModel:
    """d Gaussian latents: the network of every continuous-latent objective."""
    return GaussianVAE(channels, n_latents, kernels)


def vq_network(
    hyperparameters: Hyperparameters, channels: int, n_latents: int, kernels: Sequence[int]
) -> LatentModel:
    """d latent slots, each a code of the codebook."""
    return VQVAE(
        channels,
        n_latents,
        int(hyperparameters["embedding_dim"]),
        int(hyperparameters["codebook_size"]),
        kernels,
    )


@dataclass(frozen=True)
class Builder:
    """How an architecture is built from its hyperparameters: ``objective(hyperparameters,
    dataset_size, n_latents)`` and ``network(hyperparameters, channels, n_latents, kernels)``."""

    objective: Callable[[Hyperparameters, int, int], Objective]
    network: Callable[[Hyperparameters, int, int, Sequence[int]], LatentModel] = gaussian_network


# One entry per objective of the catalog, in its order.
BUILDERS: dict[str, Builder] = {
    "vae": Builder(lambda h, dataset_size, n_latents: BetaVAEObjective(beta=1.0)),
    "beta_vae": Builder(lambda h, dataset_size, n_latents: BetaVAEObjective(float(h["beta"]))),
    "factor_vae": Builder(
        lambda h, dataset_size, n_latents: FactorVAEObjective(
            float(h["gamma"]),
            n_latents,
            float(h["discriminator_lr"]),
            tuple(h["discriminator_betas"]),
        )
    ),
    "beta_tc_vae": Builder(
        lambda h, dataset_size, n_latents: BetaTCVAEObjective(float(h["beta"]), dataset_size)
    ),
    "dip_vae_ii": Builder(
        lambda h, dataset_size, n_latents: DIPVAEIIObjective(
            float(h["lambda_od"]), float(h["lambda_d"])
        )
    ),
    "vq_vae": Builder(
        lambda h, dataset_size, n_latents: VQVAEObjective(float(h["commitment"])), vq_network
    ),
}


def builder(objective: str) -> Builder:
    if objective not in BUILDERS:
        raise ValueError(f"unknown objective '{objective}' (known: {', '.join(BUILDERS)})")
    return BUILDERS[objective]


def build_objective(
    objective: str, hyperparameters: Hyperparameters, dataset_size: int, n_latents: int
) -> Objective:
    return builder(objective).objective(hyperparameters, dataset_size, n_latents)


def build_model(
    objective: str,
    hyperparameters: Hyperparameters,
    channels: int,
    n_latents: int,
    kernels: Sequence[int],
) -> LatentModel:
    """The network an objective trains: d latent slots for VQ-VAE, d Gaussian latents otherwise."""
    return builder(objective).network(hyperparameters, channels, n_latents, kernels)
