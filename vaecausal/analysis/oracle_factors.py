"""Which factors each dataset's oracle can read, as one table: a row per dataset and factor.

Specificity and every other oracle-based metric measure a factor through the oracle's reading of
it. A factor the oracle reads below its accuracy floor (held-out accuracy) would be measured as
the oracle's noise, so the metrics stage leaves it out (``oracle_factors_used`` of a run's
``metrics.json``). The table, ``findings.md`` and the run figures say which factors those are, so
nobody reads a dataset's specificity as covering every factor. Runs written before the exclusion
recorded the accuracies but still scored every factor: their ``used_in_specificity`` is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from vaecausal.analysis.aggregate import readable_records

DATASET_KEYS = ["dataset", "dataset_label"]
FACTOR_COLUMNS = [
    "factor",
    "oracle_accuracy",
    "accuracy_floor",
    "below_floor",
    "used_in_specificity",
]
COLUMNS = [*DATASET_KEYS, *FACTOR_COLUMNS, "runs"]


def excluded_factors(record: dict) -> list[str]:
    """The factors a run left out of its oracle-based metrics because the oracle cannot read
    them (below its floor); none for a run that predates the exclusion."""
    used = record.get("oracle_factors_used")
    if used is None:
        return []
    return [name for name in record.get("oracle_below_floor", []) if name not in used]


def run_rows(record: dict) -> list[dict]:
    """One row per factor the run's oracle was scored on (none for a run without accuracies)."""
    accuracy = record.get("oracle_accuracy")
    if not isinstance(accuracy, dict):
        return []
    below = set(record.get("oracle_below_floor", []))
    used = record.get("oracle_factors_used")
    return [
        {
            "dataset": record.get("dataset"),
            "dataset_label": record.get("dataset_label") or record.get("dataset"),
            "factor": factor,
            "oracle_accuracy": value,
            "accuracy_floor": record.get("oracle_accuracy_floor"),
            "below_floor": factor in below,
            "used_in_specificity": None if used is None else factor in used,
        }
        for factor, value in accuracy.items()
    ]


def oracle_factors(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The table over every readable ``metrics.json`` in ``paths``: runs of a dataset share its
    oracle, so they collapse to one row per factor, ``runs`` counting them (runs that disagree,
    e.g. scored by an older oracle, keep rows of their own). Factors stay in the oracle's order."""
    rows = [row for record in readable_records(paths) for row in run_rows(record)]
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.DataFrame(rows)
    table["used_in_specificity"] = table["used_in_specificity"].astype("boolean")
    counted = table.groupby([*DATASET_KEYS, *FACTOR_COLUMNS], dropna=False, sort=False).size()
    counted = counted.rename("runs").reset_index()
    return counted[COLUMNS].sort_values("dataset", kind="stable").reset_index(drop=True)
