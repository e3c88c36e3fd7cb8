"""Finding (i), the CES-DCI trade-off: does a more disentangled code go with weaker effects?

Tested as the correlation of model CES with DCI disentanglement over all (architecture, seed) runs
of a dataset, and pooled over datasets on within-dataset z-scores, so that datasets whose CES
scales differ (channels, image statistics) do not manufacture a correlation between them.

VQ-VAE's continuous CES is near zero by construction (finding iv), so a second set of rows
repeats the test without discrete-latent runs: it shows whether one architecture drives the result.
"""

from __future__ import annotations

import math

import pandas as pd

from vaecausal.analysis.coverage import DISCRETE_ARCHITECTURES
from vaecausal.analysis.findings.text import ALPHA, interval, number, p_value, verdict
from vaecausal.analysis.stats import METHODS, correlation_test

POOLED = "pooled"
ALL_RUNS, CONTINUOUS_RUNS = "all architectures", "continuous latents only"
COLUMNS = [
    "runs",
    "dataset",
    "dataset_label",
    "method",
    "n_runs",
    "n_datasets",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n_boot_valid",
    "note",
]


def _absent(runs: pd.DataFrame, columns: tuple[str, str]) -> str:
    """Why the test cannot run at all ('' when both metrics exist somewhere)."""
    lacking = [c for c in columns if c not in runs or runs[c].isna().all()]
    return f"no run reports {', '.join(lacking)}" if lacking else ""


def _rows(runs: pd.DataFrame, run_set: str, ces: str, dci: str, **resampling: int) -> list[dict]:
    """Per-dataset and pooled rows, Pearson and Spearman, for one set of runs."""
    absent = _absent(runs, (ces, dci))
    labels = runs.drop_duplicates("dataset").set_index("dataset")["dataset_label"]
    scopes = [(d, runs[runs["dataset"] == d], str(labels[d])) for d in labels.index]
    scopes.append((POOLED, runs, "all datasets (within-dataset z-scores)"))
    rows = []
    for dataset, subset, label in scopes:
        for method in METHODS:
            row = {"runs": run_set, "dataset": dataset, "dataset_label": label, "method": method}
            if absent:
                rows.append({**row, "n_runs": 0, "n_datasets": 0, "note": absent})
                continue
            test = correlation_test(
                subset[dci].to_numpy(float),
                subset[ces].to_numpy(float),
                groups=subset["dataset"].to_numpy(),
                method=method,
                **resampling,
            )
            rows.append(
                {
                    **row,
                    "n_runs": test.n,
                    "n_datasets": test.n_groups,
                    "estimate": test.estimate,
                    "ci_low": test.ci_low,
                    "ci_high": test.ci_high,
                    "p_value": test.p_value,
                    "n_boot_valid": test.n_boot_valid,
                    "note": test.note,
                }
            )
    return rows


def ces_dci_correlations(
    runs: pd.DataFrame,
    ces: str = "ces",
    dci: str = "dci_disentanglement",
    n_boot: int = 2000,
    n_perm: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Rows per run set ('all architectures', and 'continuous latents only' when the study has
    discrete-latent runs), dataset (then 'pooled') and method (Pearson, Spearman)."""
    resampling = {"n_boot": n_boot, "n_perm": n_perm, "seed": seed}
    rows = _rows(runs, ALL_RUNS, ces, dci, **resampling)
    discrete = runs["architecture"].isin(DISCRETE_ARCHITECTURES)
    if discrete.any():
        rows += _rows(runs[~discrete], CONTINUOUS_RUNS, ces, dci, **resampling)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["note"] = table["note"].fillna("")
    return table.astype({"n_runs": int, "n_datasets": int})


def _estimate(row: pd.Series, symbol: str) -> str:
    if math.isnan(row["estimate"]):
        return f"{symbol} n/a ({row['note']})"
    return (
        f"{symbol} = {number(row['estimate'])} ({interval(row['ci_low'], row['ci_high'])}, "
        f"{p_value(row['p_value'])}, n = {row['n_runs']})"
    )


def _judge(spearman: pd.Series) -> tuple[str, str]:
    """Verdict word and reason from a pooled Spearman row."""
    if math.isnan(spearman["estimate"]):
        return "insufficient data", f"no correlation can be estimated: {spearman['note']}"
    significant = spearman["p_value"] < ALPHA
    if significant and spearman["ci_high"] < 0:
        return "supported", "models with higher DCI have lower CES within a dataset"
    if significant and spearman["ci_low"] > 0:
        return "contradicted", "CES rises with DCI within a dataset (no trade-off)"
    return "not supported", "no significant within-dataset association"


def describe(correlations: pd.DataFrame) -> list[str]:
    """Plain-words verdict: a trade-off is a significant negative within-dataset correlation.

    Spearman is the primary estimate: one architecture with an extreme CES (VQ-VAE's is near zero
    by construction) can drive Pearson's r on its own.
    """
    rows = correlations.set_index(["runs", "dataset", "method"])
    spearman = rows.loc[(ALL_RUNS, POOLED, "spearman")]
    pearson = rows.loc[(ALL_RUNS, POOLED, "pearson")]
    word, reason = _judge(spearman)
    datasets = int(spearman["n_datasets"])
    if word == "insufficient data":
        return [verdict(word, reason + ".")]
    lines = [
        verdict(word, f"{reason}; pooled Spearman's ρ over {datasets} dataset(s) is the test."),
        f"Pooled on within-dataset z-scores, all architectures: {_estimate(spearman, 'Spearman ρ')}"
        f"; {_estimate(pearson, 'Pearson r')}.",
    ]
    if datasets == 1:
        lines.append(
            "Only one dataset contributes: the pooled estimate is that dataset's, and whether "
            "the trade-off holds across datasets is untested."
        )
    if spearman["estimate"] * pearson["estimate"] < 0:
        lines.append("Pearson and Spearman disagree in sign: a few extreme runs drive r.")
    if CONTINUOUS_RUNS in set(correlations["runs"]):
        continuous = rows.loc[(CONTINUOUS_RUNS, POOLED, "spearman")]
        other_word, _ = _judge(continuous)
        lines.append(
            "Without VQ-VAE (its continuous CES is near zero by construction, finding iv): "
            f"{_estimate(continuous, 'Spearman ρ')}; "
            f"{_estimate(rows.loc[(CONTINUOUS_RUNS, POOLED, 'pearson')], 'Pearson r')}; "
            + (
                "same verdict."
                if other_word == word
                else f"verdict on these runs alone: {other_word}."
            )
        )
    per_dataset = [d for d in dict.fromkeys(correlations["dataset"]) if d != POOLED]
    lines.append("Per dataset, all architectures and seeds:")
    for dataset in per_dataset:
        spearman = rows.loc[(ALL_RUNS, dataset, "spearman")]
        pearson = rows.loc[(ALL_RUNS, dataset, "pearson")]
        lines.append(
            f"- {spearman['dataset_label']}: {_estimate(spearman, 'ρ')}; {_estimate(pearson, 'r')}"
        )
    return lines
