"""What a (possibly partial) study holds: which expected runs are missing, which metrics exist.

The tables stage can run before every training job has finished; it then aggregates the runs that
exist and must say plainly what the numbers are not based on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vaecausal.analysis.aggregate import (
    METRICS,
    RUN_KEYS,
    discrete_runs,
    read_record,
    runs_table,
)

# Metrics only a discrete-latent model has: their coverage counts discrete runs alone.
DISCRETE_ONLY = frozenset(
    {
        "ces_discrete",
        "ces_discrete_rms",
        "specificity_discrete",
        "modularity_discrete",
        "code_change_share",
    }
)


@dataclass(frozen=True)
class Available:
    """The runs that could be read, the expected runs that could not, and the unreadable files."""

    runs: pd.DataFrame
    missing: pd.DataFrame
    unreadable: pd.DataFrame
    n_expected: int


def _identity(record: Mapping, keys: Iterable[str]) -> tuple:
    return tuple(str(record.get(k)) for k in keys)


def load_available(
    paths: Iterable[str | Path], expected: Iterable[Mapping] | None = None
) -> Available:
    """Read every ``metrics.json`` of ``paths`` that exists and parses; compare with ``expected``.

    ``expected`` holds one mapping per planned run with at least ``dataset``, ``architecture`` and
    ``seed`` (and ``n_latents`` where a sweep varies it); None means the files are the whole plan.
    A run is matched on those keys, so an expected run whose file is absent or unreadable is listed
    as missing. Files that exist but cannot be parsed are listed separately with their error.
    """
    records, unreadable = [], []
    for path in paths:
        try:
            records.append(read_record(path))
        except (OSError, ValueError) as error:
            unreadable.append({"path": str(path), "error": f"{type(error).__name__}: {error}"})
    runs = runs_table(records)
    expected = list(expected) if expected is not None else []
    keys = list(dict.fromkeys(k for entry in expected for k in entry)) or list(RUN_KEYS)
    found = {_identity(r, keys) for r in records}
    missing = [dict(e) for e in expected if _identity(e, keys) not in found]
    return Available(
        runs=runs,
        missing=pd.DataFrame(missing, columns=keys),
        unreadable=pd.DataFrame(unreadable, columns=["path", "error"]),
        n_expected=len(expected) if expected else len(records),
    )


def metric_coverage(runs: pd.DataFrame) -> pd.DataFrame:
    """Per metric: how many runs report it out of those that should (discrete runs only for the
    discrete metrics)."""
    rows = []
    for metric, label in METRICS.items():
        eligible = runs
        if metric in DISCRETE_ONLY:
            eligible = runs[discrete_runs(runs)]
        present = int(eligible[metric].notna().sum()) if metric in eligible else 0
        if len(eligible) == 0:
            status = "no eligible run"
        elif present == 0:
            status = "no run"
        elif present == len(eligible):
            status = "all runs"
        else:
            status = "some runs"
        rows.append(
            {
                "metric": metric,
                "label": label,
                "runs_with_value": present,
                "eligible_runs": len(eligible),
                "status": status,
            }
        )
    return pd.DataFrame(rows)
