"""Stability intervals: how far a run's causal metric would move on other evaluation inputs.

A nonparametric bootstrap over the units a metric averages over (evaluation codes for the
decoder metrics, input pairs for patching and mediation). Replicate r gives unit j the weight
W[r, j], a multinomial count (n draws with replacement from n units), and recomputes the metric
from the weighted means, so a nonlinear metric (a ratio, an entropy, a correlation of means) is
resampled as a whole rather than through a linearisation.

The interval is the *expanded* percentile interval (Hesterberg 2015, "What teachers should
know about the bootstrap", The American Statistician 69(4)): the replicates' percentiles at
alpha'/2 and 1 - alpha'/2, with alpha' chosen so that the normal quantile widened by
sqrt(n / (n - 1)) equals Student's t quantile with n - 1 degrees of freedom. The plain
percentile interval of a mean covers too little at small n (about 92% at n = 16, where the
default study measures mediation), because the bootstrap's spread is the divide-by-n one and
its tails are normal; the expansion restores the t interval's width at any n and vanishes as n
grows. ``tests/metrics/test_stability.py`` shows the coverage on constructions with a known
value.

The intervals describe one run: which inputs it happened to be evaluated on. The findings'
verdicts compare models and keep seeds as their unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from vaecausal.metrics.causal import (
    model_ces,
    model_specificity,
    rms_scale,
    specificity_per_latent,
)
from vaecausal.metrics.circuits import circuit_overlap, model_modularity

LEVEL = 0.95
# A metric undefined (NaN) in more than this share of replicates gets no interval: its
# percentiles would describe only the replicates where it happens to exist.
MAX_UNDEFINED = 0.05


def resampling_weights(n: int, replicates: int, seed: int) -> np.ndarray:
    """(replicates, n) multinomial counts: how often each of n units is drawn in a bootstrap
    replicate of size n. Seeded, so every stage that needs the same replicates gets them."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=replicates).astype(np.int32)


def weighted_means(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each replicate's mean of ``values`` (n, ...) over its first axis: (R, ...)."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.tensordot(weights, values, axes=(1, 0))
    return sums / weights.sum(1).reshape(-1, *([1] * (values.ndim - 1)))


def expanded_alpha(n: int, level: float = LEVEL) -> float:
    """alpha' of the expanded percentile interval for n units (0 when n < 2: no t quantile,
    the interval is the replicates' whole range)."""
    if n < 2:
        return 0.0
    t = stats.t.ppf(0.5 + level / 2, df=n - 1)
    return float(2 * stats.norm.sf(math.sqrt(n / (n - 1)) * t))


@dataclass(frozen=True)
class Interval:
    """A 95% stability interval over ``n`` units of kind ``unit`` (None where undefined)."""

    low: float | None
    high: float | None
    n: int
    unit: str

    def as_dict(self) -> dict[str, float | int | str | None]:
        """The interval as metrics.json holds it."""
        return {"low": self.low, "high": self.high, "n": self.n, "unit": self.unit}

    def __str__(self) -> str:
        if self.low is None or self.high is None:
            return f"undefined over {self.n} {self.unit}"
        return f"[{self.low:.4g}, {self.high:.4g}] over {self.n} {self.unit}"


def percentile_interval(replicates: np.ndarray, n: int, unit: str) -> Interval:
    """The expanded percentile interval of a metric's bootstrap ``replicates`` (R,) over ``n``
    units; undefined (None) where the metric is undefined in too many replicates."""
    values = np.asarray(replicates, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not len(finite) or len(finite) < (1 - MAX_UNDEFINED) * len(values):
        return Interval(None, None, n, unit)
    alpha = expanded_alpha(n)
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return Interval(float(low), float(high), n, unit)


def modularity_replicates(deltas: dict[str, np.ndarray], active: np.ndarray) -> np.ndarray:
    """Circuit modularity per bootstrap replicate, (R,), from the replicates' mean activation
    effects {hook point: (R, d, U)}. Computed where those are at hand (the intervene stage),
    so that only R numbers are stored rather than R x d x U per decoder layer."""
    replicates = len(next(iter(deltas.values()))) if deltas else 0
    return np.array(
        [
            model_modularity({name: d[r] for name, d in deltas.items()}, active)
            for r in range(replicates)
        ]
    )


def decoder_replicates(
    weights: np.ndarray,
    norms: np.ndarray,
    factor_effects: np.ndarray | None,
    modularity: np.ndarray | None,
    active: np.ndarray,
    channels: int,
) -> dict[str, np.ndarray]:
    """Per bootstrap replicate over the evaluation codes (``weights`` (R, N)): CES, CES_rms,
    specificity and modularity, (R,) each. ``norms`` (N, d, V) are the codes' pixel effects;
    ``factor_effects`` (R, d, K) the replicates' mean factor effects (``EffectSums``), K the
    factors specificity counts; ``modularity`` (R,) from ``modularity_replicates``."""
    ces_latent = weighted_means(weights, norms.mean(2))  # (R, d)
    ces = model_ces(ces_latent, active)
    out = {"ces": ces, "ces_rms": ces / rms_scale(channels)}
    if factor_effects is not None:
        replicates, d, k = factor_effects.shape
        per_latent = specificity_per_latent(factor_effects.reshape(-1, k))[0].reshape(replicates, d)
        out["specificity"] = model_specificity(per_latent, ces_latent, active)
    if modularity is not None:
        out["modularity"] = modularity
    return out


def restoration_replicates(
    weights: np.ndarray, moved: dict[str, np.ndarray], totals: np.ndarray
) -> list[dict[str, np.ndarray]]:
    """Restoration R (U, K) of every encoder hook point per bootstrap replicate over the
    patching pairs (``weights`` (R, n)), from the pairs' moved norms {hook point: (U, K, n)} and
    total norms (K, n): the ratio of weighted means, 0 where the treatment moved nothing."""
    total = np.tensordot(weights, totals, axes=(1, 1))  # (R, K) sums over the pairs
    out = []
    for r, row in enumerate(total):
        # ``patching.ratio``'s threshold is on the mean over pairs, not the sum
        safe = np.where(row / weights[r].sum() > 1e-6, row, np.inf)
        out.append(
            {name: np.tensordot(m, weights[r], axes=(2, 0)) / safe for name, m in moved.items()}
        )
    return out


def overlap_replicates(
    weights: np.ndarray, moved: dict[str, np.ndarray], totals: np.ndarray, fraction: float
) -> np.ndarray:
    """Circuit overlap per bootstrap replicate over the patching pairs, (R,)."""
    return np.array(
        [circuit_overlap(r, fraction) for r in restoration_replicates(weights, moved, totals)]
    )
