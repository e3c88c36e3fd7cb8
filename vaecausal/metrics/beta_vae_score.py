"""BetaVAE score (Higgins et al. 2017) on disentanglement_lib's protocol, from a pool of codes.

One point: choose a factor k, draw 64 pairs of codes whose two members share f_k's value and take
the mean over pairs of |z1 - z2|, per code. A code that captures k alone is the same within each
pair, so a linear classifier can read k off the smallest entries. Logistic regression is trained
on 10,000 points and the score is its accuracy on 5,000 fresh points (and on the training ones).

Pair j's value of f_k is that of a uniformly drawn row (its anchor), so values come as often as
in the pool; both members are then drawn from the rows with that value (see ``pool``), and the
128 rows of a point are distinct, as fresh images would be: no row is paired with itself or used
twice. Where a value has fewer rows than its pairs need, its members are drawn with replacement
and the point is counted in ``points_with_replacement``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaecausal.metrics.classifiers import reference_logistic_regression
from vaecausal.metrics.pool import FactorPool, chunk_size


@dataclass(frozen=True)
class BetaVAEResult:
    train_accuracy: float
    eval_accuracy: float
    skipped_factors: tuple[int, ...]  # constant in the pool, never held fixed
    points_with_replacement: int  # train and eval points whose rows could not all be distinct


def _points(
    codes: np.ndarray,
    pool: FactorPool,
    n_points: int,
    batch_size: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Features (n, d) mean |z1 - z2| over a batch of pairs sharing f_k, labels k (n,), and how
    many points were drawn with replacement (a group too small for distinct rows)."""
    features = np.empty((n_points, codes.shape[1]))
    labels = pool.draw_factors(n_points, rng)
    replaced = 0
    step = chunk_size(batch_size, codes.shape[1])
    for start in range(0, n_points, step):
        fixed = labels[start : start + step, None]
        anchors = rng.integers(0, pool.n_rows, size=(len(fixed), batch_size))
        # Both members of pair j come from anchor j's group: 2 x batch_size distinct rows.
        rows, with_replacement = pool.draw_sharing(fixed, np.tile(anchors, 2), rng)
        first, second = rows[:, :batch_size], rows[:, batch_size:]
        features[start : start + step] = np.abs(codes[first] - codes[second]).mean(axis=1)
        replaced += int(with_replacement.sum())
    return features, labels, replaced


def beta_vae_score(
    codes: np.ndarray,
    factors: np.ndarray,
    seed: int = 0,
    batch_size: int = 64,
    n_train: int = 10_000,
    n_eval: int = 5_000,
) -> BetaVAEResult:
    """BetaVAE score of a pool of codes (N, d) with factor indices (N, K), seeded."""
    rng = np.random.default_rng(seed)
    pool = FactorPool(factors)
    train_x, train_y, train_replaced = _points(codes, pool, n_train, batch_size, rng)
    model = reference_logistic_regression(seed).fit(train_x, train_y)
    eval_x, eval_y, eval_replaced = _points(codes, pool, n_eval, batch_size, rng)
    return BetaVAEResult(
        train_accuracy=float(model.score(train_x, train_y)),
        eval_accuracy=float(model.score(eval_x, eval_y)),
        skipped_factors=pool.skipped,
        points_with_replacement=train_replaced + eval_replaced,
    )
