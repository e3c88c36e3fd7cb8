"""CES and active latents, from their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vaecausal.metrics.causal import (
    active_latents,
    ces_per_latent,
    kl_per_latent,
    model_ces,
    model_specificity,
    rms_scale,
    specificity_per_latent,
)


def test_kl_per_latent_and_activity():
    mu = np.array([[0.0, 1.0], [0.0, -1.0]])
    logvar = np.zeros((2, 2))
    kl = kl_per_latent(mu, logvar)
    np.testing.assert_allclose(kl, [0.0, 0.5])
    np.testing.assert_array_equal(active_latents(kl, 0.01), [False, True])


def test_ces_is_the_mean_effect_over_images_and_values_and_over_active_latents():
    norms = np.zeros((2, 3, 2))
    norms[:, 0] = [[1.0, 3.0], [1.0, 3.0]]
    norms[:, 1] = 10.0
    ces = ces_per_latent(norms)
    np.testing.assert_allclose(ces, [2.0, 10.0, 0.0])
    assert model_ces(ces, np.array([True, False, True])) == 1.0
    assert math.isnan(model_ces(ces, np.zeros(3, bool)))
    assert rms_scale(3) == math.sqrt(3 * 64 * 64)


def test_specificity_is_one_for_a_single_factor_and_zero_for_all_equally():
    effect = np.array([[0.0, 0.7, 0.0], [0.2, 0.2, 0.2], [0.0, 0.0, 0.0], [0.1, 0.3, 0.0]])
    normalised, inverse = specificity_per_latent(effect)
    assert normalised[0] == pytest.approx(1.0)
    assert normalised[1] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(normalised[2])  # moves nothing: no distribution
    assert 0 < normalised[3] < 1
    assert inverse[0] == pytest.approx(1e6) and inverse[1] == pytest.approx(1 / np.log(3))
    ces = np.array([3.0, 1.0, 0.0, 0.0])
    active = np.array([True, True, True, False])
    assert model_specificity(normalised, ces, active) == pytest.approx(0.75)


def test_with_one_factor_a_latent_that_moves_nothing_still_has_no_specificity():
    normalised, _ = specificity_per_latent(np.array([[0.4], [0.0]]))
    assert normalised[0] == 1.0 and np.isnan(normalised[1])
