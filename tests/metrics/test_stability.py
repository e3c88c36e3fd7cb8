"""Stability intervals: replicates computed from running sums equal the metric recomputed on
resampled inputs, and the intervals cover a known value at their nominal rate (95% +- 3%) on
constructions, at the sample sizes the studies use."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaecausal.interventions import decoder_effects
from vaecausal.interventions import latent_perturbation as perturbation
from vaecausal.interventions.latent_perturbation import latent_perturbation
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.metrics.causal import model_ces, model_specificity, specificity_per_latent
from vaecausal.metrics.circuits import model_modularity
from vaecausal.metrics.stability import (
    decoder_replicates,
    expanded_alpha,
    modularity_replicates,
    percentile_interval,
    resampling_weights,
    weighted_means,
)
from vaecausal.models.device import place_network
from vaecausal.models.network import GaussianVAE

REPLICATES = 1000  # the shipped setting (interventions.bootstrap.replicates)


def test_weights_draw_n_of_n_with_replacement_reproducibly():
    weights = resampling_weights(16, 50, seed=3)
    assert weights.shape == (50, 16) and (weights.sum(1) == 16).all() and weights.min() >= 0
    np.testing.assert_array_equal(weights, resampling_weights(16, 50, seed=3))
    assert not np.array_equal(weights, resampling_weights(16, 50, seed=4))


def test_the_expansion_gives_the_t_interval_width_and_vanishes_with_n():
    # alpha' solves sqrt(n / (n - 1)) z_{1 - alpha'/2} = t_{0.975, n - 1}
    assert expanded_alpha(16) == pytest.approx(0.0277, abs=5e-4)
    assert expanded_alpha(1000) == pytest.approx(0.05, abs=1e-3)
    assert expanded_alpha(1) == 0.0


def test_a_metric_that_never_moves_has_a_zero_width_interval_and_an_undefined_one_none():
    interval = percentile_interval(np.full(REPLICATES, 0.3), 64, "evaluation codes")
    assert interval.low == interval.high == pytest.approx(0.3) and interval.n == 64
    undefined = percentile_interval(np.r_[np.full(20, np.nan), np.ones(180)], 64, "codes")
    assert undefined.low is None and undefined.high is None


def _model() -> GaussianVAE:
    torch.manual_seed(0)
    return place_network(GaussianVAE(1, 3), torch.device("cpu")).eval()


@pytest.mark.parametrize("pending", [1, 2**24])  # added code by code, or in one block
def test_replicate_sums_equal_the_effects_recomputed_on_the_resampled_codes(pending, monkeypatch):
    monkeypatch.setattr(decoder_effects, "PENDING_ELEMENTS", pending)
    model = _model()
    latents = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    weights = resampling_weights(6, 4, seed=1)
    norms, means = latent_perturbation(model, latents, [-1.0, 2.0], 5, weights=weights)
    for r in range(4):
        resampled = np.repeat(latents, weights[r], axis=0)
        _, direct = latent_perturbation(model, resampled, [-1.0, 2.0], 5)
        for name in model.decoder_hooks:
            np.testing.assert_allclose(
                means[f"replicates.activation_delta.{name}"][r],
                direct[f"activation_delta.{name}"],
                rtol=1e-4,
                atol=1e-6,
            )
    # one replicate that counts every code once is the plain estimate
    _, once = latent_perturbation(model, latents, [-1.0, 2.0], 5, weights=np.ones((1, 6)))
    name = model.decoder_hooks[0]
    np.testing.assert_allclose(
        once[f"replicates.activation_delta.{name}"][0],
        once[f"activation_delta.{name}"],
        rtol=1e-5,
    )


def test_activation_replicates_too_large_for_memory_are_dropped_whole(monkeypatch):
    """A budget that fits one decoder layer's replicates but not all: modularity would average
    other layers in other replicates, so no layer keeps any; factor effects are kept."""
    model = _model()
    latents = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    oracle = place_network(FactorOracle(1, [2, 3]), torch.device("cpu")).eval()
    monkeypatch.setattr(perturbation, "MAX_REPLICATE_ELEMENTS", 10 * 3 * 256)
    _, means = latent_perturbation(
        model, latents, [1.0], 8, oracle, weights=resampling_weights(4, 10, 0)
    )
    assert not [k for k in means if k.startswith("replicates.activation_delta.")]
    assert means["replicates.factor_effect"].shape == (10, 3, 2)
    assert "activation_delta.decoder.fc1" in means  # the point estimates are all there
    assert len(modularity_replicates({}, np.ones(3, bool))) == 0  # so: no interval


def test_decoder_replicates_of_the_identity_weights_are_the_point_metrics():
    rng = np.random.default_rng(0)
    norms = rng.exponential(size=(8, 3, 2))
    factor = rng.uniform(size=(1, 3, 4))
    deltas = {"a": rng.uniform(size=(1, 3, 20)), "b": rng.uniform(size=(1, 3, 32))}
    active = np.array([True, True, False])
    modularity = modularity_replicates(deltas, active)
    replicate = decoder_replicates(np.ones((1, 8)), norms, factor, modularity, active, 1)
    ces = norms.mean((0, 2))
    assert replicate["ces"][0] == pytest.approx(model_ces(ces, active))
    specificity = specificity_per_latent(factor[0])[0]
    assert replicate["specificity"][0] == pytest.approx(model_specificity(specificity, ces, active))
    point = model_modularity({k: v[0] for k, v in deltas.items()}, active)
    assert replicate["modularity"][0] == pytest.approx(point)


def _coverage(draw, truth: float, n: int, simulations: int, seed: int = 0) -> float:
    """Share of simulated runs whose interval holds ``truth``; ``draw(rng)`` gives a run's
    per-unit values and the metric's replicates from them."""
    rng = np.random.default_rng(seed)
    hits = 0
    for s in range(simulations):
        replicates = draw(rng, resampling_weights(n, REPLICATES, seed=s))
        interval = percentile_interval(replicates, n, "units")
        hits += interval.low <= truth <= interval.high
    return hits / simulations


