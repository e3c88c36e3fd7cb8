"""SAP score (Kumar et al. 2018) on disentanglement_lib's protocol for discrete factors.

For every (code, factor) pair a linear classifier predicts the factor from that single code
(LinearSVC, C=0.01, balanced class weights, as disentanglement_lib with continuous_factors=False)
and is scored by its accuracy on held-out codes (10,000 train / 5,000 test in the reference). SAP
is the mean over factors of the gap between the best and second-best code: high when each factor
is readable from one code only. A single linear threshold cannot isolate the middle values of a
many-valued factor, so accuracies, and SAP with them, stay well below 1 even for perfect codes of
such factors; SAP compares models, it is not an absolute scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from sklearn.svm import LinearSVC

from vaecausal.metrics.common import require_varying, top_two_gap


@dataclass(frozen=True)
class SAPResult:
    sap: float
    scores: np.ndarray  # (n_codes, n_factors) test accuracy of each single-code classifier


def _factor_scores(
    codes_train: np.ndarray,
    y_train: np.ndarray,
    codes_test: np.ndarray,
    y_test: np.ndarray,
    seed: int,
) -> np.ndarray:
    """Test accuracy of a classifier of one factor on each code alone, shape (d,)."""
    scores = np.empty(codes_train.shape[1])
    for i in range(codes_train.shape[1]):
        classifier = LinearSVC(C=0.01, class_weight="balanced", random_state=seed)
        classifier.fit(codes_train[:, i : i + 1], y_train)
        scores[i] = classifier.score(codes_test[:, i : i + 1], y_test)
    return scores


def sap(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    seed: int = 0,
    n_jobs: int = 1,
) -> SAPResult:
    """SAP of codes (N, d) against discrete factors (N, K); factors run in parallel."""
    require_varying(factors_train, "SAP")
    columns = Parallel(n_jobs=n_jobs)(
        delayed(_factor_scores)(
            codes_train, factors_train[:, k], codes_test, factors_test[:, k], seed
        )
        for k in range(factors_train.shape[1])
    )
    scores = np.stack(columns, axis=1)
    return SAPResult(float(top_two_gap(scores).mean()), scores)
