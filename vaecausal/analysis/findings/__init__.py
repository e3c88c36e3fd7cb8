"""The study's four findings as tidy tables, computed from the runs table.

    findings = compute(runs)            # or with n_boot / n_perm / seed
    findings.tables()                   # file stem -> DataFrame, as the tables stage writes them

One module per finding: tradeoff (i), capacity (ii), ranking (iii), discrete (iv); ``summary``
turns them into the plain-words ``findings.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vaecausal.analysis.findings.capacity import (
    capacity_table,
    capacity_trend,
    families,
    reference_runs,
)
from vaecausal.analysis.findings.discrete import discrete_comparison
from vaecausal.analysis.findings.ranking import architecture_ranks, top_architectures
from vaecausal.analysis.findings.tradeoff import DEFAULT_DIRECTION, ces_dci_correlations
from vaecausal.analysis.findings.verdicts import verdict_table

# File stem of each finding's table (CSV and Markdown) -> attribute of Findings.
TABLE_FILES = {
    "ces_dci_correlation": "correlations",
    "capacity_bottleneck": "capacity",
    "capacity_trend": "capacity_trend",
    "architecture_ranks": "ranks",
    "top_architectures": "top",
    "vq_discrete_ces": "discrete",
    "verdicts": "verdicts",
}


@dataclass(frozen=True)
class Findings:
    correlations: pd.DataFrame  # (i)
    capacity: pd.DataFrame  # (ii)
    capacity_trend: pd.DataFrame  # (ii)
    ranks: pd.DataFrame  # (iii)
    top: pd.DataFrame  # (iii)
    discrete: pd.DataFrame  # (iv)
    verdicts: pd.DataFrame  # one row per finding: verdict, estimate, interval, p, runs

    def tables(self) -> dict[str, pd.DataFrame]:
        return {stem: getattr(self, attribute) for stem, attribute in TABLE_FILES.items()}


@dataclass(frozen=True)
class Resampling:
    """Sizes and seed of every bootstrap and permutation (all findings share them)."""

    n_boot: int = 2000
    n_perm: int = 2000
    seed: int = 0


DEFAULT_RESAMPLING = Resampling()


@dataclass(frozen=True)
class Hypotheses:
    """The directions the findings are tested in, declared in ``config.yaml``
    (``defaults.findings``) before any run: a one-sided test is honest only if its side was
    chosen before the data."""

    tradeoff_direction: str = DEFAULT_DIRECTION


def population_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of finding (i)'s model population: every architecture and strength variant at
    the study's latent size (size variants belong to finding ii)."""
    return runs[families(runs) == runs["architecture"]]


def compute(
    runs: pd.DataFrame,
    resampling: Resampling = DEFAULT_RESAMPLING,
    hypotheses: Hypotheses = Hypotheses(),
) -> Findings:
    """All four findings from the runs table (any subset of runs and metric columns). Size
    variants of an architecture enter the capacity finding only, strength variants the trade-off
    only (``reference_runs``, ``population_runs``)."""
    capacity = capacity_table(runs)
    reference = reference_runs(runs)
    tables = {
        "ces_dci_correlation": ces_dci_correlations(
            population_runs(runs),
            n_perm=resampling.n_perm,
            seed=resampling.seed,
            direction=hypotheses.tradeoff_direction,
        ),
        "capacity_bottleneck": capacity,
        "capacity_trend": capacity_trend(capacity),
        "architecture_ranks": architecture_ranks(reference),
        "top_architectures": top_architectures(
            reference, n_boot=resampling.n_boot, seed=resampling.seed
        ),
        "vq_discrete_ces": discrete_comparison(reference),
    }
    tables["verdicts"] = verdict_table(tables, reference)
    return Findings(**{TABLE_FILES[stem]: table for stem, table in tables.items()})