@pytest.mark.parametrize(
    ("n", "what"), [(64, "CES over the default study's 64 codes"), (16, "TE over 16 pairs")]
)
def test_a_mean_is_covered_at_the_nominal_rate(n, what):
    """CES is a mean over codes of skewed per-code effects (exponential, mean 2); TE a mean of
    normal per-pair changes (mean 0.3): both with the sample sizes of the default study."""

    def ces(rng, weights):
        values = rng.exponential(2.0, size=(n, 1, 1))
        return decoder_replicates(weights, values, None, None, np.ones(1, bool), 1)["ces"]

    def te(rng, weights):
        return weighted_means(weights, rng.normal(0.3, 1.0, size=n))

    draw, truth = (ces, 2.0) if n == 64 else (te, 0.3)
    coverage = _coverage(draw, truth, n, simulations=1000)
    assert 0.92 <= coverage <= 0.98, (what, coverage)


def test_specificity_a_ratio_of_means_is_covered_at_the_nominal_rate():
    """Per code, latent 0 moves factor 0 by 0.6 and factors 1, 2 by 0.2 on average (noisy,
    non-negative); the model's specificity is that of the expected effects."""
    expected = np.array([0.6, 0.2, 0.2])
    truth = specificity_per_latent(expected[None])[0][0]
    n = 64

    def draw(rng, weights):
        per_code = rng.gamma(4.0, expected / 4.0, size=(n, 3))  # mean expected, CV 0.5
        factor = weighted_means(weights, per_code)[:, None, :]  # (R, 1, K)
        norms = np.ones((n, 1, 1))
        return decoder_replicates(weights, norms, factor, None, np.ones(1, bool), 1)["specificity"]

    coverage = _coverage(draw, truth, n, simulations=1000)
    assert 0.92 <= coverage <= 0.98, coverage
