"""The study-design calculator: each finding's false-verdict rates and power at a study's planned
layout, simulated through the verdict functions the tables stage uses, before any GPU-hour.

    plan = layout(load_study(config, "findings"))
    for row in design_table(plan, Assumptions(), progress=print): ...

Per finding, null data at the planned layout (datasets, architectures, seeds, strength and size
variants) in several shapes go through the finding's own vectorised verdict code, and the worst
rate of a false "supported" and of a false "contradicted" is reported; then effects of rising
size go through the same code until 80% of the draws give the true verdict, and the smallest
such effect is reported in the finding's own units:

- (iii) no single winner: the gap in seed SDs by which a different architecture leads each
  dataset (alternating between two), in DCI while CES has no effect; also one architecture
  leading every dataset by that gap ("contradicted").
- (i) trade-off: the correlation rho of DCI and CES over the model population (the study's
  continuous architectures and strength variants), the models' effects shared by the datasets,
  seed noise on top.
- (ii) capacity bottleneck: the slope of log(beta-VAE / VAE DCI) per unit of factors/latent, in
  seed SDs of log DCI, over the study's latent-size sweeps.
- (iv) discrete limitation: the largest true ratio of VQ-VAE's continuous CES to the others'
  below the 0.1 margin that is found "supported" (and the smallest above it found
  "contradicted"), given the noise in ``Assumptions``.

The numbers are Monte-Carlo estimates: each rate carries its standard error, and each search uses
the same random numbers at every effect size (so power rises smoothly with the effect).
"""

from __future__ import annotations

from vaecausal.analysis.power.capacity import capacity_power, slope_power
from vaecausal.analysis.power.design import (
    SEARCH_STEPS,
    TARGET_POWER,
    Assumptions,
    FindingPower,
    Layout,
    Progress,
    layout,
)
from vaecausal.analysis.power.discrete import discrete_power
from vaecausal.analysis.power.ranking import gap_power, ranking_power
from vaecausal.analysis.power.tradeoff import rho_power, tradeoff_power

__all__ = [
    "TARGET_POWER",
    "Assumptions",
    "FindingPower",
    "Layout",
    "capacity_power",
    "design_table",
    "discrete_power",
    "expected_steps",
    "gap_power",
    "layout",
    "ranking_power",
    "rho_power",
    "slope_power",
    "tradeoff_power",
]

CALCULATORS = (tradeoff_power, capacity_power, ranking_power, discrete_power)


def expected_steps(plan: Layout) -> int:
    """How many progress messages ``design_table`` sends at most (for a progress bar)."""
    k = len(plan.reference)
    ranking_steps = (12 + 2 * SEARCH_STEPS) if len(plan.datasets) >= 2 and k >= 2 else 0
    tradeoff_steps = 4 + SEARCH_STEPS
    capacity_steps = len(plan.sweeps) * (3 + SEARCH_STEPS)
    discrete_steps = (2 + 2 * SEARCH_STEPS) if plan.discrete else 0
    return ranking_steps + tradeoff_steps + capacity_steps + discrete_steps


def design_table(
    plan: Layout, assume: Assumptions | None = None, progress: Progress = lambda _: None
) -> list[FindingPower]:
    """Every finding's calculator rows for ``plan`` (default ``Assumptions`` when None)."""
    assume = Assumptions() if assume is None else assume
    return [row for calculator in CALCULATORS for row in calculator(plan, assume, progress)]
