"""Circuit modularity, overlap and poly/monosemantic shares on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.metrics.circuits import (
    circuit_overlap,
    circuits,
    layer_modularity,
    model_modularity,
    semantic_fractions,
)


def test_modularity_is_zero_for_shared_units_and_near_one_for_disjoint_ones():
    units = 200
    shared = np.tile(np.random.default_rng(0).random(units), (3, 1))
    disjoint = np.zeros((3, units))
    for i in range(3):
        disjoint[i, i * 50 : (i + 1) * 50] = 1.0
    active = np.ones(3, dtype=bool)
    assert layer_modularity(shared, active) == pytest.approx(0.0, abs=1e-12)
    assert layer_modularity(disjoint, active) > 0.65  # |rho| of disjoint blocks is 1/3 here
    assert model_modularity({"a": shared, "b": disjoint}, active) == pytest.approx(
        layer_modularity(disjoint, active) / 2
    )
    assert np.isnan(layer_modularity(shared, np.array([True, False, False])))


def test_circuits_take_the_top_share_of_each_layer_and_overlap_is_jaccard():
    r = {"l1": np.array([[0.9, 0.0], [0.1, 0.8], [0.0, 0.1], [0.2, 0.2]])}
    assert circuits(r, 0.25) == [{("l1", 0)}, {("l1", 1)}]
    assert circuit_overlap(r, 0.25) == 0.0
    same = {"l1": np.array([[0.9, 0.9], [0.1, 0.1]])}
    assert circuit_overlap(same, 0.5) == 1.0
    assert circuit_overlap(r, 0.5) == pytest.approx(1 / 3)  # {0,3} vs {1,3}


def test_units_that_restore_nothing_are_in_no_circuit():
    # Factor 0 is restored by unit 1 alone, factor 1 by unit 2 alone: disjoint circuits, even
    # when the top share reaches into the units with R = 0.
    r = {"l1": np.array([[0.0, 0.0], [0.7, 0.0], [0.0, 0.4], [0.0, 0.0]])}
    assert circuits(r, 0.5) == [{("l1", 1)}, {("l1", 2)}]
    assert circuit_overlap(r, 0.5) == 0.0
    # Patching a collapsed encoder restores nothing: no circuits, overlap undefined (not 1).
    nothing = {"l1": np.zeros((4, 3)), "l2": np.full((2, 3), np.nan)}
    assert circuits(nothing, 0.5) == [set(), set(), set()]
    assert np.isnan(circuit_overlap(nothing, 0.5))


def test_semantic_fractions():
    r = np.array([[0.5, 0.5], [0.5, 0.0], [0.0, 0.0], [np.nan, 0.0]])
    assert semantic_fractions(r, 0.1) == {"polysemantic": 0.25, "monosemantic": 0.25}
