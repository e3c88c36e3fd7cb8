"""Statistics for the findings: correlations with bootstrap CIs and permutation tests, and
t-based (Welch) intervals for contrasts of group means.

Written in numpy (scipy only for t quantiles) and vectorised over resamples, so
thousands of resamples of a 90-run study take well under a second. Every function is seeded and
returns NaN with a reason instead of raising when the data cannot support the estimate (too few
runs, a constant column), because a partial study must still produce its tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

METHODS = ("pearson", "spearman")
MIN_RUNS = 3


@dataclass(frozen=True)
class CorrelationTest:
    """A correlation estimate with its percentile bootstrap CI and two-sided permutation p-value."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_groups: int
    n_boot_valid: int
    note: str


def ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) along the last axis.

    Quadratic in the row length, which is the number of runs of a study (at most a few hundred).
    """
    less = (values[..., None, :] < values[..., :, None]).sum(axis=-1)
    equal = (values[..., None, :] == values[..., :, None]).sum(axis=-1)
    return less + (equal + 1) / 2.0


def _standardise(values: np.ndarray) -> np.ndarray:
    """z-scores along the last axis; a constant row becomes zeros (it carries no association)."""
    centred = values - values.mean(axis=-1, keepdims=True)
    scale = np.sqrt((centred**2).mean(axis=-1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, centred / np.where(scale > 0, scale, 1.0), 0.0)


def _transform(values: np.ndarray, method: str) -> np.ndarray:
    """What the correlation is computed on: values (Pearson) or ranks (Spearman), standardised."""
    return _standardise(ranks(values) if method == "spearman" else values)


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of ``x`` and ``y``; NaN where either row is constant."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    denominator = np.sqrt((xc**2).sum(axis=-1) * (yc**2).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 1e-12, (xc * yc).sum(axis=-1) / denominator, np.nan)


def _usable_groups(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> tuple[list[np.ndarray], list[str]]:
    """Indices of each group that can enter the estimate, and why the others cannot."""
    usable, reasons = [], []
    for group in dict.fromkeys(groups.tolist()):
        index = np.flatnonzero(groups == group)
        if len(index) < MIN_RUNS:
            reasons.append(f"{group}: {len(index)} run(s), need {MIN_RUNS}")
        elif np.ptp(x[index]) == 0 or np.ptp(y[index]) == 0:
            reasons.append(f"{group}: a constant column")
        else:
            usable.append(index)
    return usable, reasons


def correlation_test(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray | None = None,
    method: str = "pearson",
    n_boot: int = 2000,
    n_perm: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> CorrelationTest:
    """Correlation of ``x`` and ``y`` pooled over ``groups`` on within-group z-scores.

    With one group this is the ordinary Pearson or Spearman coefficient. With several, each group
    is standardised on its own (Spearman: its ranks are), so differences in level or scale between
    groups (datasets) cannot create a correlation. Bootstrap resamples and permutations both stay
    inside groups: the CI reflects run-to-run variation, and the null is "no association within
    any group". Non-finite pairs are dropped first.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {METHODS}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    groups = np.zeros(len(x), dtype=int) if groups is None else np.asarray(groups)
    finite = np.isfinite(x) & np.isfinite(y)
    x, y, groups = x[finite], y[finite], groups[finite]
    usable, reasons = _usable_groups(x, y, groups)
    n = int(sum(len(i) for i in usable))
    if not usable:
        note = "; ".join(reasons) if reasons else f"no run has both values (need {MIN_RUNS})"
        return CorrelationTest(np.nan, np.nan, np.nan, np.nan, n, 0, 0, note)

    rng = np.random.default_rng(seed)
    xs = [_transform(x[i], method) for i in usable]
    ys = [_transform(y[i], method) for i in usable]
    estimate = float(pearson_rows(np.concatenate(xs), np.concatenate(ys)))

    # Bootstrap: resample runs within each group, then re-rank and re-standardise them.
    boot_x, boot_y = [], []
    for index in usable:
        draw = index[rng.integers(0, len(index), size=(n_boot, len(index)))]
        boot_x.append(_transform(x[draw], method))
        boot_y.append(_transform(y[draw], method))
    boot = pearson_rows(np.concatenate(boot_x, axis=1), np.concatenate(boot_y, axis=1))
    boot = boot[np.isfinite(boot)]
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(boot, [tail, 100 - tail]) if len(boot) else (np.nan, np.nan)

    # Permutation: shuffle y within each group (ranks and z-scores permute along with it).
    shuffled = [rng.permuted(np.tile(values, (n_perm, 1)), axis=1) for values in ys]
    null = pearson_rows(np.tile(np.concatenate(xs), (n_perm, 1)), np.concatenate(shuffled, axis=1))
    exceed = np.sum(np.abs(null) >= abs(estimate) - 1e-12)
    p_value = (1 + exceed) / (1 + n_perm)

    if len(boot) < n_boot:
        reasons.append(f"{n_boot - len(boot)} degenerate bootstrap resamples dropped")
    note = "; ".join(reasons)
    return CorrelationTest(
        estimate, float(low), float(high), float(p_value), n, len(usable), len(boot), note
    )


