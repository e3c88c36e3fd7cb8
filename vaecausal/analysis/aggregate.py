"""Gather every run's ``metrics.json`` into one tidy table and summarise it over seeds.

Runs come from branches of the pipeline that do not all compute the same metrics yet, and a
partial study may hold only some runs: every function here works on whatever subset of metric
columns exists, and a metric that no run reports is left out of the tables rather than shown empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from vaecausal.catalog import STANDARD_COLUMNS, STANDARD_METRICS

RUN_KEYS = ("dataset", "architecture", "seed")

# The summary's metrics, grouped as the tables show them: column -> display name. The standard
# scores are the catalog's (declared once per metric of ``metrics.suite``).
METRIC_GROUPS: dict[str, dict[str, str]] = {
    "Disentanglement (standard scores)": {c.key: c.label for c in STANDARD_COLUMNS},
    "Causal metrics": {
        "ces": "CES",
        "ces_rms": "CES_rms",
        "specificity": "specificity",
        "modularity": "circuit modularity",
        "circuit_overlap": "circuit overlap",
        "ces_discrete": "CES discrete",
        "ces_discrete_rms": "CES_rms discrete",
        "specificity_discrete": "specificity discrete",
        "modularity_discrete": "circuit modularity discrete",
        "code_change_share": "code change share",
    },
    "Model and training": {
        "n_active": "active latents",
        "reconstruction_loss": "recon. loss",
        "mean_image_loss": "mean-image loss",
        "training_seconds": "train time (s)",
    },
}
METRICS: dict[str, str] = {
    column: label for group in METRIC_GROUPS.values() for column, label in group.items()
}
# Per-run descriptors that are numbers but not metrics to average.
NUMERIC_DESCRIPTORS = ("seed", "n_latents", "n_factors")
# Numbers a run records for its own reading (diagnostics of its scope, oracle, training and
# codebook), kept in runs.csv and never summarised over seeds.
RUN_DIAGNOSTICS = (
    "n_analysed",
    "oracle_accuracy_floor",
    "training_late_improvement",
    "codebook_usage",
    "perplexity",
    "code_change_share_smallest_move",
    "smallest_move",
    "swap_slots_with_fallback",
)
# The causal metrics whose runs report a 95% bootstrap interval over their evaluation inputs
# (``m_ci_low``, ``m_ci_high``, and ``m_ci_n`` inputs resampled). An interval says how stable one
# run's number is, not how runs vary: the columns stay per run and are never averaged over seeds.
INTERVAL_METRICS = (
    "ces",
    "ces_rms",
    "specificity",
    "modularity",
    "circuit_overlap",
    "ces_discrete",
    "ces_discrete_rms",
    "specificity_discrete",
    "modularity_discrete",
)
INTERVAL_COLUMNS = tuple(
    f"{metric}_ci_{part}" for metric in INTERVAL_METRICS for part in ("low", "high", "n")
)


def undeclared_numbers(record: dict) -> list[str]:
    """The numbers of a ``metrics.json`` record that nothing here declares: not a metric of the
    tables (``METRIC_GROUPS``), an interval, a descriptor, a run diagnostic or a standard metric's
    diagnostic. A new measurement written to metrics.json and not declared would miss the summary
    unnoticed; the tiny study's test names each one (docs/extending.md)."""
    declared = {
        *METRICS,
        *NUMERIC_DESCRIPTORS,
        *INTERVAL_COLUMNS,
        *RUN_DIAGNOSTICS,
        *(key for metric in STANDARD_METRICS for key in metric.diagnostics),
    }
    numbers = (
        key
        for key, value in record.items()
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    )
    return sorted(key for key in numbers if key not in declared)


def readable_records(paths: Iterable[str | Path]) -> Iterator[dict]:
    """The whole ``metrics.json`` of every path that can be read (the tables stage reports the
    unreadable ones; tables built from runs skip them)."""
    for path in paths:
        try:
            yield json.loads(Path(path).read_text())
        except (OSError, ValueError):
            continue


