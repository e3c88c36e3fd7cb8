"""The study's causal mediation as one table: a row per run and directed treatment.

Each row holds the treatment's outcome latent, TE with its standard error, p-value and 95%
bootstrap interval over the run's pairs (how stable this run's TE is; empty for runs written
before the intervals existed), and per encoder layer the sum of its units' shares NIE/TE. A share
is a number only where TE is told apart from noise; elsewhere it is empty and the row's ``note``
says why, so nobody reads a ratio of noise to noise as a result.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from vaecausal.analysis.aggregate import RUN_KEYS, readable_records

ESTIMATES = ["te", "te_se", "te_ci_low", "te_ci_high", "te_p"]
COLUMNS = [*RUN_KEYS, "treatment", "outcome_latent", "pairs", *ESTIMATES]
UNDEFINED = "TE within noise: shares undefined"
COLLAPSED = "no active latent (posterior collapse): nothing to mediate"


def _bounds(interval: list | None) -> tuple[float | None, float | None]:
    """(low, high) of a stored interval; an interval the run could not compute, or one its
    record predates, is (None, None)."""
    return (interval[0], interval[1]) if interval else (None, None)


def run_rows(record: dict) -> list[dict]:
    """One row per treatment of one run's ``metrics.json`` content (none without mediation)."""
    mediation = record.get("mediation")
    if not isinstance(mediation, dict) or "treatments" not in mediation:
        return []
    te_intervals = mediation.get("total_effect_ci") or [None] * len(mediation["treatments"])
    rows = []
    for j, treatment in enumerate(mediation["treatments"]):
        row = {key: record.get(key) for key in RUN_KEYS}
        te_low, te_high = _bounds(te_intervals[j])
        row.update(
            treatment=treatment,
            outcome_latent=mediation["outcome_latent"][j],
            pairs=mediation["pairs"][j],
            te=mediation["total_effect"][j],
            te_se=mediation["total_effect_se"][j],
            te_ci_low=te_low,
            te_ci_high=te_high,
            te_p=mediation["total_effect_p"][j],
        )
        for layer, shares in mediation["sum_of_unit_shares_by_layer"].items():
            row[f"share_sum_{layer.split('.')[-1]}"] = shares[j]
        if mediation["outcome_latent"][j] < 0:
            row["note"] = COLLAPSED
        else:
            row["note"] = "" if mediation["shares_defined"][j] else UNDEFINED
        rows.append(row)
    return rows


def mediation_effects(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The table over every readable ``metrics.json`` in ``paths`` (unreadable ones are
    reported by the tables stage already, and skipped here)."""
    rows = [row for record in readable_records(paths) for row in run_rows(record)]
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=[*COLUMNS, "note"])
    shares = [c for c in table.columns if c.startswith("share_sum_")]
    numeric = [*ESTIMATES, *shares]
    table[numeric] = table[numeric].apply(pd.to_numeric)
    return table[[*COLUMNS, *shares, "note"]].sort_values([*RUN_KEYS], kind="stable")
