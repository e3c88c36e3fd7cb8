"""Objectives against closed forms and the laws their estimators must obey."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vaecausal.models.beta_tc_vae import (
    BetaTCVAEObjective,
    gaussian_log_density,
    minibatch_stratified_terms,
    stratified_log_weights,
)
from vaecausal.models.beta_vae import BetaVAEObjective
from vaecausal.models.dip_vae_ii import aggregate_posterior_covariance, dip_ii_penalty
from vaecausal.models.losses import bernoulli_reconstruction, gaussian_kl_per_dim
from vaecausal.models.network import GaussianVAE


def test_gaussian_kl_matches_torch_distributions():
    mu = torch.tensor([[0.0, 1.0, -2.0]])
    logvar = torch.tensor([[0.0, math.log(4.0), -1.0]])
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(gaussian_kl_per_dim(mu, logvar), expected)
    # By hand: KL(N(1, 4) || N(0, 1)) = 0.5 (1 + 4 - 1 - ln 4)
    assert abs(gaussian_kl_per_dim(mu, logvar)[0, 1].item() - 0.5 * (4 - math.log(4))) < 1e-6


def test_bernoulli_reconstruction_is_summed_over_pixels():
    logits = torch.zeros(2, 1, 4, 4)  # p = 0.5 everywhere: ln 2 nats per pixel
    x = torch.rand(2, 1, 4, 4)
    assert abs(bernoulli_reconstruction(logits, x).item() - 16 * math.log(2)) < 1e-5


def test_beta_vae_weighs_the_kl_by_beta():
    torch.manual_seed(0)
    model = GaussianVAE(1, 4).double()  # the KL is tiny beside a total of thousands of nats
    x = torch.rand(8, 1, 64, 64, dtype=torch.float64)
    terms = {}
    for beta in (1.0, 5.0):
        torch.manual_seed(1)
        terms[beta] = BetaVAEObjective(beta)(model, x)
    kl = terms[1.0].logs["kl"]
    torch.testing.assert_close(terms[5.0].total - terms[1.0].total, 4 * kl)
    torch.testing.assert_close(terms[1.0].total, terms[1.0].logs["reconstruction"] + kl)


def _codes(correlation: float, n: int = 2000) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, generator=generator)
    b = correlation * a + math.sqrt(1 - correlation**2) * torch.randn(n, generator=generator)
    mu = torch.stack([a, b], 1)
    logvar = torch.full_like(mu, math.log(0.01))
    z = mu + 0.1 * torch.randn(mu.shape, generator=generator)
    return z, mu, logvar


def test_total_correlation_is_small_for_independent_and_large_for_correlated_codes():
    # The batch is the whole dataset of 2,000 codes, where MSS is close to exact. The exact TC of
    # this 2,000-point mixture is not 0 but about 0.06 nats; that of a bivariate normal with
    # correlation r is -0.5 ln(1 - r^2) = 1.16 nats at r = 0.95.
    independent = minibatch_stratified_terms(*_codes(0.0), dataset_size=2000)
    correlated = minibatch_stratified_terms(*_codes(0.95), dataset_size=2000)
    assert abs(independent["total_correlation"].item()) < 0.1
    assert correlated["total_correlation"].item() > 0.8


def _dataset_means(n: int, d: int) -> torch.Tensor:
    """Posterior means of a dataset of n points, drawn independently per dim from N(0, 1)."""
    return torch.randn(n, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def _exact_total_correlation(mu: torch.Tensor, std: float, n_samples: int) -> float:
    """TC of q(z) = mean_n N(z; mu_n, std^2 I), by Monte Carlo over z ~ q(z) with the exact
    mixture densities of q(z) and of its marginals."""
    generator = torch.Generator().manual_seed(1)
    n = len(mu)
    z = mu[torch.randint(0, n, (n_samples,), generator=generator)]
    z = z + std * torch.randn(z.shape, generator=generator, dtype=mu.dtype)
    logvar = torch.full_like(mu, 2 * math.log(std))
    pairwise = gaussian_log_density(z[:, None], mu[None], logvar[None])  # (S, n, d)
    log_qz = torch.logsumexp(pairwise.sum(2), dim=1) - math.log(n)
    log_prod_marginals = (torch.logsumexp(pairwise, dim=1) - math.log(n)).sum(1)
    return (log_qz - log_prod_marginals).mean().item()


def _mss_total_correlation(mu: torch.Tensor, std: float, batch: int, n_batches: int) -> float:
    """Mean MSS estimate over batches drawn without replacement from the dataset's points."""
    generator = torch.Generator().manual_seed(2)
    estimates = []
    for _ in range(n_batches):
        m = mu[torch.randperm(len(mu), generator=generator)[:batch]]
        z = m + std * torch.randn(m.shape, generator=generator, dtype=m.dtype)
        logvar = torch.full_like(m, 2 * math.log(std))
        terms = minibatch_stratified_terms(z, m, logvar, dataset_size=len(mu))
        estimates.append(terms["total_correlation"].item())
    return sum(estimates) / n_batches


