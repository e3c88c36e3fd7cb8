"""Input checks and the shared top-two gap."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.metrics.common import check_inputs, constant_factors, require_varying, top_two_gap


def test_check_inputs_returns_float_codes_and_integer_factors():
    codes, factors = check_inputs(np.ones((3, 2), np.float32), np.array([[0.0], [2.0], [1.0]]))
    assert codes.dtype == np.float64 and factors.dtype == np.int64
    np.testing.assert_array_equal(factors[:, 0], [0, 2, 1])


@pytest.mark.parametrize(
    ("codes", "factors", "message"),
    [
        (np.ones((3, 2)), np.zeros((2, 1), int), "3 rows but factors have 2"),
        (np.ones(3), np.zeros((3, 1), int), "codes must be a 2-D"),
        (np.ones((3, 2)), np.zeros(3, int), "factors must be a 2-D"),
        (np.ones((3, 2)), np.array([[0.5], [1.0], [2.0]]), "integer grid indices"),
        (np.ones((3, 2)), np.array([[np.nan], [1.0], [2.0]]), "integer grid indices"),
        (np.array([[np.nan, 1.0]] * 3), np.zeros((3, 1), int), "NaN"),
        (np.array([["a", "b"]] * 3), np.zeros((3, 1), int), "real numbers"),
    ],
)
def test_check_inputs_refuses_inconsistent_arrays(codes, factors, message):
    with pytest.raises(ValueError, match=message):
        check_inputs(codes, factors)


def test_constant_factors_are_found_and_refused():
    factors = np.array([[0, 5, 1], [1, 5, 1], [2, 5, 0]])
    assert constant_factors(factors) == [1]
    with pytest.raises(ValueError, match=r"MIG: factor\(s\) \[1\] are constant"):
        require_varying(factors, "MIG")


def test_top_two_gap_per_factor():
    scores = np.array([[0.9, 0.2], [0.1, 0.5], [0.3, 0.5]])
    np.testing.assert_allclose(top_two_gap(scores), [0.6, 0.0])
    with pytest.raises(ValueError, match="two codes"):
        top_two_gap(scores[:1])
