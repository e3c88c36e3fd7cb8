"""VAE and beta-VAE (Higgins et al. 2017): reconstruction + beta * KL; the VAE is beta = 1."""

from __future__ import annotations

import torch

from vaecausal.models.objective import GaussianObjective, batch_kl


class BetaVAEObjective(GaussianObjective):
    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def regulariser(
        self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        kl = batch_kl(mu, logvar)
        return self.beta * kl, {"kl": kl}
