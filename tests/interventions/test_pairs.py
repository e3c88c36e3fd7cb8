"""Pairs differ in exactly the factor they are for; non-grid datasets use transforms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.interventions.stripes import stripe_images
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import grid_factors
from vaecausal.interventions.pairs import TRANSFORMS, FactorGrid, input_pairs, mediation_pairs


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


def test_mediation_pairs_move_ordered_factors_up_and_contrast_categorical_ones():
    sizes = [3, 4]
    factors = grid_factors(sizes)
    images = BatchGatherer(stripe_images(factors, 4), torch.device("cpu"))
    rows = np.arange(len(factors))
    families = list(mediation_pairs(images, factors, ["a", "b"], sizes, rows, 0, categorical=["a"]))
    assert [f.name for f in families] == ["a 0->1", "a 0->2", "b up"]
    for family in families:
        control, treated = factors[family.sources[:, 0]], factors[family.sources[:, 1]]
        changed = 0 if family.name.startswith("a") else 1
        np.testing.assert_array_equal(control[:, 1 - changed], treated[:, 1 - changed])
        np.testing.assert_array_equal(control[:, 1 - changed], factors[rows, 1 - changed])
        torch.testing.assert_close(family.control, images.gather(family.sources[:, 0]))
    a2, b_up = families[1], families[2]
    assert (factors[a2.sources[:, 0], 0] == 0).all() and (factors[a2.sources[:, 1], 0] == 2).all()
    low, high = factors[b_up.sources[:, 0], 1], factors[b_up.sources[:, 1], 1]
    assert (low < high).all()
    # every pair of distinct values is drawn: the move averages over all of them
    assert len({(int(lo), int(hi)) for lo, hi in zip(low, high, strict=True)}) == 6
    with pytest.raises(ValueError, match="colour"):
        mediation_pairs(images, factors, ["a", "b"], sizes, rows, 0, categorical=["colour"])
    transforms = mediation_pairs(images, factors[:5], ["a", "b"], sizes, np.arange(5), 0)
    assert [f.name for f in transforms] == list(TRANSFORMS)
