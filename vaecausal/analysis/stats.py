"""Statistics for the findings: correlations with permutation tests, one-sided
Welch tests, Welch t intervals of contrasts of group means, and the Behrens-Fisher distribution
for comparing two small samples' means.

Written in numpy and scipy (both in the reporting environment) and vectorised over resamples, so
thousands of resamples of a 90-run study take well under a second. Every function is seeded and
returns NaN with a reason instead of raising when the data cannot support the estimate (too few
runs, a constant column), because a partial study must still produce its tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

METHODS = ("pearson", "spearman")
ALTERNATIVES = ("two-sided", "less", "greater")
MIN_UNITS = 3
EXACT_LIMIT = 40_320  # 8!: up to this many arrangements of unit labels, enumerate them all
# Midpoints of the quadrature that integrates the Behrens-Fisher distribution (error < 1e-4).
BEHRENS_FISHER_GRID = 2000


@dataclass(frozen=True)
class UnitCorrelation:
    """A correlation of unit-level values pooled over groups, with a permutation test of units.

    ``p_floor`` is the smallest p-value these units can give at all (the p of values that agree
    perfectly), so a reader sees whether a non-significant p could have been significant.
    ``loo_low``/``loo_high`` is the range of the estimate when any one unit is left out of every
    group: with a handful of units a bootstrap interval over them is not informative, but this
    shows whether a single unit drives the estimate. ``p_value`` and ``p_floor`` are for the
    ``alternative``; ``p_opposite`` is the one-sided p-value of the other direction (NaN for a
    two-sided test).
    """

    estimate: float
    p_value: float
    p_floor: float
    p_opposite: float
    alternative: str
    loo_low: float
    loo_high: float
    n_units: int
    n_groups: int
    n_permutations: int
    exact: bool


def ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) along the last axis.

    Quadratic in the row length, which is the number of runs of a study (at most a few hundred).
    NaN entries are ignored by the others' ranks (their own rank is meaningless).
    """
    less = (values[..., None, :] < values[..., :, None]).sum(axis=-1)
    equal = (values[..., None, :] == values[..., :, None]).sum(axis=-1)
    return less + (equal + 1) / 2.0


