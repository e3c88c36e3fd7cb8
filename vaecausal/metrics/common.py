"""Small pieces shared by the standard disentanglement metrics.

The metrics take codes (N, d) and discrete factor indices (N, K) as plain arrays; these helpers
validate them once and hold the few computations that several metrics define identically.
"""

from __future__ import annotations

import numpy as np


def constant_factors(factors: np.ndarray) -> list[int]:
    """Indices of the factor columns that take a single value.

    A constant factor carries no information to predict or to measure: its entropy is 0 (MIG
    divides by it) and a classifier cannot be fitted on one class (DCI, SAP, explicitness).
    """
    return [k for k in range(factors.shape[1]) if np.unique(factors[:, k]).size < 2]


def require_varying(factors: np.ndarray, metric: str) -> None:
    """Raise ValueError naming ``metric`` when a factor column is constant."""
    constant = constant_factors(factors)
    if constant:
        raise ValueError(f"{metric}: factor(s) {constant} are constant; drop them first")


def top_two_gap(scores: np.ndarray) -> np.ndarray:
    """Per column of a (codes x factors) score matrix, best minus second-best code.

    MIG and SAP both reward a factor that one code captures much better than any other code;
    the gap needs two codes to compare.
    """
    if scores.shape[0] < 2:
        raise ValueError("the top-two gap needs at least two codes")
    ordered = np.sort(scores, axis=0)
    return ordered[-1] - ordered[-2]


def check_inputs(codes: np.ndarray, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes as finite float64 (N, d) and factors as int64 (N, K), or a ValueError saying why.

    Factors are indices on the dataset's factor grid; a float array is accepted when every value
    is a whole number (as after a round trip through a float format), anything else is refused
    rather than silently truncated.
    """
    codes = np.asarray(codes)
    factors = np.asarray(factors)
    if codes.ndim != 2:
        raise ValueError(f"codes must be a 2-D array (N, d), got shape {codes.shape}")
    if factors.ndim != 2:
        raise ValueError(f"factors must be a 2-D array (N, K), got shape {factors.shape}")
    if codes.shape[0] != factors.shape[0]:
        raise ValueError(
            f"codes have {codes.shape[0]} rows but factors have {factors.shape[0]}: "
            "row i of both must describe the same image"
        )
    if not np.issubdtype(codes.dtype, np.number) or np.issubdtype(codes.dtype, np.complexfloating):
        raise ValueError(f"codes must be real numbers, got dtype {codes.dtype}")
    codes = codes.astype(np.float64)
    if not np.isfinite(codes).all():
        raise ValueError("codes contain NaN or infinite values")
    if np.issubdtype(factors.dtype, np.integer):
        return codes, factors.astype(np.int64)
    if np.issubdtype(factors.dtype, np.floating) and np.isfinite(factors).all():
        if np.array_equal(factors, np.round(factors)):
            return codes, factors.astype(np.int64)
    raise ValueError(
        f"factors must be integer grid indices, got non-integer {factors.dtype} values"
    )
