"""DCI known answers: perfect codes score ~1, noise ~0, a duplicated factor lowers completeness."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.metrics.dci import dci, scores_from_importance


def _factors(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.stack([rng.integers(0, 4, n), rng.integers(0, 5, n), rng.integers(0, 3, n)], 1)


def _split(codes, factors, n_train):
    return codes[:n_train], factors[:n_train], codes[n_train:], factors[n_train:]


def test_importance_known_answers():
    assert scores_from_importance(np.eye(3)) == pytest.approx((1.0, 1.0))
    uniform = scores_from_importance(np.ones((3, 3)))
    assert uniform == pytest.approx((0.0, 0.0), abs=1e-6)
    # One factor read from two codes equally: codes are still pure, the factor is not complete.
    duplicated = np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.5]])
    disentanglement, completeness = scores_from_importance(duplicated)
    assert disentanglement == pytest.approx(1.0) and completeness < 0.8


def test_factors_as_codes_permuted_and_rescaled_score_near_one():
    rng = np.random.default_rng(0)
    factors = _factors(1500, rng)
    codes = factors[:, [2, 0, 1]] * np.array([3.0, -0.5, 10.0]) + 1.0
    result = dci(*_split(codes, factors, 1000), seed=0, n_jobs=2)
    assert result.disentanglement > 0.95 and result.completeness > 0.95
    assert result.informativeness > 0.99
    assert result.importance.shape == (3, 3)


def test_noise_scores_near_zero():
    rng = np.random.default_rng(1)
    factors = _factors(1500, rng)
    codes = rng.normal(size=(1500, 3))
    result = dci(*_split(codes, factors, 1000), seed=0)
    assert result.disentanglement < 0.2 and result.completeness < 0.2


def test_duplicating_a_factor_lowers_completeness_not_disentanglement():
    rng = np.random.default_rng(2)
    factors = _factors(1500, rng)
    clean = factors.astype(float)
    duplicated = np.column_stack([clean, clean[:, 0]])
    base = dci(*_split(clean, factors, 1000), seed=0)
    dup = dci(*_split(duplicated, factors, 1000), seed=0)
    assert dup.disentanglement > 0.9
    assert dup.completeness < base.completeness - 0.1


def test_dci_is_reproducible_with_its_seed():
    rng = np.random.default_rng(3)
    factors = _factors(600, rng)
    codes = factors + rng.normal(scale=0.8, size=factors.shape)
    first = dci(*_split(codes, factors, 400), seed=5)
    second = dci(*_split(codes, factors, 400), seed=5, n_jobs=2)
    np.testing.assert_array_equal(first.importance, second.importance)
