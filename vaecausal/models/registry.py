"""Architecture name -> (network, objective). The one place that knows which objectives exist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vaecausal.models.beta_tc_vae import BetaTCVAEObjective
from vaecausal.models.beta_vae import BetaVAEObjective
from vaecausal.models.dip_vae_ii import DIPVAEIIObjective
from vaecausal.models.network import GaussianVAE
from vaecausal.models.objective import GaussianObjective

IMPLEMENTED = ("vae", "beta_vae", "beta_tc_vae", "dip_vae_ii")


def build_objective(
    objective: str, hyperparameters: Mapping[str, Any], dataset_size: int
) -> GaussianObjective:
    if objective == "vae":
        return BetaVAEObjective(beta=1.0)
    if objective == "beta_vae":
        return BetaVAEObjective(beta=float(hyperparameters["beta"]))
    if objective == "beta_tc_vae":
        return BetaTCVAEObjective(float(hyperparameters["beta"]), dataset_size)
    if objective == "dip_vae_ii":
        return DIPVAEIIObjective(
            float(hyperparameters["lambda_od"]), float(hyperparameters["lambda_d"])
        )
    raise NotImplementedError(
        f"objective '{objective}' is not implemented yet (implemented: {', '.join(IMPLEMENTED)})"
    )


def build_model(channels: int, n_latents: int, kernels: Sequence[int]) -> GaussianVAE:
    return GaussianVAE(channels, n_latents, kernels)
