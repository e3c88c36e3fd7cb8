"""SAP known answers: binary factors read from one code each ~0.5 (1 minus chance), noise ~0."""

from __future__ import annotations

import numpy as np
import pytest

from tests.metrics.synthetic import aligned_codes, grid_factors, noise_codes
from vaecausal.metrics.sap import sap


def _split(codes, factors, n_train=1000):
    return codes[:n_train], factors[:n_train], codes[n_train:], factors[n_train:]


def test_aligned_binary_factors_score_one_minus_chance():
    rng = np.random.default_rng(0)
    factors = grid_factors(1500, rng, sizes=(2, 2, 2))
    result = sap(*_split(aligned_codes(factors, rng), factors), n_jobs=2)
    # The code of each factor classifies it perfectly; the others are at chance (balanced 0.5).
    np.testing.assert_allclose(result.scores.max(axis=0), 1.0)
    assert result.sap == pytest.approx(0.5, abs=0.06)


def test_noise_scores_near_zero():
    rng = np.random.default_rng(1)
    factors = grid_factors(1500, rng, sizes=(2, 3, 4))
    result = sap(*_split(noise_codes(1500, 4, rng), factors))
    assert result.sap < 0.05
    assert result.scores.shape == (4, 3)


def test_a_factor_copied_into_two_codes_has_no_gap():
    rng = np.random.default_rng(2)
    factors = grid_factors(1500, rng, sizes=(2, 2))
    codes = aligned_codes(factors, rng)
    result = sap(*_split(np.column_stack([codes, -codes[:, 0]]), factors))
    assert result.sap == pytest.approx(0.25, abs=0.05)  # one factor gap ~0.5, the other ~0
