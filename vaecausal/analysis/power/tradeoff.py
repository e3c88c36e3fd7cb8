"""Finding (i) in the calculator: false verdicts without a link between DCI and CES across the
model population, and the rho across models found with 80% power."""

from __future__ import annotations

import numpy as np

from vaecausal.analysis.findings import tradeoff
from vaecausal.analysis.power.design import (
    Assumptions,
    FindingPower,
    Layout,
    Progress,
    WorstNull,
    rate,
    smallest,
)
from vaecausal.analysis.stats import label_permutations, permutation_test


def _tradeoff_words(
    x: np.ndarray, y: np.ndarray, arrangements: np.ndarray, exact: bool
) -> np.ndarray:
    """The table's verdict of each draw, in chunks of draws small enough that every draw's
    arranged correlations (draws x arrangements x models) stay within about 100 MB."""
    chunk = max(1, 2_000_000 // arrangements.size)
    words = []
    for start in range(0, len(x), chunk):
        part = slice(start, start + chunk)
        estimate, p, floor = permutation_test(
            x[part], y[part], "spearman", arrangements, exact, "less"
        )
        _, p_opposite, _ = permutation_test(
            x[part], y[part], "spearman", arrangements, exact, "greater"
        )
        words.append(tradeoff.verdict_words(estimate, p, p_opposite, floor))
    return np.concatenate(words)


def _model_means(
    rng: np.random.Generator,
    rho: float,
    counts: np.ndarray,
    noise: float,
    draws: int,
    shared: bool,
    heavy: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """DCI and CES model means (draws, datasets, models): effects with correlation ``rho``
    (shared by every dataset or drawn per dataset; normal or t with 3 df), plus the noise of
    averaging each model's planned seeds; NaN where a model has no run on a dataset."""
    shape = (draws, 1 if shared else counts.shape[0], counts.shape[1])

    def effects() -> np.ndarray:
        return rng.standard_t(3, shape) / np.sqrt(3) if heavy else rng.standard_normal(shape)

    dci = effects()
    ces = rho * dci + np.sqrt(1 - rho**2) * effects()
    spread = noise / np.sqrt(np.maximum(counts, 1))
    full = (draws, *counts.shape)
    dci = dci + spread * rng.standard_normal(full)
    ces = ces + spread * rng.standard_normal(full)
    absent = counts == 0
    return np.where(absent, np.nan, dci), np.where(absent, np.nan, ces)


def _population_counts(plan: Layout) -> np.ndarray:
    """Planned runs per (dataset, continuous model), models without a run left out."""
    counts = np.array([[plan.runs(d, m) for m in plan.population] for d in plan.datasets])
    return counts[:, counts.sum(axis=0) > 0]


def rho_power(plan: Layout, assume: Assumptions, rho: float, shared: bool = True) -> float:
    """Share of ``assume.draws`` studies at ``plan``'s layout found 'supported' when DCI and CES
    correlate by ``rho`` across models (effects shared by the datasets, or drawn per dataset).
    Seeded identically at every rho (common random numbers)."""
    counts = _population_counts(plan)
    arrangements, exact = label_permutations(counts > 0, 2000, np.random.default_rng(assume.seed))
    rng = np.random.default_rng(assume.seed + 1)
    means = _model_means(rng, rho, counts, assume.model_noise, assume.draws, shared, False)
    return rate(_tradeoff_words(*means, arrangements, exact), "supported")


def tradeoff_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(i): false rates with no link (effects per dataset or shared, normal or heavy-tailed) and
    the smallest negative rho across models found 'supported' in 80% of draws, with the models'
    effects shared by every dataset: each dataset then repeats one order of the models (an
    architecture disentangled on one dataset is so on the others), the case in which more
    datasets add the least, so the power is not flattered by datasets that vary independently."""
    counts = _population_counts(plan)
    name = "(i) CES–DCI trade-off"
    note = f"{counts.shape[1]} continuous models on {counts.shape[0]} dataset(s)"
    if counts.shape[1] < 3:
        why = note + ": fewer than 3 models, no correlation to test"
        return [FindingPower.untested(name, "rho", why)]
    rng = np.random.default_rng(assume.seed)
    arrangements, exact = label_permutations(counts > 0, 2000, rng)
    worst = WorstNull()
    for shared in (False, True):
        for heavy in (False, True):
            shape = (
                f"effects {'shared by' if shared else 'drawn per'} dataset"
                f"{', heavy-tailed (t, 3 df)' if heavy else ''}"
            )
            progress(f"(i) null: {shape}")
            means = _model_means(
                rng, 0.0, counts, assume.model_noise, assume.null_draws, shared, heavy
            )
            words = _tradeoff_words(*means, arrangements, exact)
            worst.record(words, shape)

    def power_at(strength: float) -> float:
        progress(f"(i) power at rho = {-strength:.2f}")
        return rho_power(plan, assume, -strength)

    effect, power = smallest(power_at, 0.0, 0.99)
    return [
        FindingPower(
            name,
            worst.supported,
            worst.contradicted,
            worst.shape,
            "rho across models (negative, as declared)",
            -effect,
            power,
            note + f", {'all' if exact else len(arrangements)} arrangements",
        )
    ]
