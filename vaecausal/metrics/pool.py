"""Sampling "images that share factor k's value" from a pool of codes, for FactorVAE and BetaVAE.

The reference protocols of both scores draw fresh images from the dataset with one factor held
fixed and encode them. At metric time this pipeline has no live encoder: its inputs are a pool
of codes (N, d) with their factor indices (N, K), drawn uniformly from the factor grid. Drawing
rows of the pool that share f_k's value stands in for "fix f_k, sample the rest": because the
pool is a uniform sample of the grid, the other factors of those rows are (up to sampling noise
of the pool) uniform and independent of f_k, as in the reference.

The rows of one draw (a FactorVAE batch, the pairs of a BetaVAE point) are distinct, as fresh
images would be: a random subset of a group's rows is an independent sample of the group, while
drawing with replacement repeats rows, which makes within-batch statistics noisier than the
reference's and biased the FactorVAE score low on small pools (by about 0.06 at 100 rows per
factor value). A group with fewer rows than a draw needs falls back to drawing with replacement,
and the scores count the draws that did.
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
    ) -> tuple[np.ndarray, np.ndarray]:
        """One draw per row of ``anchors`` (n, m): pool rows (n, m), row [i, j] sharing
        ``factor``'s value with ``anchors[i, j]``, and which draws (n,) had to repeat rows.

        ``factor`` broadcasts against ``anchors``, which only choose the groups (a row drawn may
        be an anchor). The rows of one draw are distinct: those of one group are a uniform random
        subset of it, in random order over the draw's items in that group, as fresh images would
        be. A group with fewer rows than the draw has items in it cannot give distinct rows; those
        items are drawn with replacement (each uniform in the group) and the draw is flagged.
        """
        groups = np.broadcast_to(self._group[anchors, factor], anchors.shape)
        # Floyd's algorithm (Bentley & Floyd 1987) within each group: of a group's ``size``
        # items, the t-th (from 0) takes an offset uniform in [0, count - size + t], or
        # count - size + t when that one is taken already; the sets come out uniform. Sorting the
        # items by group with random tie-breaks takes each group's items in random order (so
        # which item gets which row is uniform too) and lets one loop over the m items,
        # vectorised over draws, serve every group: positions of different groups never clash.
        order = np.argsort(groups + rng.random(groups.shape), axis=1)
        sorted_groups = np.take_along_axis(groups, order, axis=1)
        rank, size = _run_ranks(sorted_groups)
        count, start = self._count[sorted_groups], self._start[sorted_groups]
        enough = count >= size
        bound = np.where(enough, count - size + rank + 1, count)
        # Item-major (m, n) arrays, so that each step compares whole contiguous rows: several
        # times faster than reducing over the short rows of the draw-major layout.
        positions = (start + rng.integers(0, bound)).T.copy()
        fallback, distinct = (start + bound - 1).T.copy(), enough.T.copy()
        for j in range(1, anchors.shape[1]):
            taken = (positions[:j] == positions[j]).any(axis=0) & distinct[j]
            positions[j] = np.where(taken, fallback[j], positions[j])
        rows = np.empty_like(order)
        np.put_along_axis(rows, order, self._sorted_rows[positions.T], axis=1)
        return rows, ~enough.all(axis=1)

    def draw_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` factor indices drawn uniformly from the varying factors (the held-fixed one)."""
        return rng.choice(self.varying, size=n)


def _run_ranks(sorted_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per item of rows sorted by group (n, m): its rank among its group's items and their count."""
    n, m = sorted_groups.shape
    column = np.broadcast_to(np.arange(m), (n, m))
    first = np.ones((n, m), bool)
    first[:, 1:] = sorted_groups[:, 1:] != sorted_groups[:, :-1]
    last = np.ones((n, m), bool)
    last[:, :-1] = first[:, 1:]
    run_start = np.maximum.accumulate(np.where(first, column, 0), axis=1)
    run_end = np.minimum.accumulate(np.where(last, column, m)[:, ::-1], axis=1)[:, ::-1]
    return column - run_start, run_end - run_start + 1


def chunk_size(batch_size: int, n_codes: int, budget: int = 1 << 22) -> int:
    """How many samples of ``batch_size`` codes of width ``n_codes`` to gather at once.

    Gathering every batch at once would hold n x batch x d floats (over 300 MB for 640-wide
    VQ-VAE codes); chunks of about ``budget`` floats keep it to tens of MB.
    """
    return max(1, budget // (batch_size * n_codes))
