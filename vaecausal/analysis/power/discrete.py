"""Finding (iv) in the calculator: false verdicts with the ratio at the margin, and the ratios
below and above it found with 80% power."""

from __future__ import annotations

import math

import numpy as np

from vaecausal.analysis.findings import discrete
from vaecausal.analysis.power.design import (
    Assumptions,
    FindingPower,
    Layout,
    Progress,
    WorstNull,
    rate,
    smallest,
)


def _discrete_words(
    rng: np.random.Generator,
    plan: Layout,
    log_ratio: float,
    assume: Assumptions,
    vq_sd: float,
    draws: int,
) -> np.ndarray:
    """Verdicts of ``draws`` studies with log(VQ-VAE CES / the others') = ``log_ratio`` on every
    dataset."""
    p_below, p_above = [], []
    continuous = [a for a in plan.reference if a not in plan.discrete]
    for dataset in plan.datasets:
        vq = max((plan.runs(dataset, a) for a in plan.discrete), default=0)
        k = sum(plan.runs(dataset, a) > 0 for a in continuous)
        if vq < 2 or k < 2:
            continue
        others = assume.others_log_sd * rng.standard_normal((draws, k))
        vq_logs = log_ratio + vq_sd * rng.standard_normal((draws, vq))
        below, above = discrete.margin_p_values(vq_logs, others)
        p_below.append(below)
        p_above.append(above)
    if not p_below:
        return np.full(draws, "inconclusive")
    return discrete.decide(np.stack(p_below, axis=-1), np.stack(p_above, axis=-1))


def discrete_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(iv): false rates with the ratio at the margin (VQ-VAE seed SD as assumed, or 3x), and the
    largest ratio below the margin found 'supported' / smallest above it found 'contradicted'."""
    name = "(iv) discrete limitation"
    if not plan.discrete:
        why = "no VQ-VAE in the study"
        return [FindingPower.untested(name, "ratio", why)]
    margin = math.log(discrete.MARGIN)
    rng = np.random.default_rng(assume.seed)
    worst = WorstNull()
    for factor in (1.0, 3.0):
        shape = f"ratio at the margin, VQ-VAE seed SD {factor * assume.vq_log_sd:g}"
        progress(f"(iv) null: {shape}")
        sd = factor * assume.vq_log_sd
        words = _discrete_words(rng, plan, margin, assume, sd, assume.null_draws)
        worst.record(words, shape)
    rows = []
    for word, sign in (("supported", -1.0), ("contradicted", 1.0)):

        def power_at(distance: float, word=word, sign=sign) -> float:
            ratio = discrete.MARGIN * math.exp(sign * distance)
            progress(f"(iv) power at ratio {ratio:.3g} ({word})")
            rng = np.random.default_rng(assume.seed + 1)
            log_ratio = margin + sign * distance
            words = _discrete_words(rng, plan, log_ratio, assume, assume.vq_log_sd, assume.draws)
            return rate(words, word)

        distance, power = smallest(power_at, 0.0, 6.0)
        rows.append(
            FindingPower(
                f"{name} ({word})",
                worst.supported,
                worst.contradicted,
                worst.shape,
                f"ratio {'below' if sign < 0 else 'above'} the {discrete.MARGIN:g} margin",
                discrete.MARGIN * math.exp(sign * distance),
                power,
                f"VQ-VAE log-CES seed SD {assume.vq_log_sd:g}, other architectures' "
                f"{assume.others_log_sd:g}",
            )
        )
    return rows
