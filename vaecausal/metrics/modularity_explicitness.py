"""Modularity and explicitness (Ridgeway & Mozer 2018) on disentanglement_lib's protocol.

Modularity asks whether each code depends on at most one factor. From the mutual information
matrix m (codes x factors, 20-bin histograms, see ``information``): for code i with best factor
max_k m_ik^2 = theta_i, delta_i = (sum_k m_ik^2 - theta_i) / (theta_i (K - 1)) and the code's
modularity is 1 - delta_i (0 for a code with no information); the score is the mean over codes.

Explicitness asks whether each factor value can be read linearly off the whole code: codes are
standardised with the training mean and std, a one-vs-rest logistic regression predicts each
factor (see ``classifiers``) and its score is the mean over the factor's values of the ROC AUC of
that value's predicted probability; explicitness is the mean over factors (those with a defined
AUC), on the training and on the test codes (10,000 / 5,000 in the reference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score

from vaecausal.metrics.classifiers import reference_logistic_regression
from vaecausal.metrics.common import require_varying
from vaecausal.metrics.information import histogram_discretise, mutual_information


@dataclass(frozen=True)
class ModularityExplicitnessResult:
    modularity: float
    explicitness_train: float
    explicitness_test: float
    mutual_information: np.ndarray  # (n_codes, n_factors), nats


def modularity(information: np.ndarray) -> float:
    """Mean modularity of the codes of a mutual information matrix (codes x factors)."""
    n_factors = information.shape[1]
    if n_factors < 2:
        raise ValueError("modularity compares a code's factors: it needs at least two factors")
    squared = information**2
    best = squared.max(axis=1)
    informative = best > 0
    per_code = np.zeros(len(best))
    deviation = (squared.sum(axis=1) - best)[informative] / (best[informative] * (n_factors - 1))
    per_code[informative] = 1.0 - deviation
    return float(per_code.mean())


def _mean_auc(classes: np.ndarray, probabilities: np.ndarray, y: np.ndarray) -> float:
    """Mean over factor values of the ROC AUC of that value's probability.

    A value absent from ``y`` (or making up all of it) has no AUC and is left out; the reference
    would fail there instead. NaN when no value has one (``y`` holds only values the classifier
    never saw in training).
    """
    aucs = [
        roc_auc_score(y == value, probabilities[:, j])
        for j, value in enumerate(classes)
        if 0 < np.count_nonzero(y == value) < len(y)
    ]
    return float(np.mean(aucs)) if aucs else math.nan


def _mean_over_factors(scores: np.ndarray) -> float:
    """Mean of the factors' scores that are defined; NaN when none is."""
    defined = scores[~np.isnan(scores)]
    return float(defined.mean()) if len(defined) else math.nan


def _explicitness_of_factor(
    codes_train: np.ndarray,
    y_train: np.ndarray,
    codes_test: np.ndarray,
    y_test: np.ndarray,
    seed: int,
) -> tuple[float, float]:
    model = reference_logistic_regression(seed).fit(codes_train, y_train)
    return (
        _mean_auc(model.classes_, model.predict_proba(codes_train), y_train),
        _mean_auc(model.classes_, model.predict_proba(codes_test), y_test),
    )


def modularity_explicitness(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    n_bins: int = 20,
    seed: int = 0,
    n_jobs: int = 1,
) -> ModularityExplicitnessResult:
    """Modularity (on the training codes) and explicitness of codes against discrete factors."""
    require_varying(factors_train, "modularity/explicitness")
    require_varying(factors_test, "explicitness (test codes)")  # an AUC needs two classes
    information = mutual_information(histogram_discretise(codes_train, n_bins), factors_train)
    mean = codes_train.mean(axis=0)
    std = codes_train.std(axis=0)
    std[std == 0] = 1.0  # a constant code stays 0 instead of dividing by zero
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_explicitness_of_factor)(
            (codes_train - mean) / std,
            factors_train[:, k],
            (codes_test - mean) / std,
            factors_test[:, k],
            seed,
        )
        for k in range(factors_train.shape[1])
    )
    train, test = np.array(scores).T
    return ModularityExplicitnessResult(
        modularity=modularity(information),
        explicitness_train=_mean_over_factors(train),
        explicitness_test=_mean_over_factors(test),
        mutual_information=information,
    )
