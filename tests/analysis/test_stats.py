"""Ranks on data with a known answer (the tests of each finding's statistics are in
test_finding_<finding>.py)."""

from __future__ import annotations

import numpy as np

from vaecausal.analysis.stats import ranks


def test_ranks_average_ties_row_by_row():
    assert ranks(np.array([3.0, 1.0, 2.0, 2.0])).tolist() == [4.0, 1.0, 2.5, 2.5]
    assert ranks(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist() == [[1.0, 2.0], [2.0, 1.0]]
