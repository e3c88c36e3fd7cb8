"""DCI known answers for both boosters; the fast booster tracks the reference within 0.02."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from vaecausal.metrics.boosted_importance import (
    _probabilities,
    replay,
    squared_error_importance,
)
from vaecausal.metrics.dci import BOOSTERS, dci, same_order_groups, scores_from_importance


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


@pytest.mark.parametrize("booster", BOOSTERS)
def test_factors_as_codes_permuted_and_rescaled_score_near_one(booster):
    rng = np.random.default_rng(0)
    factors = _factors(1500, rng)
    codes = factors[:, [2, 0, 1]] * np.array([3.0, -0.5, 10.0]) + 1.0
    result = dci(*_split(codes, factors, 1000), seed=0, n_jobs=2, booster=booster)
    assert result.disentanglement > 0.95 and result.completeness > 0.95
    assert result.informativeness > 0.99
    assert result.importance.shape == (3, 3)
    assert result.booster == booster


@pytest.mark.parametrize("booster", BOOSTERS)
def test_noise_scores_near_zero(booster):
    rng = np.random.default_rng(1)
    factors = _factors(1500, rng)
    codes = rng.normal(size=(1500, 3))
    result = dci(*_split(codes, factors, 1000), seed=0, booster=booster)
    assert result.disentanglement < 0.2 and result.completeness < 0.2


@pytest.mark.parametrize("booster", BOOSTERS)
def test_duplicating_a_factor_lowers_completeness_not_disentanglement(booster):
    rng = np.random.default_rng(2)
    factors = _factors(1500, rng)
    clean = factors.astype(float)
    duplicated = np.column_stack([clean, clean[:, 0]])
    base = dci(*_split(clean, factors, 1000), seed=0, booster=booster)
    dup = dci(*_split(duplicated, factors, 1000), seed=0, booster=booster)
    assert dup.disentanglement > 0.9
    assert dup.completeness < base.completeness - 0.1


def test_fast_booster_tracks_the_reference_on_mixed_codes():
    rng = np.random.default_rng(4)
    factors = _factors(4000, rng)
    unit = factors / factors.max(axis=0)
    codes = np.column_stack(
        [
            unit[:, 0] + rng.normal(scale=0.05, size=4000),
            0.7 * unit[:, 1] + 0.3 * unit[:, 2] + rng.normal(scale=0.1, size=4000),
            unit[:, 2] + rng.normal(scale=0.3, size=4000),
            rng.normal(size=4000),
        ]
    )
    reference = dci(*_split(codes, factors, 3000), seed=0, n_jobs=2)
    fast = dci(*_split(codes, factors, 3000), seed=0, n_jobs=2, booster="fast")
    assert 0.2 < reference.disentanglement < 0.9  # mid-range, where the boosters could differ
    assert fast.disentanglement == pytest.approx(reference.disentanglement, abs=0.02)
    assert fast.completeness == pytest.approx(reference.completeness, abs=0.02)
    assert fast.informativeness == pytest.approx(reference.informativeness, abs=0.02)


def test_fast_importance_is_zero_for_a_code_never_split_on():
    rng = np.random.default_rng(5)
    factors = _factors(600, rng)
    codes = np.column_stack([factors.astype(float), np.zeros(600)])
    result = dci(*_split(codes, factors, 400), seed=0, booster="fast")
    np.testing.assert_allclose(result.importance.sum(axis=0), 1.0)
    np.testing.assert_array_equal(result.importance[3], 0.0)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_replay_reproduces_the_boosters_probabilities(n_classes):
    rng = np.random.default_rng(6)
    codes = rng.normal(size=(400, 3))
    y = (codes[:, 0] > 0).astype(int) + (n_classes - 2) * (codes[:, 1] > 0.5)
    model = HistGradientBoostingClassifier(max_depth=3, max_iter=15, early_stopping=False)
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(codes, y)
        probabilities = model.predict_proba(codes)
    trees = list(replay(model, codes, y))
    assert len(trees) == 15 * (1 if n_classes == 2 else n_classes)
    nodes, _, counts, raw = trees[-1]
    np.testing.assert_array_equal(counts, nodes["count"])
    expected = probabilities[:, 1:] if n_classes == 2 else probabilities
    np.testing.assert_allclose(_probabilities(raw), expected, atol=1e-12)


def test_squared_error_importance_of_a_single_split():
    codes = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    y = np.array([0, 0, 1, 1])
    model = HistGradientBoostingClassifier(
        max_depth=1, max_iter=1, min_samples_leaf=1, early_stopping=False
    ).fit(codes, y)
    # Residuals y - 0.5 = (-.5, -.5, .5, .5): split between 1 and 2 removes all squared error.
    (nodes, sums, counts, _), *_ = replay(model, codes, y)
    np.testing.assert_allclose(sums[:3], [0.0, -1.0, 1.0])
    np.testing.assert_array_equal(squared_error_importance(model, codes, y), [1.0, 0.0])


def test_codes_ordering_samples_alike_are_grouped():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(2, 50))
    codes = np.column_stack([y, x, 2 * x + 1, -x, np.exp(x), x**2])
    first, group = same_order_groups(codes)
    np.testing.assert_array_equal(first, [0, 1, 5])
    np.testing.assert_array_equal(group, [0, 1, 1, 1, 1, 2])


def test_unknown_booster_is_refused():
    factors = np.zeros((4, 1), int)
    with pytest.raises(ValueError, match="unknown DCI booster 'xgb'"):
        dci(np.zeros((4, 2)), factors, np.zeros((4, 2)), factors, booster="xgb")  # type: ignore[arg-type]


@pytest.mark.parametrize("booster", BOOSTERS)
def test_factor_constant_in_the_training_codes_is_refused(booster):
    rng = np.random.default_rng(4)
    factors = _factors(400, rng)
    factors[:300, 1] = 0  # varies over all codes, not over the training ones
    codes = rng.normal(size=(400, 3))
    with pytest.raises(ValueError, match=r"DCI \(training codes\): factor\(s\) \[1\]"):
        dci(codes[:300], factors[:300], codes[300:], factors[300:], booster=booster)


def test_dci_is_reproducible_with_its_seed():
    rng = np.random.default_rng(3)
    factors = _factors(600, rng)
    codes = factors + rng.normal(scale=0.8, size=factors.shape)
    first = dci(*_split(codes, factors, 400), seed=5)
    second = dci(*_split(codes, factors, 400), seed=5, n_jobs=2)
    np.testing.assert_array_equal(first.importance, second.importance)
