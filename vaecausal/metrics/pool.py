"""Sampling "images that share factor k's value" from a pool of codes, for FactorVAE and BetaVAE.

The reference protocols of both scores draw fresh images from the dataset with one factor held
fixed and encode them. At metric time this pipeline has no live encoder: its inputs are a pool
of codes (N, d) with their factor indices (N, K), drawn uniformly from the factor grid. Drawing
rows of the pool that share f_k's value (with replacement) stands in for "fix f_k, sample the
rest": because the pool is a uniform sample of the grid, the other factors of those rows are
(up to sampling noise of the pool) uniform and independent of f_k, as in the reference.
"""

from __future__ import annotations

import numpy as np

from vaecausal.metrics.common import constant_factors


class FactorPool:
    """Rows of a factor table grouped by each factor's value, for vectorised matched draws."""

    def __init__(self, factors: np.ndarray) -> None:
        n_rows, n_factors = factors.shape
        self.n_rows, self.n_factors = n_rows, n_factors
        self.skipped = tuple(constant_factors(factors))
        # Factors constant in the pool cannot be told apart from "fixed": they are never chosen.
        self.varying = np.array([k for k in range(n_factors) if k not in self.skipped], np.int64)
        if len(self.varying) < 2:
            raise ValueError(
                "FactorVAE and BetaVAE scores classify which factor was held fixed: they need "
                f"at least two factors that vary in the pool, got {len(self.varying)}"
            )
        # Group g of factor k is one of its values; groups of all factors are numbered
        # consecutively and sorted_rows[start[g] : start[g] + count[g]] are the rows in group g.
        sorted_rows, starts, counts = [], [], []
        self._group = np.empty((n_rows, n_factors), np.int64)
        offset = 0
        for k in range(n_factors):
            values, inverse, count = np.unique(
                factors[:, k], return_inverse=True, return_counts=True
            )
            order = np.argsort(inverse, kind="stable")
            sorted_rows.append(order)
            starts.append(k * n_rows + np.concatenate([[0], np.cumsum(count)[:-1]]))
            counts.append(count)
            self._group[:, k] = offset + inverse
            offset += len(values)
        self._sorted_rows = np.concatenate(sorted_rows)
        self._start = np.concatenate(starts)
        self._count = np.concatenate(counts)

    def draw_sharing(
        self, factor: np.ndarray, anchors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """For each anchor row, a uniformly drawn row with the same value of ``factor``.

        ``factor`` broadcasts against ``anchors``; the result has their broadcast shape. A row
        may be drawn more than once, and may be the anchor itself.
        """
        group = self._group[anchors, factor]
        return self._sorted_rows[self._start[group] + rng.integers(0, self._count[group])]

    def draw_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` factor indices drawn uniformly from the varying factors (the held-fixed one)."""
        return rng.choice(self.varying, size=n)


def chunk_size(batch_size: int, n_codes: int, budget: int = 1 << 22) -> int:
    """How many samples of ``batch_size`` codes of width ``n_codes`` to gather at once.

    Gathering every batch at once would hold n x batch x d floats (over 300 MB for 640-wide
    VQ-VAE codes); chunks of about ``budget`` floats keep it to tens of MB.
    """
    return max(1, budget // (batch_size * n_codes))
