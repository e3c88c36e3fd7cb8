"""Ranks and bootstrap CIs on data with a known answer (correlations: test_finding_tradeoff)."""

from __future__ import annotations

import numpy as np

from vaecausal.analysis.stats import bootstrap_difference_ci, ranks


def test_ranks_average_ties_row_by_row():
    assert ranks(np.array([3.0, 1.0, 2.0, 2.0])).tolist() == [4.0, 1.0, 2.5, 2.5]
    assert ranks(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist() == [[1.0, 2.0], [2.0, 1.0]]


def test_bootstrap_interval_of_a_difference_of_means():
    rng = np.random.default_rng(8)
    a, b = rng.normal(1.0, 0.2, 50), rng.normal(0.5, 0.2, 50)
    low, high = bootstrap_difference_ci(a, b, n_boot=1000)
    assert low < a.mean() - b.mean() < high and low > 0.3 and high < 0.7
    assert np.isnan(bootstrap_difference_ci([1.0], b)[1])