def read_record(path: str | Path) -> dict:
    """A run's scalar entries (lists such as per-latent values are left out).

    ``n_factors`` is derived from the list of scored factors when the run predates that key.
    """
    record = json.loads(Path(path).read_text())
    scalars = {k: v for k, v in record.items() if not isinstance(v, list | dict)}
    if "n_factors" not in scalars and isinstance(record.get("dci_factors"), list):
        scalars["n_factors"] = len(record["dci_factors"])
    return scalars


def runs_table(records: Iterable[dict]) -> pd.DataFrame:
    """One row per run, metric and interval columns numeric (JSON nulls become NaN), sorted by
    run identity."""
    runs = pd.DataFrame(list(records))
    for key in RUN_KEYS:
        if key not in runs:
            runs[key] = pd.Series(dtype="float64" if key == "seed" else "str")
    for column in (*METRICS, *NUMERIC_DESCRIPTORS, *INTERVAL_COLUMNS):
        if column in runs:
            runs[column] = pd.to_numeric(runs[column], errors="coerce")
    if "dataset_label" not in runs:
        runs["dataset_label"] = runs["dataset"]
    runs["dataset_label"] = runs["dataset_label"].fillna(runs["dataset"])
    runs["discrete"] = discrete_runs(runs)
    runs["collapsed"] = collapsed(runs)
    runs["still_improving"] = still_improving(runs)
    order = [*RUN_KEYS, *(["n_latents"] if "n_latents" in runs else [])]
    return runs.sort_values(order).reset_index(drop=True)


# What a discrete-latent run reports beside its metrics (the codebook's use): the property of runs
# written before ``discrete`` was recorded.
CODEBOOK_USAGE = "codebook_usage"


def discrete_runs(runs: pd.DataFrame) -> pd.Series:
    """Whether each run's latent is discrete, as its ``metrics.json`` records it (``discrete``);
    a record or runs table that predates the key is discrete when it reports codebook usage.
    Decided by what the run recorded, never by its architecture's name: a user's VQ model under
    any name is discrete."""
    reported = (
        runs[CODEBOOK_USAGE].notna()
        if CODEBOOK_USAGE in runs
        else pd.Series(False, index=runs.index)
    )
    if "discrete" not in runs:
        return reported
    return runs["discrete"].eq(True) | (runs["discrete"].isna() & reported)


# A run whose reconstruction loss is above this share of the mean image's learned nothing of use:
# healthy runs of the default study reach 0.14-0.32, collapsed ones 0.98-1.0.
COLLAPSED_RECONSTRUCTION = 0.9


def collapsed(runs: pd.DataFrame) -> pd.Series:
    """Which runs collapsed: no active latent (every posterior at the prior), or a reconstruction
    hardly better than the dataset's mean image (above ``COLLAPSED_RECONSTRUCTION`` of its loss:
    latents can pass the KL threshold while the decoder still draws the mean image). Such a run
    learned nothing, so its metrics describe an untrained code: it is flagged wherever it enters
    a table or a finding."""
    flag = pd.Series(False, index=runs.index)
    if "n_active" in runs:
        flag |= runs["n_active"] == 0
    if {"reconstruction_loss", "mean_image_loss"} <= set(runs):
        flag |= runs["reconstruction_loss"] > COLLAPSED_RECONSTRUCTION * runs["mean_image_loss"]
    return flag


# A run whose mean loss fell by more than this share over the last fifth of training had not
# reached its plateau: window means of mini-batch losses vary by about 2% on a plateau.
PLATEAU_TOLERANCE = 0.05


def still_improving(runs: pd.DataFrame) -> pd.Series:
    """Which runs ended training with the loss still falling (``training_late_improvement`` above
    ``PLATEAU_TOLERANCE``): their metrics describe a model short of convergence. Runs without the
    diagnostic are not flagged."""
    if "training_late_improvement" not in runs:
        return pd.Series(False, index=runs.index)
    late = pd.to_numeric(runs["training_late_improvement"], errors="coerce")
    return late > PLATEAU_TOLERANCE


