"""Discrete mutual information between binned codes and factors, shared by MIG and modularity.

disentanglement_lib estimates I(code; factor) by binning each code into equal-width histogram
bins (20 by default) and counting: a plug-in estimate in nats from scikit-learn's
mutual_info_score. Both MIG and Ridgeway & Mozer's modularity are defined on this matrix, so it
is computed here once, the same way for both.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mutual_info_score


def histogram_discretise(codes: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index (1..n_bins) of every value of every code column, per-column equal-width bins.

    As disentanglement_lib: values are digitised against the left edges of ``np.histogram``'s
    bins, so the column's maximum falls into the last bin rather than a bin of its own.
    """
    binned = np.empty(codes.shape, dtype=np.int64)
    for i in range(codes.shape[1]):
        edges = np.histogram_bin_edges(codes[:, i], bins=n_bins)
        binned[:, i] = np.digitize(codes[:, i], edges[:-1])
    return binned


def mutual_information(binned_codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Plug-in mutual information (nats) of every code with every factor, shape (d, K)."""
    information = np.zeros((binned_codes.shape[1], factors.shape[1]))
    for i, k in np.ndindex(information.shape):
        information[i, k] = mutual_info_score(factors[:, k], binned_codes[:, i])
    return information


def factor_entropy(factors: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each factor column, H(f) = I(f; f)."""
    return np.array([mutual_info_score(f, f) for f in factors.T])