def bootstrap_mean_ci(
    values: np.ndarray, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of a mean (used for paired differences); NaN below two values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_difference_ci(
    a: np.ndarray, b: np.ndarray, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of mean(a) - mean(b), resampling each sample on its own.

    NaN unless both samples hold at least two finite values.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    mean_a = a[rng.integers(0, len(a), size=(n_boot, len(a)))].mean(axis=1)
    mean_b = b[rng.integers(0, len(b), size=(n_boot, len(b)))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(mean_a - mean_b, [tail, 100 - tail])
    return float(low), float(high)


def finite_mean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN (without a warning) when there are none."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else np.nan


def finite_std(values: np.ndarray) -> float:
    """Sample standard deviation (ddof=1) of the finite values; NaN below two of them."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.std(ddof=1)) if len(finite) > 1 else np.nan


@dataclass(frozen=True)
class WelchContrast:
    """A linear contrast of independent group means with its Welch-Satterthwaite t interval.

    Fields are floats, or arrays when the means carry leading (simulation) axes. ``p_less`` is the
    one-sided p-value for the alternative "the contrast is below 0".
    """

    estimate: float | np.ndarray
    se: float | np.ndarray
    df: float | np.ndarray
    ci_low: float | np.ndarray
    ci_high: float | np.ndarray
    p_less: float | np.ndarray


def welch_contrast(
    weights: np.ndarray,
    means: np.ndarray,
    variances: np.ndarray,
    counts: np.ndarray,
    level: float = 0.95,
) -> WelchContrast:
    """sum_i w_i mean_i with a t interval that lets every group have its own variance.

    The standard error is sqrt(sum_i w_i^2 s_i^2 / n_i) and the degrees of freedom are
    Welch-Satterthwaite's, so the interval is valid with 2 or 3 runs per group where a bootstrap
    of 2 runs is only [min, max]. ``weights`` (w_i) and ``counts`` (n_i) run along the last axis of
    ``means`` and ``variances`` (sample variances, ddof=1), which may carry leading axes; two
    groups with weights (1, -1) give Welch's two-sample interval. Interval and p-value are NaN
    where a weighted group has fewer than 2 runs or the standard error is 0 (no run-to-run
    variation to scale the difference by).
    """
    weights = np.asarray(weights, dtype=float)
    counts = np.broadcast_to(np.asarray(counts, dtype=float), np.shape(means))
    estimate = (weights * np.asarray(means, dtype=float)).sum(axis=-1)
    used = weights != 0
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = np.where(used, weights**2 * np.asarray(variances, dtype=float) / counts, 0.0)
        variance = parts.sum(axis=-1)
        df = variance**2 / np.where(used, parts**2 / (counts - 1), 0.0).sum(axis=-1)
        valid = ((counts >= 2) | ~used).all(axis=-1) & (variance > 0) & np.isfinite(variance)
        se = np.where(valid, np.sqrt(variance), np.nan)
        df = np.where(valid, df, np.nan)
        half = stats.t.ppf(0.5 + level / 2, df) * se
        p_less = stats.t.cdf(estimate / se, df)
    result = (estimate, se, df, estimate - half, estimate + half, p_less)
    if np.ndim(estimate) == 0:
        result = tuple(float(value) for value in result)
    return WelchContrast(*result)