def test_mss_total_correlation_is_biased_on_small_batches_and_near_exact_on_the_dataset():
    # 256 points with independently drawn means: the mixture's exact TC is small but not 0.
    # With a batch of 16, MSS overshoots it when posteriors are narrow against the spread of the
    # means and undershoots it (below 0) when they are wider; the whole dataset as the batch
    # recovers it.
    mu = _dataset_means(256, 2)
    for std, small_minus_exact in ((0.05, 1.21), (0.2, -0.24)):
        exact = _exact_total_correlation(mu, std, n_samples=16_384)
        assert _mss_total_correlation(mu, std, batch=256, n_batches=8) == pytest.approx(
            exact, abs=0.03
        )
        small = _mss_total_correlation(mu, std, batch=16, n_batches=64)
        assert small - exact == pytest.approx(small_minus_exact, abs=0.1)


def test_beta_tc_vae_decomposition_sums_to_the_kl_estimate():
    z, mu, logvar = _codes(0.5, n=256)
    terms = minibatch_stratified_terms(z, mu, logvar, dataset_size=256)
    objective = BetaTCVAEObjective(beta=1.0, dataset_size=256)
    total, _ = objective.regulariser(mu, logvar, z)
    decomposed = terms["mutual_information"] + terms["total_correlation"] + terms["dimwise_kl"]
    torch.testing.assert_close(total, decomposed)


def test_dip_ii_penalty_is_zero_at_identity_and_grows_with_off_diagonals():
    assert dip_ii_penalty(torch.eye(3), 10.0, 10.0).item() == 0.0
    cov = torch.eye(3)
    cov[0, 1] = cov[1, 0] = 0.5
    assert abs(dip_ii_penalty(cov, 10.0, 1.0).item() - 10 * 2 * 0.25) < 1e-6


def test_aggregate_posterior_covariance_adds_mean_variance():
    mu = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    logvar = torch.zeros(2, 2)
    torch.testing.assert_close(
        aggregate_posterior_covariance(mu, logvar), torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    )


def test_permute_dims_keeps_marginals_and_breaks_dependence():
    from vaecausal.models.factor_vae import permute_dims

    z, _, _ = _codes(0.95, n=4000)
    permuted = permute_dims(z, torch.Generator().manual_seed(0))
    for k in range(2):
        torch.testing.assert_close(permuted[:, k].sort().values, z[:, k].sort().values)
    assert torch.corrcoef(z.T)[0, 1] > 0.9 and abs(torch.corrcoef(permuted.T)[0, 1]) < 0.05


def test_factor_vae_discriminator_learns_and_round_trips_its_state():
    from vaecausal.models.factor_vae import FactorVAEObjective

    torch.manual_seed(0)
    objective = FactorVAEObjective(gamma=10.0, n_latents=2, lr=1e-3, betas=(0.5, 0.9))
    z, mu, logvar = _codes(0.95, n=256)
    generator = torch.Generator().manual_seed(0)
    from vaecausal.models.objective import LossTerms

    first = objective.auxiliary_step(LossTerms(torch.zeros(()), {}, z), generator)
    for _ in range(100):
        last = objective.auxiliary_step(LossTerms(torch.zeros(()), {}, z), generator)
    # Correlated codes are told from their permutation: D's loss falls below chance (ln 2).
    assert last["discriminator_loss"] < first["discriminator_loss"] < 0.8
    _, logs = objective.regulariser(mu, logvar, z)
    assert logs["total_correlation"] > 0  # D now reports dependence
    clone = FactorVAEObjective(gamma=10.0, n_latents=2, lr=1e-3, betas=(0.5, 0.9))
    clone.load_state_dict(objective.state_dict())
    torch.testing.assert_close(clone.discriminator(z), objective.discriminator(z))


def test_stratified_weights_follow_the_mss_estimator():
    n, m = 5, 100  # batch, dataset size
    w = stratified_log_weights(n, m, torch.device("cpu")).exp()
    for i in range(n):
        assert w[i, i] == pytest.approx(1 / m)
        assert w[i, (i + 1) % n] == pytest.approx((m - n + 1) / (m * (n - 1)))
        others = [j for j in range(n) if j not in (i, (i + 1) % n)]
        torch.testing.assert_close(w[i, others], torch.full((n - 2,), 1 / (n - 1)))
    torch.testing.assert_close(w.sum(1), torch.ones(n))
