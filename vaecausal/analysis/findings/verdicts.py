"""The four verdicts at a glance: one row per finding with the number it rests on.

Each row holds the finding's verdict (from the same function its section of ``findings.md``
uses), the primary estimate with its interval and p-value, the runs behind it, and a short detail.
It is the table a reader quotes, so it repeats nothing the tests did not compute.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vaecausal.analysis.findings import capacity, discrete, ranking, tradeoff
from vaecausal.analysis.findings.text import number, percent

COLUMNS = [
    "finding",
    "verdict",
    "estimate_of",
    "estimate",
    "interval",
    "ci_low",
    "ci_high",
    "p_value",
    "p_of",
    "n_runs",
    "detail",
]
NO_INTERVAL = "none"


def _row(finding: str, verdict: str, **values) -> dict:
    """A verdict row; a finding that cannot be estimated keeps the defaults (no estimate)."""
    defaults = {
        "estimate": np.nan,
        "n_runs": 0,
        "detail": "",
        "interval": NO_INTERVAL,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
        "p_of": "",
    }
    return {"finding": finding, "verdict": verdict, **defaults, **values}


def tradeoff_row(correlations: pd.DataFrame) -> dict:
    word = tradeoff.finding_word(correlations)
    finding = "(i) CES–DCI trade-off"
    if word == "insufficient data":
        return _row(finding, word, estimate_of="Spearman ρ")
    spearman = tradeoff.primary_row(correlations)
    secondary = tradeoff.secondary_row(correlations)
    direction = "ρ < 0" if spearman["alternative"] == "less" else "ρ > 0"
    return _row(
        finding,
        word,
        estimate_of="Spearman ρ, CES vs DCI (continuous-latent model means, pooled)",
        estimate=spearman["estimate"],
        p_value=spearman["p_opposite"] if word == "contradicted" else spearman["p_value"],
        p_of=f"one-sided permutation of model labels, "
        f"{'against ' if word == 'contradicted' else ''}{direction} as declared",
        n_runs=int(spearman["n_runs"]),
        detail=f"{spearman['n_architectures']} models on {spearman['n_datasets']} "
        f"dataset(s); smallest reachable p {number(spearman['p_floor'], 2)}; ρ "
        f"{number(spearman['loo_low'])} to {number(spearman['loo_high'])} leaving one "
        f"model out; architecture level (secondary): ρ = {number(secondary['estimate'])}, "
        f"p = {number(secondary['p_value'], 2)} over {secondary['n_architectures']} "
        "architectures",
    )


def capacity_row(table: pd.DataFrame, trend: pd.DataFrame) -> dict:
    word = capacity.finding_word(table, trend)
    finding = "(ii) β-VAE capacity bottleneck"
    estimate_of = "slope of log(β-VAE / VAE DCI) per unit of factors/latent"
    row = capacity.primary_trend(trend)
    if row is None:
        return _row(finding, word, estimate_of=estimate_of, detail="no sweep")
    return _row(
        finding,
        word,
        estimate_of=estimate_of,
        estimate=row["slope"],
        interval="95% Welch t",
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        p_value=row["p_decrease"],
        p_of="one-sided, slope < 0",
        n_runs=int(row["n_runs"]),
        detail=f"{row['dataset_label']}: {row['n_levels']} latent sizes, factors per latent "
        f"{number(row['ratio_low'])} to {number(row['ratio_high'])}",
    )


def _ranking_detail(top: pd.DataFrame) -> str:
    """Per metric: its verdict and each dataset's top architecture, marked when it is clear."""
    parts = []
    for metric, rows in top.groupby("metric", sort=False):
        tops = ", ".join(
            f"{r.top}{' (clear)' if r.clear else ''} on {r.dataset_label}"
            for r in rows.itertuples()
        )
        parts.append(
            f"{ranking.RANK_METRICS.get(metric, metric)}: {rows['metric_verdict'].iloc[0]} ({tops})"
        )
    return "; ".join(parts)


