"""Modularity and explicitness known answers."""

from __future__ import annotations

import numpy as np
import pytest

from tests.metrics.synthetic import aligned_codes, grid_factors, noise_codes
from vaecausal.metrics.modularity_explicitness import modularity, modularity_explicitness


def _split(codes, factors, n_train=1000):
    return codes[:n_train], factors[:n_train], codes[n_train:], factors[n_train:]


def test_modularity_of_known_information_matrices():
    assert modularity(np.eye(3)) == pytest.approx(1.0)
    # Code 0 depends on two of three factors equally, code 1 on all three, code 2 on none.
    information = np.array([[1.0, 1.0, 0.0], [0.5, 0.5, 0.5], [0.0, 0.0, 0.0]])
    assert modularity(information) == pytest.approx((0.5 + 0.0 + 0.0) / 3)
    with pytest.raises(ValueError, match="two factors"):
        modularity(np.ones((3, 1)))


def test_aligned_codes_are_modular_and_explicit():
    rng = np.random.default_rng(0)
    factors = grid_factors(1500, rng)
    result = modularity_explicitness(*_split(aligned_codes(factors, rng), factors), n_jobs=2)
    assert result.modularity > 0.95
    assert result.explicitness_train > 0.95 and result.explicitness_test > 0.95


def test_codes_mixing_all_factors_are_not_modular():
    rng = np.random.default_rng(1)
    factors = grid_factors(1500, rng, sizes=(4, 4, 4))
    mixing = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
    result = modularity_explicitness(*_split(factors @ mixing, factors))
    assert result.modularity < 0.5
    assert result.explicitness_test > 0.9  # still linearly readable, just not modular


def test_noise_is_not_explicit():
    rng = np.random.default_rng(2)
    factors = grid_factors(1500, rng)
    result = modularity_explicitness(*_split(noise_codes(1500, 4, rng), factors))
    assert result.explicitness_test == pytest.approx(0.5, abs=0.05)


def test_factor_constant_in_the_test_codes_is_refused():
    rng = np.random.default_rng(3)
    factors = grid_factors(1200, rng)
    factors[1000:, 1] = 0
    with pytest.raises(ValueError, match=r"explicitness \(test codes\): factor\(s\) \[1\]"):
        modularity_explicitness(*_split(noise_codes(1200, 3, rng), factors))
