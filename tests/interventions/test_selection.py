"""Which latents and units the manipulations look at."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.interventions.selection import analysed_latents, patched_units, spread

KL = np.array([0.5, 0.0, 3.0, 2.0, 0.001, 1.0])
ACTIVE = KL > 0.01


def test_all_analyses_every_latent_and_active_the_active_ones():
    assert analysed_latents(KL, ACTIVE, {"mode": "all", "top_k": 2}).analysed.all()
    chosen = analysed_latents(KL, ACTIVE, {"mode": "active", "top_k": 2})
    np.testing.assert_array_equal(chosen.analysed, ACTIVE)
    assert chosen.description == "the 4 active latents of 6"


def test_top_kl_keeps_the_active_latents_of_largest_kl():
    chosen = analysed_latents(KL, ACTIVE, {"mode": "top_kl", "top_k": 3})
    assert np.flatnonzero(chosen.analysed).tolist() == [2, 3, 5]
    # more than there are active: the active ones, never an inactive one
    wide = analysed_latents(KL, ACTIVE, {"mode": "top_kl", "top_k": 10}).analysed
    np.testing.assert_array_equal(wide, ACTIVE)


def test_a_discrete_model_without_kl_has_every_slot_analysed():
    chosen = analysed_latents(np.full(3, np.nan), np.ones(3, bool), {"mode": "top_kl", "top_k": 1})
    assert chosen.analysed.all() and "no KL" in chosen.description


def test_an_unknown_mode_is_named():
    with pytest.raises(ValueError, match="'most' is not one of"):
        analysed_latents(KL, ACTIVE, {"mode": "most", "top_k": 1})


def test_patched_units_are_every_unit_or_a_seeded_sorted_subset_per_hook_point():
    np.testing.assert_array_equal(patched_units(5, None, 0, "a"), np.arange(5))
    np.testing.assert_array_equal(patched_units(5, 8, 0, "a"), np.arange(5))
    some = patched_units(1000, 16, 0, "decoder.fc2")
    assert len(np.unique(some)) == 16 and (np.diff(some) > 0).all() and some.max() < 1000
    np.testing.assert_array_equal(some, patched_units(1000, 16, 0, "decoder.fc2"))
    assert not np.array_equal(some, patched_units(1000, 16, 0, "decoder.fc1"))
    assert not np.array_equal(some, patched_units(1000, 16, 1, "decoder.fc2"))


def test_spread_puts_the_chosen_latents_back_and_nan_elsewhere():
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    full = spread(values, np.array([1, 3]), 4, axis=1)
    np.testing.assert_array_equal(full[:, [1, 3]], values)
    assert np.isnan(full[:, [0, 2]]).all()
