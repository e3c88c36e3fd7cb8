"""MIG known answers: aligned codes ~1, noise ~0, a factor split over two codes has no gap."""

from __future__ import annotations

import numpy as np
import pytest

from tests.metrics.synthetic import aligned_codes, grid_factors, noise_codes
from vaecausal.metrics.information import factor_entropy, histogram_discretise, mutual_information
from vaecausal.metrics.mig import mig


def test_histogram_discretise_uses_equal_width_bins_with_the_maximum_in_the_last():
    codes = np.column_stack([np.arange(20.0), np.arange(20.0) ** 2])
    binned = histogram_discretise(codes, 20)
    np.testing.assert_array_equal(binned[:, 0], np.arange(1, 21))
    assert binned[0, 1] == 1 and binned[-1, 1] == 20 and binned[-2, 1] == 18  # 324 / 18.05
    assert (histogram_discretise(codes, 4)[:, 0] == np.repeat([1, 2, 3, 4], 5)).all()


def test_mutual_information_of_a_copy_is_the_entropy():
    factors = np.tile([[0, 0], [1, 0], [2, 1], [3, 1]], (5, 1))
    entropy = factor_entropy(factors)
    np.testing.assert_allclose(entropy, [np.log(4), np.log(2)])
    information = mutual_information(factors + 1, factors)
    np.testing.assert_allclose(information[:, 0], [np.log(4), np.log(2)])
    np.testing.assert_allclose(information[1], [np.log(2), np.log(2)])


def test_aligned_codes_score_near_one():
    rng = np.random.default_rng(0)
    factors = grid_factors(2000, rng)
    result = mig(aligned_codes(factors, rng), factors)
    assert result.mig > 0.95
    assert result.mutual_information.shape == (3, 3)


def test_noise_scores_near_zero():
    rng = np.random.default_rng(1)
    factors = grid_factors(2000, rng)
    assert mig(noise_codes(2000, 4, rng), factors).mig < 0.05


def test_a_factor_copied_into_two_codes_has_no_gap():
    rng = np.random.default_rng(2)
    factors = grid_factors(2000, rng)
    codes = aligned_codes(factors, rng)
    duplicated = np.column_stack([codes, 2 * codes[:, 0]])  # code 0 holds factor 2
    per_factor = mig(duplicated, factors).per_factor
    assert per_factor[2] < 0.02
    assert per_factor[0] > 0.95 and per_factor[1] > 0.95


def test_constant_factor_is_refused():
    factors = np.zeros((50, 2), int)
    factors[:, 0] = np.arange(50) % 3
    with pytest.raises(ValueError, match="constant"):
        mig(np.random.default_rng(3).normal(size=(50, 3)), factors)
