"""The logistic regression of disentanglement_lib's BetaVAE score and explicitness.

disentanglement_lib calls ``LogisticRegression()`` with the defaults of scikit-learn 0.20-0.21,
which it was written against: liblinear, one-vs-rest, C=1, and probabilities normalised across
the per-class models. Current scikit-learn defaults to a multinomial lbfgs model instead, which
changes explicitness (AUCs of the per-class probabilities), so the old defaults are spelled out.
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier


def reference_logistic_regression(seed: int) -> OneVsRestClassifier:
    """One-vs-rest liblinear logistic regression (C=1), seeded, as the reference ran it."""
    return OneVsRestClassifier(LogisticRegression(solver="liblinear", random_state=seed))