def ranking_row(top: pd.DataFrame, runs: pd.DataFrame) -> dict:
    word = ranking.finding_word(top)
    finding = "(iii) No single winner"
    estimate_of = "share of seed resamples that change the top architecture"
    if top.empty:
        return _row(finding, word, estimate_of=estimate_of)
    metrics = top.drop_duplicates("metric")
    deciding = {
        ranking.SUPPORTED: metrics["p_supported"].min(),
        ranking.CONTRADICTED: metrics["p_contradicted"].min(),
    }
    p = deciding.get(word, metrics["p_supported"].min())
    scored = runs[[m for m in ranking.RANK_METRICS if m in runs]].notna().any(axis=1)
    return _row(
        finding,
        word,
        estimate_of=estimate_of,
        estimate=float(top["top_change_share"].mean()),
        p_value=p,
        p_of="Welch t, Bonferroni-corrected, of the "
        + ("'contradicted'" if word == ranking.CONTRADICTED else "'supported'")
        + " rule",
        n_runs=int(scored.sum()),
        detail=_ranking_detail(top),
    )


def discrete_row(table: pd.DataFrame) -> dict:
    word = discrete.finding_word(table)
    finding = "(iv) Discrete limitation of VQ-VAE"
    estimate_of = "VQ-VAE's continuous CES / the others'"
    tested = table[table["p_below_margin"].notna()] if len(table) else table
    if tested.empty:
        return _row(finding, word, estimate_of=estimate_of)
    # the row shown is the one that decides: the dataset most clearly above the margin for
    # 'contradicted', else the least favourable one, which decides 'supported'
    contradicted = word == "contradicted"
    row = tested.loc[
        tested["p_above_margin"].idxmin()
        if contradicted
        else tested["continuous_to_others_ci_high"].idxmax()
    ]
    detail = "; ".join(
        f"{r.dataset_label}: {number(r.continuous_to_others)} "
        f"[{number(r.continuous_to_others_ci_low)}, {number(r.continuous_to_others_ci_high)}]"
        + (
            ""
            if math.isnan(r.code_change_share_mean)
            else f", codes changed in {percent(r.code_change_share_mean)} of perturbations"
        )
        for r in tested.itertuples()
    )
    return _row(
        finding,
        word,
        estimate_of=estimate_of + f" (margin {number(discrete.MARGIN)}; deciding dataset)",
        estimate=row["continuous_to_others"],
        interval="95% Behrens–Fisher on log CES",
        ci_low=row["continuous_to_others_ci_low"],
        ci_high=row["continuous_to_others_ci_high"],
        p_value=row["p_above_margin" if contradicted else "p_below_margin"],
        p_of=f"one-sided, ratio {'above' if contradicted else 'below'} the margin",
        n_runs=int((tested["n_runs"] + tested["n_other_runs"]).sum()),
        detail=detail,
    )


def verdict_table(findings_tables: dict[str, pd.DataFrame], runs: pd.DataFrame) -> pd.DataFrame:
    """One row per finding, from the findings' tables (file stem -> table) and the runs."""
    rows = [
        tradeoff_row(findings_tables["ces_dci_correlation"]),
        capacity_row(findings_tables["capacity_bottleneck"], findings_tables["capacity_trend"]),
        ranking_row(findings_tables["top_architectures"], runs),
        discrete_row(findings_tables["vq_discrete_ces"]),
    ]
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def glance(verdicts: pd.DataFrame) -> str:
    """The verdicts as a short Markdown table: finding, verdict, estimate with its interval, p
    and runs (the full rows are in ``verdicts.csv``)."""

    def estimate(row: pd.Series) -> str:
        if math.isnan(row["estimate"]):
            return "n/a"
        text = f"{row['estimate_of']}: {number(row['estimate'])}"
        if not math.isnan(row["ci_low"]):
            text += f" [{number(row['ci_low'])}, {number(row['ci_high'])}]"
        return text

    table = pd.DataFrame(
        {
            "finding": verdicts["finding"],
            "verdict": verdicts["verdict"],
            "estimate [95% CI]": verdicts.apply(estimate, axis=1),
            "p": [("n/a" if math.isnan(p) else f"{p:.2g}") for p in verdicts["p_value"]],
            "runs": verdicts["n_runs"],
        }
    )
    return table.to_markdown(index=False)
