"""beta-TC-VAE (Chen et al. 2018) with the minibatch-weighted sampling (MWS) estimator.

The KL term is decomposed into index-code mutual information, total correlation (TC) and
dimension-wise KL; beta weighs only the TC. q(z) and its marginals are estimated from the batch:
log q(z_i) ~ logsumexp_j log q(z_i | x_j) - log(N M), with N the dataset size, M the batch size.
"""

from __future__ import annotations

import math

import torch

from vaecausal.models.objective import GaussianObjective

_LOG_2PI = math.log(2 * math.pi)


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (_LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar))


def minibatch_weighted_terms(
    z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, dataset_size: int
) -> dict[str, torch.Tensor]:
    """MWS estimates of mutual information, total correlation and dimension-wise KL (nats)."""
    batch = z.shape[0]
    log_qz_given_x = gaussian_log_density(z, mu, logvar).sum(1)
    # pairwise[i, j, k] = log q(z_i[k] | x_j)
    pairwise = gaussian_log_density(z[:, None, :], mu[None, :, :], logvar[None, :, :])
    log_norm = math.log(batch * dataset_size)
    log_qz = torch.logsumexp(pairwise.sum(2), dim=1) - log_norm
    log_prod_marginals = (torch.logsumexp(pairwise, dim=1) - log_norm).sum(1)
    log_pz = gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    return {
        "mutual_information": (log_qz_given_x - log_qz).mean(),
        "total_correlation": (log_qz - log_prod_marginals).mean(),
        "dimwise_kl": (log_prod_marginals - log_pz).mean(),
    }


class BetaTCVAEObjective(GaussianObjective):
    def __init__(self, beta: float, dataset_size: int) -> None:
        self.beta = beta
        self.dataset_size = dataset_size

    def regulariser(
        self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        terms = minibatch_weighted_terms(z, mu, logvar, self.dataset_size)
        total = (
            terms["mutual_information"]
            + self.beta * terms["total_correlation"]
            + terms["dimwise_kl"]
        )
        return total, terms
