"""Correlation tests, bootstrap CIs and permutation p-values on data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.analysis.stats import (
    bootstrap_difference_ci,
    correlation_test,
    ranks,
)


def correlated(n: int, rho: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n pairs from a standard bivariate normal with Pearson correlation rho."""
    x = rng.standard_normal(n)
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)


def test_ranks_average_ties_row_by_row():
    assert ranks(np.array([3.0, 1.0, 2.0, 2.0])).tolist() == [4.0, 1.0, 2.5, 2.5]
    assert ranks(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist() == [[1.0, 2.0], [2.0, 1.0]]


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_strong_known_correlation_is_estimated_covered_and_significant(method):
    x, y = correlated(200, 0.6, np.random.default_rng(1))
    test = correlation_test(x, y, method=method, n_boot=1000, n_perm=1000, seed=0)
    # Spearman's rho of a bivariate normal is (6/pi) asin(rho/2).
    truth = 0.6 if method == "pearson" else 6 / np.pi * np.arcsin(0.3)
    assert test.estimate == pytest.approx(truth, abs=0.1)
    assert test.ci_low < truth < test.ci_high and test.ci_high - test.ci_low < 0.3
    assert test.p_value == pytest.approx(1 / 1001)  # no permutation reaches it
    assert (test.n, test.n_groups, test.n_boot_valid, test.note) == (200, 1, 1000, "")


def test_estimate_matches_numpy_and_spearman_is_pearson_of_ranks():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(30)
    y = np.exp(x) + 0.1 * rng.standard_normal(30)
    pearson = correlation_test(x, y, n_boot=10, n_perm=10)
    spearman = correlation_test(x, y, method="spearman", n_boot=10, n_perm=10)
    assert pearson.estimate == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert spearman.estimate == pytest.approx(np.corrcoef(ranks(x), ranks(y))[0, 1])
    assert spearman.estimate > pearson.estimate  # monotone but not linear


def test_ci_covers_the_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(3)
    covered = [
        (t.ci_low <= 0.5 <= t.ci_high)
        for t in (
            correlation_test(*correlated(40, 0.5, rng), n_boot=400, n_perm=1, seed=i)
            for i in range(100)
        )
    ]
    assert 0.85 <= np.mean(covered) <= 1.0


def test_permutation_p_values_are_roughly_uniform_for_independent_data():
    rng = np.random.default_rng(4)
    p = np.array(
        [
            correlation_test(*correlated(15, 0.0, rng), n_boot=1, n_perm=300, seed=i).p_value
            for i in range(300)
        ]
    )
    assert 0.4 < p.mean() < 0.6
    assert 0.01 < np.mean(p < 0.05) < 0.10
    assert 0.15 < np.mean(p < 0.25) < 0.35


def test_pooled_estimate_ignores_offsets_between_groups():
    """r = 0.8 inside each of two datasets, offsets between them: raw pooling gets it wrong."""
    rng = np.random.default_rng(5)
    x1, y1 = correlated(60, 0.8, rng)
    x2, y2 = correlated(60, 0.8, rng)
    x = np.concatenate([x1, 10 + 3 * x2])
    y = np.concatenate([10 + y1, 0.5 * y2])
    groups = np.repeat(["a", "b"], 60)
    assert np.corrcoef(x, y)[0, 1] < -0.5
    pooled = correlation_test(x, y, groups, n_boot=1000, n_perm=1000)
    assert pooled.estimate == pytest.approx(0.8, abs=0.08) and pooled.n_groups == 2
    assert pooled.ci_low < 0.8 < pooled.ci_high and pooled.p_value < 0.002


def test_pooled_permutations_stay_within_groups():
    """Independent within groups, strongly related between them: not significant when pooled."""
    rng = np.random.default_rng(6)
    groups = np.repeat(np.arange(5), 8)
    x = groups * 5.0 + rng.standard_normal(40)
    y = groups * 5.0 + rng.standard_normal(40)
    assert np.corrcoef(x, y)[0, 1] > 0.9
    assert correlation_test(x, y, groups, n_boot=200, n_perm=1000).p_value > 0.05


def test_too_few_runs_and_constant_columns_give_nan_with_a_reason():
    two = correlation_test([0.1, 0.2], [1.0, 2.0])
    assert np.isnan(two.estimate) and "2 run(s), need 3" in two.note
    constant = correlation_test([0.1, 0.2, 0.3, 0.4], [1.0, 1.0, 1.0, 1.0])
    assert np.isnan(constant.p_value) and "constant" in constant.note
    nan_dropped = correlation_test([0.1, np.nan, 0.3, 0.4], [1.0, 2.0, np.nan, 3.0])
    assert nan_dropped.n == 0 and "need 3" in nan_dropped.note
    groups = np.array(["a", "a", "a", "a", "b"])
    partial = correlation_test([1, 2, 3, 4, 5], [2, 1, 4, 3, 0], groups, n_boot=50, n_perm=50)
    assert partial.n == 4 and partial.n_groups == 1 and "b: 1 run(s)" in partial.note


def test_seeded_results_repeat_exactly():
    x, y = correlated(20, 0.3, np.random.default_rng(7))
    assert correlation_test(x, y, seed=3) == correlation_test(x, y, seed=3)
    assert correlation_test(x, y, seed=3) != correlation_test(x, y, seed=4)


def test_bootstrap_interval_of_a_difference_of_means():
    rng = np.random.default_rng(8)
    a, b = rng.normal(1.0, 0.2, 50), rng.normal(0.5, 0.2, 50)
    low, high = bootstrap_difference_ci(a, b, n_boot=1000)
    assert low < a.mean() - b.mean() < high and low > 0.3 and high < 0.7
    assert np.isnan(bootstrap_difference_ci([1.0], b)[1])
