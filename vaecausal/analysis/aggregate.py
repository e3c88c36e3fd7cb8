"""Gather every run's ``metrics.json`` into one tidy table and summarise it over seeds."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

RUN_KEYS = ("dataset", "architecture", "seed")

# Columns of the summary table, in order, with their display names.
METRICS: dict[str, str] = {
    "dci_disentanglement": "DCI-D",
    "dci_completeness": "DCI-C",
    "dci_informativeness": "DCI-I",
    "ces": "CES",
    "ces_rms": "CES_rms",
    "n_active": "active",
    "reconstruction_loss": "recon",
    "training_seconds": "train s",
}


def load_runs(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per run with its scalar metrics (lists such as per-latent values are left out)."""
    rows = []
    for path in paths:
        record = json.loads(Path(path).read_text())
        rows.append({k: v for k, v in record.items() if not isinstance(v, list | dict)})
    runs = pd.DataFrame(rows)
    return runs.sort_values(list(RUN_KEYS)).reset_index(drop=True)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1) and run count per dataset x architecture."""
    grouped = runs.groupby(["dataset", "architecture"], sort=True)[list(METRICS)]
    summary = grouped.agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    summary["n_runs"] = runs.groupby(["dataset", "architecture"]).size()
    return summary.reset_index()


def mean_std_strings(summary: pd.DataFrame, digits: int = 3, pm: str = "±") -> pd.DataFrame:
    """The summary as display strings 'mean ± std', one column per metric."""
    table = summary[["dataset", "architecture"]].copy()
    for metric, label in METRICS.items():
        mean, std = summary[f"{metric}_mean"], summary[f"{metric}_std"]
        table[label] = [
            f"{m:.{digits}f}" if pd.isna(s) else f"{m:.{digits}f} {pm} {s:.{digits}f}"
            for m, s in zip(mean, std, strict=True)
        ]
    table["runs"] = summary["n_runs"]
    return table


def to_markdown(summary: pd.DataFrame) -> str:
    return mean_std_strings(summary).to_markdown(index=False) + "\n"


def to_latex(summary: pd.DataFrame) -> str:
    table = mean_std_strings(summary, pm=r"$\pm$")
    table.columns = [str(c).replace("_", r"\_") for c in table.columns]
    for column in ("dataset", "architecture"):
        table[column] = table[column].str.replace("_", r"\_")
    return table.to_latex(index=False, escape=False)
