"""Finding (ii) in the calculator: false verdicts of a latent-size sweep without a trend (also
with one noisy cell), and the falling slope of log(beta-VAE / VAE DCI) found with 80% power."""

from __future__ import annotations

import math

import numpy as np

from vaecausal.analysis.findings import capacity
from vaecausal.analysis.power.design import (
    Assumptions,
    FindingPower,
    Layout,
    Progress,
    WorstNull,
    rate,
    smallest,
)

# The simulated sweeps' DCI: a median of 0.3 and a seed SD of log DCI of 0.1 (a 10% coefficient
# of variation), far enough above capacity.LOG_FLOOR that the floor never binds in a search.
SWEEP_MEDIAN, SWEEP_LOG_SD = 0.3, 0.1


def _slope_words(
    rng: np.random.Generator,
    levels: tuple[tuple[float, int, int], ...],
    slope: float,
    sds: tuple[np.ndarray, np.ndarray],
    draws: int,
) -> np.ndarray:
    """Verdicts of ``draws`` sweeps: DCI seeds of each family at each level, lognormal around
    SWEEP_MEDIAN with a seed SD of log DCI of SWEEP_LOG_SD times ``sds`` (treated, baseline),
    beta-VAE's log ratio falling by ``slope`` seed SDs per unit of the ratio."""
    ratios = np.array([level[0] for level in levels])
    cells = []
    for family, column, shift in ((capacity.TREATED, 2, slope), (capacity.BASELINE, 1, 0.0)):
        sd = sds[0] if family == capacity.TREATED else sds[1]
        logs = [
            math.log(SWEEP_MEDIAN)
            + SWEEP_LOG_SD * (shift * ratio + s * rng.standard_normal((draws, level[column])))
            for ratio, s, level in zip(ratios, sd, levels, strict=True)
        ]
        dci = [np.exp(values) for values in logs]
        logged = [capacity.log_dci(values) for values in dci]
        cells.append(
            (
                np.stack([v.mean(axis=-1) for v in logged], axis=-1),
                np.stack([v.var(axis=-1, ddof=1) for v in logged], axis=-1),
                np.array([level[column] for level in levels], dtype=float),
            )
        )
    weights = capacity.trend_weights(ratios, np.zeros(len(ratios)))
    test = capacity.gap_slope(weights, cells[0], cells[1])
    return capacity.trend_verdicts(test.ci_low, test.ci_high)


def slope_power(plan: Layout, assume: Assumptions, dataset: str, slope: float) -> float:
    """Share of ``assume.draws`` sweeps of ``dataset`` at ``plan``'s layout found 'supported'
    when log(beta-VAE / VAE DCI) changes by ``slope`` seed SDs of log DCI per unit of
    factors/latent. Seeded identically at every slope (common random numbers)."""
    levels = plan.sweeps[dataset]
    ones = (np.ones(len(levels)), np.ones(len(levels)))
    rng = np.random.default_rng(assume.seed + 1)
    return rate(_slope_words(rng, levels, slope, ones, assume.draws), "supported")


def capacity_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(ii): per swept dataset, false rates with no trend (equal seed SDs, or one cell at the
    highest ratio 10x as noisy: the skewed, noisy cell of raw DCI) and the smallest falling slope
    of log(beta-VAE / VAE DCI), in seed SDs of log DCI per unit of factors/latent."""
    name = "(ii) β-VAE capacity bottleneck"
    if not plan.sweeps:
        why = (
            "no dataset has VAE and beta-VAE at 3 or more latent sizes with 2+ runs each: "
            "without a sweep the finding is always inconclusive"
        )
        return [FindingPower.untested(name, "slope", why)]
    rows = []
    for dataset, levels in plan.sweeps.items():
        rng = np.random.default_rng(assume.seed)
        n = len(levels)
        shapes = {"equal seed SDs": (np.ones(n), np.ones(n))}
        for family in ("VAE", "β-VAE"):
            noisy = np.r_[np.ones(n - 1), 10.0]
            pair = (np.ones(n), noisy) if family == "VAE" else (noisy, np.ones(n))
            shapes[f"{family} 10x as noisy at the highest ratio"] = pair
        worst = WorstNull()
        for shape, sds in shapes.items():
            progress(f"(ii) {dataset} null: {shape}")
            words = _slope_words(rng, levels, 0.0, sds, assume.null_draws)
            worst.record(words, shape)

        def power_at(strength: float, dataset=dataset) -> float:
            progress(f"(ii) {dataset} power at slope {-strength:.2f}")
            return slope_power(plan, assume, dataset, -strength)

        effect, power = smallest(power_at, 0.0, 20.0)
        ratios = ", ".join(f"{level[0]:.2g}" for level in levels)
        rows.append(
            FindingPower(
                f"{name}, {dataset}",
                worst.supported,
                worst.contradicted,
                worst.shape,
                "slope of log DCI ratio per unit factors/latent (seed SDs of log DCI)",
                -effect,
                power,
                f"factors/latent {ratios}; runs per cell "
                f"{min(min(lv[1:]) for lv in levels)}-{max(max(lv[1:]) for lv in levels)}",
            )
        )
    return rows
