"""Pairs differ in exactly the factor they are for; non-grid datasets use transforms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.interventions.stripes import stripe_images
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import grid_factors
from vaecausal.interventions.pairs import TRANSFORMS, FactorGrid, input_pairs


def test_grid_lookup_and_one_factor_changes():
    factors = grid_factors([2, 3, 4])[::-1].copy()  # any storage order
    grid = FactorGrid(factors, [2, 3, 4])
    assert grid.complete
    np.testing.assert_array_equal(grid.index_of(factors[[5, 0]]), [5, 0])
    changed = grid.changed(factors, 1, np.random.default_rng(0))
    assert (changed[:, 1] != factors[:, 1]).all()
    np.testing.assert_array_equal(np.delete(changed, 1, axis=1), np.delete(factors, 1, axis=1))
    with pytest.raises(KeyError):
        FactorGrid(factors[:-1], [2, 3, 4]).index_of(factors[-1:])


def test_pairs_on_a_grid_and_transforms_elsewhere():
    factors = grid_factors([3, 3])
    images = BatchGatherer(stripe_images(factors, 3), torch.device("cpu"))
    families = input_pairs(images, factors, ["a", "b"], [3, 3], np.arange(9), seed=0)
    assert [f.name for f in families] == ["a", "b"]
    for k, family in enumerate(families):
        other = 1 - k
        means = family.treated.mean(dim=(1, 2)).reshape(9, 2, -1).mean(-1)
        base = family.control.mean(dim=(1, 2)).reshape(9, 2, -1).mean(-1)
        assert (means[:, k] != base[:, k]).all()
        torch.testing.assert_close(means[:, other], base[:, other])
    incomplete = input_pairs(images, factors[:5], ["a", "b"], [3, 3], np.arange(5), seed=0)
    assert [f.name for f in incomplete] == list(TRANSFORMS)
