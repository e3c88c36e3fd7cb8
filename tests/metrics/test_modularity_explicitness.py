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


def test_a_factor_whose_test_values_were_never_seen_in_training_is_left_out():
    rng = np.random.default_rng(5)
    train = np.column_stack([rng.integers(0, 2, 300), rng.integers(0, 3, 300)])
    test = np.column_stack([rng.integers(2, 4, 100), rng.integers(0, 3, 100)])
    codes_train = np.column_stack([train[:, 1], rng.normal(size=300)])
    codes_test = np.column_stack([test[:, 1], rng.normal(size=100)])
    result = modularity_explicitness(codes_train, train, codes_test, test)
    # factor 0 has no test AUC at all; the score is factor 1's, which code 0 carries
    assert result.explicitness_test > 0.9
    both_unseen = np.column_stack([test[:, 0], 3 + test[:, 1]])
    none = modularity_explicitness(codes_train, train, codes_test, both_unseen)
    assert np.isnan(none.explicitness_test)
