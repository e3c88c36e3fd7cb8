"""The whole suite on one pool: every key, constant factors dropped, errors named."""

from __future__ import annotations

import numpy as np
import pytest

from tests.metrics.suite_pool import SMALL
from tests.metrics.synthetic import aligned_codes, grid_factors, noise_codes
from vaecausal.metrics.suite import METRICS, MetricSettings, standard_metrics

SCORES = (
    "dci_disentanglement",
    "dci_completeness",
    "mig",
    "factor_vae_eval_accuracy",
    "beta_vae_eval_accuracy",
    "modularity",
    "explicitness_test",
)


def test_defaults_are_the_reference_protocol():
    settings = MetricSettings()
    assert (settings.n_train, settings.n_test, settings.dci_booster) == (10_000, 5_000, "reference")
    assert (settings.mig_points, settings.histogram_bins) == (10_000, 20)
    assert (settings.factor_vae_batch, settings.factor_vae_train, settings.factor_vae_eval) == (
        64,
        10_000,
        5_000,
    )
    assert settings.factor_vae_prune_std == 0.05
    assert (settings.beta_vae_batch, settings.beta_vae_train, settings.beta_vae_eval) == (
        64,
        10_000,
        5_000,
    )


def test_aligned_pool_scores_high_and_constant_factor_changes_nothing():
    rng = np.random.default_rng(0)
    factors = grid_factors(1200, rng)
    codes = aligned_codes(factors, rng)
    values = standard_metrics(codes, factors, SMALL, seed=0, n_jobs=2)
    assert values["sap"] > 0.1
    for key in SCORES:
        assert values[key] > 0.9, key
    with_constant = np.column_stack([factors, np.full(1200, 3)])
    assert standard_metrics(codes, with_constant, SMALL, seed=0, n_jobs=2) == values


def test_noise_pool_scores_low():
    rng = np.random.default_rng(1)
    factors = grid_factors(1200, rng)
    values = standard_metrics(noise_codes(1200, 4, rng), factors, SMALL, seed=0)
    assert values["dci_disentanglement"] < 0.2 and values["mig"] < 0.05 and values["sap"] < 0.05
    assert values["factor_vae_eval_accuracy"] < 0.45 and values["beta_vae_eval_accuracy"] < 0.45


def test_a_metric_alone_equals_its_value_in_the_suite():
    rng = np.random.default_rng(2)
    factors = grid_factors(1200, rng)
    codes = factors + rng.normal(scale=1.0, size=factors.shape)
    every = standard_metrics(codes, factors, SMALL, seed=3)
    assert set(every) >= set(SCORES)
    for name in ("factor_vae", "beta_vae", "mig"):
        alone = standard_metrics(codes, factors, SMALL, seed=3, metrics=[name])
        assert alone.items() <= every.items(), name


def test_errors_name_the_problem():
    rng = np.random.default_rng(3)
    factors = grid_factors(100, rng)
    codes = noise_codes(100, 3, rng)
    with pytest.raises(ValueError, match=r"n_train \+ n_test = 1200 is more than the 100"):
        standard_metrics(codes, factors, SMALL)
    with pytest.raises(ValueError, match="unknown metric"):
        standard_metrics(codes, factors, SMALL, metrics=["irs"])
    with pytest.raises(ValueError, match="no factor varies"):
        standard_metrics(codes, np.zeros((100, 2), int), SMALL, metrics=["factor_vae"])
    assert set(METRICS) == {
        "dci",
        "mig",
        "sap",
        "factor_vae",
        "beta_vae",
        "modularity_explicitness",
    }