def _varies(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Whether each group (last axis = units) holds two different present values."""
    high = np.where(present, values, -np.inf).max(axis=-1)
    low = np.where(present, values, np.inf).min(axis=-1)
    return high > low


def entering_cells(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The (group, unit) cells of ``x``, ``y`` (shape (..., groups, units), NaN where absent) that
    enter a pooled correlation: both values finite, in a group with at least MIN_UNITS such units
    and no constant column (a group without spread carries no association)."""
    present = np.isfinite(x) & np.isfinite(y)
    usable = (present.sum(axis=-1) >= MIN_UNITS) & _varies(x, present) & _varies(y, present)
    return present & usable[..., None]


def exclusion_reasons(x: np.ndarray, y: np.ndarray, groups: Sequence[str], noun: str) -> list[str]:
    """Why each group of 2-D ``x``, ``y`` that cannot enter a pooled correlation is left out."""
    present = np.isfinite(x) & np.isfinite(y)
    reasons = []
    for group, cells, row_x, row_y in zip(groups, present, x, y, strict=True):
        if cells.sum() < MIN_UNITS:
            reasons.append(f"{group}: {cells.sum()} {noun}(s), need {MIN_UNITS}")
        elif not (_varies(row_x, cells) and _varies(row_y, cells)):
            reasons.append(f"{group}: a constant column")
    return reasons


def _scores(values: np.ndarray, cells: np.ndarray, method: str) -> np.ndarray:
    """Within-group z-scores (population SD) of the values (Pearson) or of their ranks among the
    group's entering cells (Spearman); 0 outside the entering cells."""
    filled = np.where(cells, values, np.nan)
    if method == "spearman":
        filled = ranks(filled)
    count = np.maximum(cells.sum(axis=-1, keepdims=True), 1)
    mean = np.where(cells, filled, 0.0).sum(axis=-1, keepdims=True) / count
    centred = np.where(cells, filled - mean, 0.0)
    scale = np.sqrt((centred**2).sum(axis=-1, keepdims=True) / count)
    return centred / np.where(scale > 0, scale, 1.0)


def _scored(x: np.ndarray, y: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {METHODS}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cells = entering_cells(x, y)
    return _scores(x, cells, method), _scores(y, cells, method), cells


def _pooled(zx: np.ndarray, zy: np.ndarray, cells: np.ndarray) -> np.ndarray:
    n = cells.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (zx * zy).sum(axis=(-2, -1)) / n, np.nan)


def pooled_correlation(x: np.ndarray, y: np.ndarray, method: str = "pearson") -> np.ndarray:
    """Pearson or Spearman correlation of ``x`` and ``y`` (shape (..., groups, units), NaN where
    a unit is absent), pooled over groups on within-group z-scores (Spearman: of ranks).

    With one group this is the ordinary coefficient; with several it is the mean of the groups'
    coefficients weighted by their units, so differences in level or scale between groups
    (datasets) cannot create a correlation. Groups that cannot enter (``entering_cells``) are left
    out; NaN where none is left.
    """
    return _pooled(*_scored(x, y, method))


def label_permutations(
    cells: np.ndarray, n_perm: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Arrangements of the unit labels (columns of the 2-D ``cells``), one per row, that keep the
    set of units of every group: units present in exactly the same groups are exchanged, the same
    way in every group, and the others stay. All of them (identity included) when there are at
    most EXACT_LIMIT, else ``n_perm`` random ones; the flag says which.
    """
    patterns: dict[bytes, list[int]] = {}
    for unit, column in enumerate(cells.T):
        if column.any():
            patterns.setdefault(column.tobytes(), []).append(unit)
    classes = list(patterns.values())
    identity = np.arange(cells.shape[1])
    if math.prod(math.factorial(len(c)) for c in classes) <= EXACT_LIMIT:
        blocks = [np.array(list(itertools.permutations(c)), dtype=int) for c in classes]
        choice = np.indices([len(b) for b in blocks]).reshape(len(blocks), -1)
        arrangements = np.tile(identity, (choice.shape[1], 1))
        for members, block, picked in zip(classes, blocks, choice, strict=True):
            arrangements[:, members] = block[picked]
        return arrangements, True
    arrangements = np.tile(identity, (n_perm, 1))
    for members in classes:
        arrangements[:, members] = rng.permuted(np.tile(members, (n_perm, 1)), axis=1)
    return arrangements, False


def _permutation_p(
    observed: np.ndarray, null: np.ndarray, exact: bool, alternative: str
) -> np.ndarray:
    """Share of arrangements at least as extreme in the ``alternative``'s direction (both
    directions for 'two-sided'); a random sample of them gets the +1 correction (Phipson & Smyth
    2010), since the observed arrangement is not among them."""
    if alternative == "two-sided":
        extreme = (np.abs(null) >= np.abs(observed)[..., None] - 1e-12).sum(axis=-1)
    elif alternative == "less":
        extreme = (null <= observed[..., None] + 1e-12).sum(axis=-1)
    else:
        extreme = (null >= observed[..., None] - 1e-12).sum(axis=-1)
    return extreme / null.shape[-1] if exact else (1 + extreme) / (1 + null.shape[-1])


def _arranged(
    x: np.ndarray, y: np.ndarray, method: str, arrangements: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed pooled correlation, the one under each arrangement of y's unit labels, and the
    entering cells."""
    zx, zy, cells = _scored(x, y, method)
    # cross[k, l] = sum over groups of zx[g, k] zy[g, l]: an arrangement pairs k with it[k].
    cross = np.einsum("...gk,...gl->...kl", zx, zy)
    units = np.arange(cross.shape[-1])
    n = cells.sum(axis=(-2, -1))[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        null = cross[..., units, arrangements].sum(axis=-1) / n
    return _pooled(zx, zy, cells), null, cells


def permutation_test(
    x: np.ndarray,
    y: np.ndarray,
    method: str,
    arrangements: np.ndarray,
    exact: bool,
    alternative: str = "two-sided",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled correlation, permutation p for the ``alternative`` ('two-sided', 'less': the
    correlation is negative, 'greater') and smallest reachable p over the leading axes of ``x``,
    ``y`` (shape (..., groups, units), NaN where absent).

    The null is that y's unit labels are exchangeable, with the same arrangement in every group:
    units (architectures) whose effects carry across groups (datasets) make the groups' values
    dependent, and arranging each group on its own would then understate the null's spread.
    ``arrangements`` (from ``label_permutations``) must keep the entering cells of every item, so
    z-scores and ranks move with the labels unchanged. The smallest reachable p is the p of
    values that agree perfectly in the alternative's direction (y = x, or y = -x for 'less'):
    where it is not below a level, no data on these units can be significant at that level.
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative {alternative!r} is not one of {ALTERNATIVES}")
    observed, null, cells = _arranged(x, y, method, arrangements)
    agreeing = np.where(cells, x, np.nan)
    sign = -1.0 if alternative == "less" else 1.0
    best, best_null, _ = _arranged(agreeing, sign * agreeing, method, arrangements)
    defined = np.isfinite(observed)
    p_value = np.where(defined, _permutation_p(observed, null, exact, alternative), np.nan)
    p_floor = np.where(defined, _permutation_p(best, best_null, exact, alternative), np.nan)
    return observed, p_value, p_floor


def opposite(alternative: str) -> str:
    """The one-sided alternative of the other direction."""
    return {"less": "greater", "greater": "less"}[alternative]


def _leave_one_out_range(
    x: np.ndarray, y: np.ndarray, cells: np.ndarray, method: str
) -> tuple[float, float]:
    """Lowest and highest pooled correlation with one unit left out of every group (NaN when no
    such estimate exists)."""
    units = np.flatnonzero(cells.any(axis=0))
    dropped = np.eye(x.shape[1], dtype=bool)[units][:, None, :]
    estimates = pooled_correlation(
        np.where(dropped, np.nan, x), np.broadcast_to(y, dropped.shape[:1] + y.shape), method
    )
    finite = estimates[np.isfinite(estimates)]
    return (float(finite.min()), float(finite.max())) if len(finite) else (np.nan, np.nan)


def unit_correlation_test(
    x: np.ndarray,
    y: np.ndarray,
    method: str = "spearman",
    n_perm: int = 2000,
    seed: int = 0,
    alternative: str = "two-sided",
) -> UnitCorrelation:
    """Pooled correlation of 2-D ``x``, ``y`` (groups x units, one value per cell, e.g. the mean
    over seeds of an architecture on a dataset; NaN where absent), tested by arranging the unit
    labels (``permutation_test``) for the ``alternative``, and one-sided the other way when the
    alternative is one-sided. Exact whenever the arrangements can be enumerated, so the smallest
    p these units can reach is known; NaN estimates when no group can enter.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cells = entering_cells(x, y)
    if not cells.any():
        return UnitCorrelation(
            np.nan, np.nan, np.nan, np.nan, alternative, np.nan, np.nan, 0, 0, 0, False
        )
    arrangements, exact = label_permutations(cells, n_perm, np.random.default_rng(seed))
    estimate, p_value, p_floor = permutation_test(x, y, method, arrangements, exact, alternative)
    p_opposite = np.nan
    if alternative != "two-sided":
        _, p_opposite, _ = permutation_test(
            x, y, method, arrangements, exact, opposite(alternative)
        )
    low, high = _leave_one_out_range(x, y, cells, method)
    return UnitCorrelation(
        float(estimate),
        float(p_value),
        float(p_floor),
        float(p_opposite),
        alternative,
        low,
        high,
        n_units=int(cells.any(axis=0).sum()),
        n_groups=int(cells.any(axis=1).sum()),
        n_permutations=len(arrangements),
        exact=exact,
    )


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


def welch_p_greater(
    mean_a: np.ndarray,
    var_a: np.ndarray,
    n_a: np.ndarray,
    mean_b: np.ndarray,
    var_b: np.ndarray,
    n_b: np.ndarray,
    df_a: np.ndarray | None = None,
    df_b: np.ndarray | None = None,
) -> np.ndarray:
    """One-sided p-value that the mean of a exceeds the mean of b, elementwise, from each
    sample's mean, variance and size: Welch's t statistic (unequal spreads allowed) on the
    conservative min(df_a, df_b) degrees of freedom (Hsu), each side's df being its variance
    estimate's (n - 1 for a sample variance, the default).

    Not the Welch-Satterthwaite degrees of freedom: with 2-3 values per sample they overstate the
    degrees of freedom when the spreads differ (simulated at 3 against 3 with a tenfold spread
    ratio: p <= 0.002 in 2.3 times that share of null draws); the smaller df stays within the
    level for every spread ratio. NaN where a sample has fewer than two values or both have zero
    spread (no standard error to scale the gap by).
    """
    var_a, n_a, var_b, n_b = (np.asarray(x, dtype=float) for x in (var_a, n_a, var_b, n_b))
    df_a = n_a - 1 if df_a is None else np.asarray(df_a, dtype=float)
    df_b = n_b - 1 if df_b is None else np.asarray(df_b, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = var_a / n_a + var_b / n_b
        t = (mean_a - mean_b) / np.sqrt(se2)
    df = np.minimum(df_a, df_b)
    testable = (np.minimum(n_a, n_b) >= 2) & (df >= 1) & (se2 > 0)
    return np.where(testable, stats.t.sf(np.where(testable, t, 0.0), np.maximum(df, 1)), np.nan)


def seed_variances(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The seed variance each (dataset, architecture) cell's mean is tested with, and the degrees
    of freedom behind it, from ``values[..., dataset, architecture, run]`` (NaN-padded).

    Two or three seeds give each cell 1-2 degrees of freedom, too few for any test at a corrected
    level, so the variance is modelled as architecture x dataset: var[d, k] = rho[k] tau[d]^2,
    where tau[d]^2 is dataset d's seed variance pooled over its other architectures (a dataset's
    metric has its own scale: CES differs with channels; leaving k out keeps a noisy architecture
    from setting the scale it is measured against) and rho[k] is architecture k's variance
    relative to it, pooled over the datasets. The architecture then has sum_d (n[d, k] - 1)
    degrees of freedom. The cell's own variance guards the model (the larger of the two is used):
    an architecture much noisier on one dataset than the model says would otherwise be tested
    against too small a spread. The guard is the cell's median-unbiased variance (its sample
    variance over the median of chi2(n - 1) / (n - 1)): a plain sample variance on 2 df falls
    below the truth in 59% of draws, and with it an architecture 5x noisier on one of 5 datasets
    pushed one metric's false verdicts to 1.9% against its 1.25%; the median-unbiased guard keeps
    the worst case simulated (``vaecausal-power``) within the level. Where the model borrows
    nothing (one dataset; a cell that cannot be put on a scale: the only architecture with spread
    on its dataset) the cell keeps its own sample variance and n - 1 df, Hsu's test. NaN where a
    cell has fewer than 2 runs.
    """
    n = np.isfinite(values).sum(axis=-1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=-1) / n
        cell = np.nansum((values - mean[..., None]) ** 2, axis=-1) / (n - 1)
    df = np.maximum(n - 1, 0.0)
    weighted = np.where(df > 0, df * np.nan_to_num(cell), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        others = df.sum(axis=-1, keepdims=True) - df  # tau[d]^2 leaves architecture k out
        tau2 = (weighted.sum(axis=-1, keepdims=True) - weighted) / others
        usable = (df > 0) & (others > 0) & (tau2 > 0)
        scaled = np.where(usable, weighted / np.where(usable, tau2, 1.0), 0.0)
        rho = scaled.sum(axis=-2, keepdims=True) / np.where(usable, df, 0.0).sum(
            axis=-2, keepdims=True
        )
        model = rho * tau2
        guard = cell * df / stats.chi2.median(np.maximum(df, 1))
    pooled_df = np.where(usable, df, 0.0).sum(axis=-2, keepdims=True)
    tested = n >= 2
    borrowed = usable & (pooled_df > df)  # the model draws on the architecture's other datasets
    variance = np.where(tested, np.where(borrowed, np.fmax(model, guard), cell), np.nan)
    return variance, np.where(tested, np.where(usable, pooled_df, df), 0.0)


def behrens_fisher_cdf(
    t: np.ndarray | float,
    share: np.ndarray | float,
    df_first: float,
    df_second: float,
    n_grid: int = BEHRENS_FISHER_GRID,
) -> np.ndarray:
    """P(sqrt(share) T1 + sqrt(1 - share) T2 <= t), T1 ~ t(df_first), T2 ~ t(df_second) apart.

    The Behrens-Fisher (fiducial) reference distribution of a difference of two independent means
    over its unequal-variance standard error, ``share`` being the first mean's part of the squared
    standard error. Welch's t approximation instead rejects up to twice its nominal rate when one
    side has two values; the Behrens-Fisher test keeps its level at every variance ratio (Robinson
    1976, Ann. Statist. 4:963; simulated in the tests). Computed as the mean, over a midpoint grid
    of the lighter-weighted variable's quantiles, of the other one's CDF; broadcasts over ``t``
    and ``share``.
    """
    t, share = np.broadcast_arrays(np.asarray(t, float), np.asarray(share, float))
    weights = (np.sqrt(share), np.sqrt(1 - share))
    dfs = (df_first, df_second)
    grid = (np.arange(n_grid) + 0.5) / n_grid
    first_heavier = weights[0] >= weights[1]
    cdf = np.empty(t.shape)
    for heavy, mask in ((0, first_heavier), (1, ~first_heavier)):
        light_quantiles = stats.t.ppf(grid, dfs[1 - heavy])
        shifted = t[mask][:, None] - weights[1 - heavy][mask][:, None] * light_quantiles
        cdf[mask] = special.stdtr(dfs[heavy], shifted / weights[heavy][mask][:, None]).mean(axis=1)
    return cdf


def behrens_fisher_quantile(
    probability: float, share: float, df_first: float, df_second: float
) -> float:
    """The ``probability`` quantile of the distribution in ``behrens_fisher_cdf``."""
    bound = abs(stats.t.ppf(probability, df_first)) + abs(stats.t.ppf(probability, df_second)) + 1

    def excess(t: float) -> float:
        return float(behrens_fisher_cdf(t, share, df_first, df_second)) - probability

    return float(optimize.brentq(excess, -bound, bound, xtol=1e-10))


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
