"""DIP-VAE-II (Kumar et al. 2018): VAE + a penalty pulling Cov_q(z) towards the identity.

Cov_q(z) = E_x[diag sigma^2(x)] + Cov_x(mu(x)); penalty = lambda_od * sum of squared off-diagonal
entries + lambda_d * sum of (diagonal - 1)^2.
"""

from __future__ import annotations

import torch

from vaecausal.models.objective import GaussianObjective, batch_kl


def aggregate_posterior_covariance(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    centred = mu - mu.mean(0, keepdim=True)
    cov_mu = centred.T @ centred / mu.shape[0]
    return cov_mu + torch.diag(logvar.exp().mean(0))


def dip_ii_penalty(cov: torch.Tensor, lambda_od: float, lambda_d: float) -> torch.Tensor:
    diagonal = torch.diagonal(cov)
    off_diagonal = cov - torch.diag(diagonal)
    return lambda_od * off_diagonal.pow(2).sum() + lambda_d * (diagonal - 1.0).pow(2).sum()


class DIPVAEIIObjective(GaussianObjective):
    def __init__(self, lambda_od: float, lambda_d: float) -> None:
        self.lambda_od = lambda_od
        self.lambda_d = lambda_d

    def regulariser(
        self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        kl = batch_kl(mu, logvar)
        penalty = dip_ii_penalty(
            aggregate_posterior_covariance(mu, logvar), self.lambda_od, self.lambda_d
        )
        return kl + penalty, {"kl": kl, "dip_penalty": penalty}