def load_runs(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The tidy runs table of the given ``metrics.json`` files."""
    return runs_table(read_record(path) for path in paths)


def present_metrics(runs: pd.DataFrame) -> list[str]:
    """Metrics, in table order, that at least one run reports."""
    return [m for m in METRICS if m in runs and runs[m].notna().any()]


def group_keys(runs: pd.DataFrame) -> list[str]:
    """dataset x architecture, split by latent size too when a sweep varies it within a pair."""
    keys = ["dataset", "architecture"]
    if "n_latents" in runs and (runs.groupby(keys)["n_latents"].nunique() > 1).any():
        keys.append("n_latents")
    return keys


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1), run count and collapsed-run count per dataset x
    architecture."""
    keys = group_keys(runs)
    metrics = present_metrics(runs)
    grouped = runs.groupby(keys, sort=True)
    counts = grouped.size().rename("n_runs").to_frame()
    if "collapsed" in runs:
        counts = counts.join(grouped["collapsed"].sum().astype(int).rename("n_collapsed"))
    if not metrics:
        return counts.reset_index()
    summary = grouped[metrics].agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    return summary.join(counts).reset_index()


def summary_metrics(summary: pd.DataFrame) -> list[str]:
    """Metrics, in table order, that the summary holds."""
    return [m for m in METRICS if f"{m}_mean" in summary]


def _mean_std(mean: float, std: float, digits: int, pm: str, missing: str) -> str:
    if pd.isna(mean):
        return missing
    if pd.isna(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} {pm} {std:.{digits}f}"


def mean_std_strings(
    summary: pd.DataFrame,
    metrics: list[str] | None = None,
    digits: int = 3,
    pm: str = "±",
    missing: str = "–",
) -> pd.DataFrame:
    """The summary as display strings 'mean ± std' ('–' where no run has the metric)."""
    keys = [k for k in ("dataset", "architecture", "n_latents") if k in summary]
    table = summary[keys].copy()
    for metric in summary_metrics(summary) if metrics is None else metrics:
        table[METRICS[metric]] = [
            _mean_std(m, s, digits, pm, missing)
            for m, s in zip(summary[f"{metric}_mean"], summary[f"{metric}_std"], strict=True)
        ]
    table["runs"] = summary["n_runs"].astype(str)
    if "n_collapsed" in summary:
        flagged = summary["n_collapsed"] > 0
        table.loc[flagged, "runs"] += " (" + summary.loc[flagged, "n_collapsed"].astype(str)
        table.loc[flagged, "runs"] += " collapsed)"
    return table


def _groups(summary: pd.DataFrame) -> dict[str, list[str]]:
    """The metric groups that hold at least one of the summary's metrics."""
    held = set(summary_metrics(summary))
    groups = {title: [m for m in group if m in held] for title, group in METRIC_GROUPS.items()}
    return {title: metrics for title, metrics in groups.items() if metrics}


def to_markdown(summary: pd.DataFrame) -> str:
    """One Markdown table per metric group, so a full study stays readable on a screen."""
    sections = [
        f"### {title}\n\n{mean_std_strings(summary, metrics).to_markdown(index=False)}\n"
        for title, metrics in _groups(summary).items()
    ]
    return "\n".join(sections) if sections else "No metrics were reported by any run.\n"


def _latex_escape(text: str) -> str:
    return text.replace("_", r"\_").replace("&", r"\&")


def to_latex(summary: pd.DataFrame) -> str:
    """One LaTeX tabular per metric group, mean $\\pm$ std over seeds."""
    sections = []
    for title, metrics in _groups(summary).items():
        table = mean_std_strings(summary, metrics, pm=r"$\pm$", missing="--")
        table.columns = [_latex_escape(str(c)) for c in table.columns]
        for column in ("dataset", "architecture"):
            table[column] = table[column].map(_latex_escape)
        sections.append(f"% {title}\n" + table.to_latex(index=False, escape=False))
    return "\n".join(sections)
