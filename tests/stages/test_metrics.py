"""The metrics stage's causal block: what enters each metric."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.stages.metrics import effect_metrics


def test_specificity_leaves_out_factors_with_a_single_value():
    # Latent 0 moves factors 0 and 2 equally; factor 1 has one value (a subsample), so nothing
    # can move it. Over the factors that vary, latent 0 is as unspecific as can be (S = 0).
    effects = {
        "pixel_effect_norms": np.ones((2, 2, 3)),
        "factor_effect": np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.9]]),
    }
    varying = np.array([True, False, True])
    causal = effect_metrics(effects, "", np.array([True, True]), 1, varying)
    assert causal["specificity_per_latent"] == pytest.approx([0.0, 1.0], abs=1e-12)
    counted_all = effect_metrics(effects, "", np.array([True, True]), 1, np.ones(3, bool))
    assert counted_all["specificity_per_latent"][0] == pytest.approx(1 - np.log(2) / np.log(3))
