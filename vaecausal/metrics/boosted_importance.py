"""The reference DCI importance, read off a fitted HistGradientBoostingClassifier.

scikit-learn's GradientBoostingClassifier (the reference booster of DCI) fits each tree to the
residuals y - p of the current model and scores a split on code i by how much it lowers their
squared error; feature_importances_ sums that decrease per code. The histogram booster has no
importances, and the split gains it keeps are second-order (Newton) gains that divide by the
hessians p(1 - p): in confidently classified regions they are large for splits that barely move
the residuals, which hands irrelevant codes far more importance than the reference gives them
(DCI D and C 0.13-0.15 lower on 1,000-3,000 noisy codes equal to the factors). So the trees are
replayed on the training codes, round by round, with the residuals each tree was fitted to, and
the reference's squared-error decrease is summed per code.

The fitted trees are read from ``_predictors``, a private attribute (stable in the pinned
scikit-learn; ``tests/metrics/test_dci.py`` checks that the replay reproduces predict_proba).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier


def _probabilities(raw: np.ndarray) -> np.ndarray:
    """Class-1 probability of a binary booster (one column) or softmax over the classes."""
    if raw.shape[1] == 1:
        return 1.0 / (1.0 + np.exp(-raw))
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _node_totals(
    nodes: np.ndarray, codes: np.ndarray, residual: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(leaf of each sample, residual sum per node, sample count per node) of one tree.

    Every sample takes one step per level (a leaf points to itself, so the walk is a fixed
    number of whole-array steps instead of shrinking masks), then the leaves' totals are added
    up the tree, deepest level first. The node fields are copied out of the structured array
    first: gathering from its strided fields is several times slower.
    """
    is_leaf = nodes["is_leaf"].astype(bool)
    depth = nodes["depth"].astype(np.intp)
    # children[2 j] / children[2 j + 1]: where node j sends a sample with code <= / > threshold.
    pairs = np.column_stack([nodes["left"], nodes["right"]]).astype(np.intp)
    pairs[is_leaf] = np.flatnonzero(is_leaf)[:, None]
    children = pairs.ravel()
    threshold = np.where(is_leaf, np.inf, nodes["num_threshold"])
    feature = nodes["feature_idx"].astype(np.intp)
    flat = codes.ravel()
    row_start = np.arange(len(codes)) * codes.shape[1]
    node = np.zeros(len(codes), np.intp)
    for _ in range(depth.max()):
        node = children[2 * node + (flat[row_start + feature[node]] > threshold[node])]
    sums = np.bincount(node, weights=residual, minlength=len(nodes))
    counts = np.bincount(node, minlength=len(nodes)).astype(float)
    for level in range(depth.max() - 1, -1, -1):
        parents = np.flatnonzero(~is_leaf & (depth == level))
        sums[parents] = sums[pairs[parents]].sum(axis=1)
        counts[parents] = counts[pairs[parents]].sum(axis=1)
    return node, sums, counts


def replay(
    model: HistGradientBoostingClassifier, codes: np.ndarray, y: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per tree: its nodes, residual sum and sample count per node, and the raw scores.

    The raw scores (N, classes, or N, 1 for a binary booster) are one array updated in place:
    after the last tree they are the model's decision function on ``codes``.

    Starts from the class frequencies of ``y`` (the booster's baseline) and adds each tree's
    leaf values (which include the learning rate); all trees of a round are fitted to the
    residuals at the start of that round, as the booster does.
    """
    onehot = (y[:, None] == model.classes_[None, :]).astype(float)
    if len(model.classes_) == 2:  # a binary booster grows one tree per round, for class 1
        onehot = onehot[:, 1:]
        prior = onehot.mean()
        raw = np.full((len(y), 1), np.log(prior / (1.0 - prior)))
    else:
        raw = np.tile(np.log(onehot.mean(axis=0)), (len(y), 1))
    for round_trees in model._predictors:
        residual = onehot - _probabilities(raw)
        for k, tree in enumerate(round_trees):
            leaf, sums, counts = _node_totals(tree.nodes, codes, residual[:, k])
            raw[:, k] += tree.nodes["value"][leaf]
            yield tree.nodes, sums, counts, raw


def squared_error_importance(
    model: HistGradientBoostingClassifier, codes: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Importance of each code (summing to 1) as feature_importances_ defines it.

    ``codes`` and ``y`` must be the training data the model was fitted on.
    """
    importance = np.zeros(codes.shape[1])
    for nodes, sums, counts, _ in replay(model, codes, y):
        split = np.flatnonzero(~nodes["is_leaf"].astype(bool))
        left, right = nodes["left"][split], nodes["right"][split]
        decrease = (
            sums[left] ** 2 / counts[left]
            + sums[right] ** 2 / counts[right]
            - sums[split] ** 2 / counts[split]
        )
        np.add.at(importance, nodes["feature_idx"][split], decrease)
    total = importance.sum()
    return importance / total if total > 0 else importance
