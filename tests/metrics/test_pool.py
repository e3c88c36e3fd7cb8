"""Matched draws from a pool: same value of the fixed factor, uniform within its group."""

from __future__ import annotations

import numpy as np
import pytest

from tests.metrics.synthetic import grid_factors
from vaecausal.metrics.pool import FactorPool, chunk_size


def test_draws_share_the_anchors_values_and_repeat_no_row():
    rng = np.random.default_rng(0)
    factors = grid_factors(600, rng)  # groups of 120 to 200 rows
    pool = FactorPool(factors)
    anchors = rng.integers(0, 600, size=(40, 50))
    fixed = rng.integers(0, 3, size=(40, 1))
    drawn, with_replacement = pool.draw_sharing(fixed, anchors, rng)
    assert drawn.shape == anchors.shape and not with_replacement.any()
    np.testing.assert_array_equal(
        factors[drawn, np.broadcast_to(fixed, drawn.shape)],
        factors[anchors, np.broadcast_to(fixed, drawn.shape)],
    )
    assert all(len(set(row)) == 50 for row in drawn)


def test_distinct_draws_are_uniform_over_ordered_rows():
    # Factor 0 splits rows 0-3 from rows 4-8. Each draw takes two rows of the first group and
    # three of the second: all 4 x 3 ordered pairs and 5 x 4 x 3 ordered triples are equally
    # likely, whichever item comes first.
    factors = np.column_stack([[0, 0, 0, 0, 1, 1, 1, 1, 1], np.arange(9) % 2])
    pool = FactorPool(factors)
    n = 30_000
    anchors = np.broadcast_to([0, 0, 4, 4, 4], (n, 5))
    drawn, with_replacement = pool.draw_sharing(np.array(0), anchors, np.random.default_rng(1))
    assert not with_replacement.any()
    for items, outcomes in (([0, 1], 12), ([2, 3, 4], 60)):
        _, counts = np.unique(drawn[:, items], axis=0, return_counts=True)
        assert len(counts) == outcomes
        expected = n / outcomes
        assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)


def test_a_group_smaller_than_its_items_is_drawn_with_replacement_and_flagged():
    factors = np.column_stack([[0, 0, 0, 0, 1, 1, 1, 1, 1], np.arange(9) % 2])
    pool = FactorPool(factors)
    anchors = np.array([[0, 0, 0, 0, 4], [0, 0, 0, 0, 0], [4, 5, 6, 7, 8], [1, 2, 3, 0, 1]])
    drawn, with_replacement = pool.draw_sharing(np.array(0), anchors, np.random.default_rng(2))
    # The 4-row group has 4 items in draw 0 and 5 in draws 1 and 3; the 5-row group 5 in draw 2.
    np.testing.assert_array_equal(with_replacement, [False, True, False, True])
    np.testing.assert_array_equal(factors[drawn, 0], factors[anchors, 0])
    assert len(set(drawn[0])) == 5 and len(set(drawn[2])) == 5


def test_constant_factors_are_skipped_and_never_drawn():
    rng = np.random.default_rng(1)
    factors = np.column_stack([grid_factors(100, rng), np.full(100, 4)])
    pool = FactorPool(factors)
    assert pool.skipped == (3,)
    assert set(pool.draw_factors(500, rng)) == {0, 1, 2}


def test_fewer_than_two_varying_factors_are_refused():
    factors = np.column_stack([np.arange(10) % 2, np.zeros(10, int)])
    with pytest.raises(ValueError, match="at least two factors that vary"):
        FactorPool(factors)


def test_chunks_bound_the_gathered_floats():
    assert chunk_size(64, 10) == (1 << 22) // 640
    assert chunk_size(64, 1 << 20) == 1
