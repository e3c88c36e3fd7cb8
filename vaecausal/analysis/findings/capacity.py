"""Finding (ii), the beta-VAE capacity bottleneck: beta-VAE's DCI against VAE's as the number of
varying factors approaches the number of latent dimensions.

The x-axis is n_factors / n_latents per dataset. With one latent size per dataset the datasets
themselves supply the spread of that ratio; a latent-dimension sweep (runs of one dataset with
several n_latents) gives one row per (dataset, n_latents) and makes the test direct.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaecausal.analysis.findings.text import interval, mean_std, number, verdict
from vaecausal.analysis.stats import bootstrap_difference_ci, finite_mean, finite_std

BASELINE, TREATED = "vae", "beta_vae"
COLUMNS = [
    "dataset",
    "dataset_label",
    "n_latents",
    "n_factors",
    "factors_per_latent",
    "vae_mean",
    "vae_std",
    "vae_n",
    "beta_vae_mean",
    "beta_vae_std",
    "beta_vae_n",
    "difference",
    "ci_low",
    "ci_high",
    "note",
]


def _first(values: pd.Series) -> float:
    """The setting shared by a group's runs (NaN when no run reports it)."""
    finite = values.dropna()
    return float(finite.iloc[0]) if len(finite) else np.nan


def capacity_table(
    runs: pd.DataFrame, metric: str = "dci_disentanglement", n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """beta-VAE minus VAE in ``metric`` per (dataset, n_latents), with a bootstrap 95% CI."""
    pair = runs[runs["architecture"].isin([BASELINE, TREATED])]
    if metric not in pair or pair.empty:
        return pd.DataFrame(columns=COLUMNS)
    pair = pair.assign(
        n_latents=pair["n_latents"] if "n_latents" in pair else np.nan,
        n_factors=pair["n_factors"] if "n_factors" in pair else np.nan,
    )
    rows = []
    for (dataset, n_latents), group in pair.groupby(["dataset", "n_latents"], dropna=False):
        values = {
            arch: group.loc[group["architecture"] == arch, metric].dropna().to_numpy(float)
            for arch in (BASELINE, TREATED)
        }
        n_factors = _first(group["n_factors"])
        notes = [f"no {arch} run with {metric}" for arch, v in values.items() if len(v) == 0]
        if np.isnan(n_factors) or np.isnan(n_latents):
            notes.append("n_factors or n_latents not reported")
        low, high = bootstrap_difference_ci(values[TREATED], values[BASELINE], n_boot, seed)
        if not notes and np.isnan(low):
            notes.append("fewer than 2 runs per architecture: no CI")
        row = {
            "dataset": dataset,
            "dataset_label": group["dataset_label"].iloc[0],
            "n_latents": n_latents,
            "n_factors": n_factors,
            "factors_per_latent": n_factors / n_latents,
            "difference": finite_mean(values[TREATED]) - finite_mean(values[BASELINE]),
            "ci_low": low,
            "ci_high": high,
            "note": "; ".join(notes),
        }
        for arch, v in values.items():
            row |= {
                f"{arch}_mean": finite_mean(v),
                f"{arch}_std": finite_std(v),
                f"{arch}_n": len(v),
            }
        rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["factors_per_latent", "dataset"]).reset_index(drop=True)


def _row_text(row: pd.Series) -> str:
    return (
        f"- {row['dataset_label']} ({number(row['n_factors'])} factors / "
        f"{number(row['n_latents'])} latents = {number(row['factors_per_latent'], 2)}): "
        f"β-VAE {mean_std(row['beta_vae_mean'], row['beta_vae_std'])} (n = {row['beta_vae_n']}) "
        f"vs VAE {mean_std(row['vae_mean'], row['vae_std'])} (n = {row['vae_n']}); "
        f"difference {number(row['difference'])} ({interval(row['ci_low'], row['ci_high'])})"
        + (f"; {row['note']}" if row["note"] else "")
    )


def describe(capacity: pd.DataFrame) -> list[str]:
    """Plain-words verdict: the bottleneck shows as beta-VAE falling below VAE at the highest
    factors-per-latent ratio, and further below there than at the lowest ratio."""
    compared = capacity.dropna(subset=["difference"])
    if compared.empty:
        reason = "no dataset has both VAE and β-VAE runs with DCI disentanglement"
        return [verdict("insufficient data", reason + ".")]
    placed = compared.dropna(subset=["factors_per_latent"])
    by_ratio = placed.groupby("factors_per_latent")
    lines = []
    if by_ratio.ngroups < 2:
        where = "one factors-per-latent ratio" if by_ratio.ngroups else "no factors/latents count"
        below, above = int((compared["ci_high"] < 0).sum()), int((compared["ci_low"] > 0).sum())
        lines.append(
            verdict(
                "insufficient data",
                f"the runs give {where}, so how the gap changes as factors approach the latent "
                "dimension cannot be tested; a latent-dimension sweep or more datasets are needed. "
                f"β-VAE is significantly below VAE in {below} and above it in {above} of "
                f"{len(compared)} comparison(s).",
            )
        )
    else:
        low, high = by_ratio.first().index.min(), by_ratio.first().index.max()
        at_low = placed[placed["factors_per_latent"] == low]
        at_high = placed[placed["factors_per_latent"] == high]
        gap_low, gap_high = at_low["difference"].mean(), at_high["difference"].mean()
        significant = bool((at_high["ci_high"] < 0).all())
        if significant and gap_high < gap_low:
            word = "supported"
        elif (at_high["ci_low"] > 0).all():
            word = "contradicted"
        else:
            word = "not supported"
        strength = "CI below 0" if significant else "CI spans 0 or no CI"
        lines.append(
            verdict(
                word,
                f"β-VAE minus VAE DCI is {number(gap_high)} at {number(high, 2)} factors per "
                f"latent (the tightest bottleneck; {strength}) and {number(gap_low)} at "
                f"{number(low, 2)}.",
            )
        )
    lines.append("β-VAE vs VAE DCI disentanglement, by factors per latent dimension:")
    lines.extend(_row_text(row) for _, row in capacity.iterrows())
    return lines
