"""Matched draws from a pool: same value of the fixed factor, uniform within its group."""

from __future__ import annotations

import numpy as np
import pytest

from tests.metrics.synthetic import grid_factors
from vaecausal.metrics.pool import FactorPool, chunk_size


def test_draws_share_the_fixed_factor_and_cover_its_group_uniformly():
    rng = np.random.default_rng(0)
    factors = grid_factors(600, rng)
    pool = FactorPool(factors)
    anchors = rng.integers(0, 600, size=(40, 50))
    fixed = rng.integers(0, 3, size=(40, 1))
    drawn = pool.draw_sharing(fixed, anchors, rng)
    assert drawn.shape == anchors.shape
    np.testing.assert_array_equal(
        factors[drawn, np.broadcast_to(fixed, drawn.shape)],
        factors[anchors, np.broadcast_to(fixed, drawn.shape)],
    )
    group = np.flatnonzero(factors[:, 2] == factors[7, 2])
    many = pool.draw_sharing(np.array(2), np.full(200 * len(group), 7), rng)
    counts = np.bincount(many, minlength=600)[group]
    assert set(np.unique(many)) == set(group)
    assert counts.min() > 120 and counts.max() < 280  # ~200 each


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
