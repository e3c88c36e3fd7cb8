"""BetaVAE score (Higgins et al. 2017) on disentanglement_lib's protocol, from a pool of codes.

One point: choose a factor k, draw 64 pairs of codes whose two members share f_k's value (the
first uniformly from the pool, the second from the rows sharing its f_k, see ``pool``) and take
the mean over pairs of |z1 - z2|, per code. A code that captures k alone is the same within each
pair, so a linear classifier can read k off the smallest entries. Logistic regression is trained
on 10,000 points and the score is its accuracy on 5,000 fresh points (and on the training ones).
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


def _points(
    codes: np.ndarray,
    pool: FactorPool,
    n_points: int,
    batch_size: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Features (n, d) mean |z1 - z2| over a batch of pairs sharing f_k, and labels k (n,)."""
    features = np.empty((n_points, codes.shape[1]))
    labels = pool.draw_factors(n_points, rng)
    step = chunk_size(batch_size, codes.shape[1])
    for start in range(0, n_points, step):
        fixed = labels[start : start + step, None]
        first = rng.integers(0, pool.n_rows, size=(len(fixed), batch_size))
        second = pool.draw_sharing(fixed, first, rng)
        features[start : start + step] = np.abs(codes[first] - codes[second]).mean(axis=1)
    return features, labels


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
    train_x, train_y = _points(codes, pool, n_train, batch_size, rng)
    model = reference_logistic_regression(seed).fit(train_x, train_y)
    eval_x, eval_y = _points(codes, pool, n_eval, batch_size, rng)
    return BetaVAEResult(
        train_accuracy=float(model.score(train_x, train_y)),
        eval_accuracy=float(model.score(eval_x, eval_y)),
        skipped_factors=pool.skipped,
    )
