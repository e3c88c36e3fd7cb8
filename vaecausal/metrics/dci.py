"""DCI (Eastwood & Williams 2018) on the reference protocol of disentanglement_lib.

One gradient-boosted tree classifier per factor (scikit-learn defaults, fixed random_state) is
trained on the codes; the importance matrix R[i, k] = |feature_importances_| of code i for factor
k. Disentanglement = sum_i rho_i (1 - H_K(P_i.)), completeness = sum_k rho_k (1 - H_d(P_.k)),
informativeness = mean test accuracy. The per-factor classifiers run in parallel over ``n_jobs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from sklearn.ensemble import GradientBoostingClassifier


@dataclass(frozen=True)
class DCIResult:
    disentanglement: float
    completeness: float
    informativeness: float
    informativeness_train: float
    importance: np.ndarray  # (n_codes, n_factors)


def _fit_factor(
    codes_train: np.ndarray,
    y_train: np.ndarray,
    codes_test: np.ndarray,
    y_test: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, float, float]:
    model = GradientBoostingClassifier(random_state=seed)
    model.fit(codes_train, y_train)
    return (
        np.abs(model.feature_importances_),
        float(model.score(codes_train, y_train)),
        float(model.score(codes_test, y_test)),
    )


def normalised_entropy(p: np.ndarray, axis: int, base: int) -> np.ndarray:
    """Entropy of the distributions along ``axis`` (normalised to sum 1), in log base ``base``."""
    p = p + 1e-11
    p = p / p.sum(axis=axis, keepdims=True)
    return -(p * np.log(p)).sum(axis=axis) / np.log(base)


def scores_from_importance(importance: np.ndarray) -> tuple[float, float]:
    """(disentanglement, completeness) of an importance matrix (codes x factors)."""
    n_codes, n_factors = importance.shape
    total = importance.sum()
    if total == 0:
        return 0.0, 0.0
    # With a single factor (or code) there is nothing to be spread over: the score is 1.
    per_code = (
        1.0 - normalised_entropy(importance, axis=1, base=n_factors)
        if n_factors > 1
        else np.ones(n_codes)
    )
    per_factor = (
        1.0 - normalised_entropy(importance, axis=0, base=n_codes)
        if n_codes > 1
        else np.ones(n_factors)
    )
    code_weight = importance.sum(axis=1) / total
    factor_weight = importance.sum(axis=0) / total
    return float(per_code @ code_weight), float(per_factor @ factor_weight)


def dci(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    seed: int = 0,
    n_jobs: int = 1,
) -> DCIResult:
    """DCI of codes (N, d) against discrete factors (N, K)."""
    fits = Parallel(n_jobs=n_jobs)(
        delayed(_fit_factor)(codes_train, factors_train[:, k], codes_test, factors_test[:, k], seed)
        for k in range(factors_train.shape[1])
    )
    importance = np.stack([f[0] for f in fits], axis=1)
    disentanglement, completeness = scores_from_importance(importance)
    return DCIResult(
        disentanglement=disentanglement,
        completeness=completeness,
        informativeness=float(np.mean([f[2] for f in fits])),
        informativeness_train=float(np.mean([f[1] for f in fits])),
        importance=importance,
    )
