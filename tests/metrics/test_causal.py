"""CES and active latents, from their definitions."""

from __future__ import annotations

import math

import numpy as np

from vaecausal.metrics.causal import (
    active_latents,
    ces_per_latent,
    kl_per_latent,
    model_ces,
    rms_scale,
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
