"""Finding (ii), the beta-VAE capacity bottleneck: beta-VAE loses DCI disentanglement against VAE
as the number of varying factors approaches (and passes) the number of latent dimensions.

The claim is a trend, so it is tested as one: the slope of the gap beta-VAE vs VAE against
factors / latents, within a dataset whose VAE and beta-VAE were trained at several latent sizes
(a latent-size sweep: a study's ``vae_*`` and ``beta_vae_*`` architectures of families ``vae`` and
``beta_vae`` with their own ``n_latents``). Across datasets the ratio changes together with
everything else about the dataset, so a dataset with one latent size gives a gap but no evidence
on the trend. Every interval is a Welch t interval over seeds, valid at 2 or 3 runs per cell.

The gap is taken on log DCI: log(beta-VAE DCI) - log(VAE DCI), the log of their ratio of
geometric means. DCI is a positive score whose seed noise grows with its level and is skewed
(one seed near 0, one far above): on the raw scale one skewed, noisy cell (lognormal seeds with a
coefficient of variation of 1.6) drove false "supported" to 5.8% (10.3% in an extreme case) in an
independent null simulation; on the log scale the cell's noise is symmetric again
(tests/analysis/test_finding_capacity.py). A DCI below LOG_FLOOR is set to it before the log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaecausal.analysis.findings.text import interval, mean_std, number, p_value, verdict
from vaecausal.analysis.stats import WelchContrast, finite_mean, finite_std, welch_contrast

BASELINE, TREATED = "vae", "beta_vae"  # architecture families
# Datasets whose "factors" are annotated attributes, not the factors that generated the images
# (CelebA's 40 binary attributes): their factors / latents says nothing about the capacity the
# images need, so they get no ratio and stay out of the trend.
ATTRIBUTE_DATASETS = frozenset({"celeba"})
MIN_LEVELS = 3  # latent sizes a sweep needs: two points always lie on a line
# DCI is floored here before its log: a score of exactly 0 (a collapsed run) has none, and one
# collapsed seed should weigh as a very low score rather than remove the cell.
LOG_FLOOR = 1e-3
POOLED = "pooled"
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
    "vae_log_mean",
    "vae_log_std",
    "beta_vae_log_mean",
    "beta_vae_log_std",
    "difference",
    "ratio",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "in_trend",
    "note",
]
TREND_COLUMNS = [
    "dataset",
    "dataset_label",
    "n_levels",
    "ratio_low",
    "ratio_high",
    "n_runs",
    "slope",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "p_decrease",
    "note",
]


def families(runs: pd.DataFrame) -> pd.Series:
    """Each run's architecture family: the ``family`` its metrics.json records (the study's
    configuration for records that predate it), else the architecture's own name (runs of one
    family differ only in size)."""
    if "family" in runs:
        return runs["family"].fillna(runs["architecture"])
    return runs["architecture"]


def strength_variants(runs: pd.DataFrame) -> pd.Series:
    """Whether each run is of a strength variant (``strength_of`` recorded by the tables stage)."""
    if "strength_of" not in runs:
        return pd.Series(False, index=runs.index)
    return runs["strength_of"].notna() & runs["strength_of"].astype(str).ne("")


def reference_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of architectures that are no other's size or strength variant. A size variant
    (``vae_d3``) is its family at another latent size: it enters finding (ii) only; a strength
    variant (``beta_vae_b8``, ``strength_of: beta_vae``) enters finding (i)'s model population
    only. So findings (iii) and (iv) count each architecture once, at its reference settings."""
    return runs[(families(runs) == runs["architecture"]) & ~strength_variants(runs)]


def _first(values: pd.Series) -> float:
    """The setting shared by a group's runs (NaN when no run reports it)."""
    finite = values.dropna()
    return float(finite.iloc[0]) if len(finite) else np.nan


def log_dci(values: np.ndarray) -> np.ndarray:
    """The scale the gap is tested on: log DCI, floored at LOG_FLOOR."""
    return np.log(np.maximum(np.asarray(values, dtype=float), LOG_FLOOR))


def _cell(values: np.ndarray, family: str) -> dict[str, float]:
    logs = log_dci(values)
    return {
        f"{family}_mean": finite_mean(values),
        f"{family}_std": finite_std(values),
        f"{family}_n": len(values),
        f"{family}_log_mean": finite_mean(logs),
        f"{family}_log_std": finite_std(logs),
    }


def _level_row(dataset: str, n_latents: float, group: pd.DataFrame, metric: str) -> dict:
    """One (dataset, latent size): both families' DCI and the Welch interval of their gap on log
    DCI (``difference``; ``ratio`` = exp(difference), the ratio of geometric means)."""
    values = {
        family: group.loc[group["family"] == family, metric].dropna().to_numpy(float)
        for family in (BASELINE, TREATED)
    }
    row = {"dataset": dataset, "dataset_label": group["dataset_label"].iloc[0]}
    row |= _cell(values[BASELINE], BASELINE) | _cell(values[TREATED], TREATED)
    gap = welch_contrast(
        [1.0, -1.0],
        [row["beta_vae_log_mean"], row["vae_log_mean"]],
        [row["beta_vae_log_std"] ** 2, row["vae_log_std"] ** 2],
        [row["beta_vae_n"], row["vae_n"]],
    )
    n_factors = _first(group["n_factors"])
    notes = [f"no {family} run with {metric}" for family, v in values.items() if len(v) == 0]
    ratio = n_factors / n_latents
    if dataset in ATTRIBUTE_DATASETS:
        ratio = np.nan
        notes.append("factors are annotated attributes, not generative factors: no ratio")
    elif np.isnan(ratio):
        notes.append("n_factors or n_latents not reported")
    if not notes and np.isnan(gap.ci_low):
        notes.append("fewer than 2 runs of an architecture or no seed variation: no interval")
    return row | {
        "n_latents": n_latents,
        "n_factors": n_factors,
        "factors_per_latent": ratio,
        "difference": gap.estimate,
        "ratio": np.exp(gap.estimate),
        "se": gap.se,
        "df": gap.df,
        "ci_low": gap.ci_low,
        "ci_high": gap.ci_high,
        "note": "; ".join(notes),
    }


def _usable(table: pd.DataFrame) -> pd.Series:
    """Levels that can enter a slope: on the ratio axis, with 2+ runs of each family."""
    return table["factors_per_latent"].notna() & (table["vae_n"] >= 2) & (table["beta_vae_n"] >= 2)


def _mark_trend(table: pd.DataFrame) -> pd.DataFrame:
    """``in_trend``: the usable levels of a dataset with MIN_LEVELS of them (a sweep); the usable
    levels of a dataset without a sweep say why they give no slope."""
    usable = _usable(table)
    levels = (
        table["factors_per_latent"].where(usable).groupby(table["dataset"]).transform("nunique")
    )
    in_trend = usable & (levels >= MIN_LEVELS)
    reason = levels.map(lambda k: f"{k:.0f} usable latent size(s) here, a trend needs {MIN_LEVELS}")
    short = usable & ~in_trend
    note = table["note"].where(~short, (table["note"] + "; " + reason).str.lstrip("; "))
    return table.assign(in_trend=in_trend, note=note)


def capacity_table(runs: pd.DataFrame, metric: str = "dci_disentanglement") -> pd.DataFrame:
    """beta-VAE vs VAE in ``metric`` per (dataset, n_latents): the difference of their mean log
    ``metric`` with a Welch t 95% CI."""
    pair = runs.assign(family=families(runs))
    pair = pair[pair["family"].isin([BASELINE, TREATED])]
    if metric not in pair or pair.empty:
        return pd.DataFrame(columns=COLUMNS)
    pair = pair.assign(
        n_latents=pair["n_latents"] if "n_latents" in pair else np.nan,
        n_factors=pair["n_factors"] if "n_factors" in pair else np.nan,
    )
    rows = [
        _level_row(dataset, n_latents, group, metric)
        for (dataset, n_latents), group in pair.groupby(["dataset", "n_latents"], dropna=False)
    ]
    table = _mark_trend(pd.DataFrame(rows, columns=COLUMNS))
    return table.sort_values(["factors_per_latent", "dataset", "n_latents"]).reset_index(drop=True)


def trend_weights(ratios: np.ndarray, datasets: np.ndarray) -> np.ndarray:
    """Weights c with slope = sum_l c_l gap_l: least squares of the gaps on the ratios centred
    within each dataset, so that a slope pooled over several sweeps compares latent sizes only
    within a dataset and never one dataset against another."""
    ratios = np.asarray(ratios, dtype=float)
    centred = ratios - pd.Series(ratios).groupby(np.asarray(datasets)).transform("mean").to_numpy()
    return centred / (centred**2).sum()


def gap_slope(
    weights: np.ndarray,
    treated: tuple[np.ndarray, np.ndarray, np.ndarray],
    baseline: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> WelchContrast:
    """The slope sum_l c_l (mean_beta,l - mean_vae,l) with its Welch t interval; ``treated`` and
    ``baseline`` are (means, sample variances, run counts) of log DCI per level (means and
    variances may carry leading simulation axes). Each family's seeds at each level are one
    independent cell, so the interval reflects seed-to-seed variation alone, the only noise these
    runs have."""
    return welch_contrast(
        np.concatenate([weights, -weights]),
        np.concatenate([treated[0], baseline[0]], axis=-1),
        np.concatenate([treated[1], baseline[1]], axis=-1),
        np.concatenate([treated[2], baseline[2]], axis=-1),
    )


def trend_verdicts(ci_low: np.ndarray, ci_high: np.ndarray) -> np.ndarray:
    """The verdict word of each slope interval. The claim (the gap falls as the ratio rises) is
    supported by a 95% CI below 0 and contradicted by one above 0: each has at most 2.5% chance
    on data without a trend, the two together at most 5%."""
    return np.select(
        [np.asarray(ci_high) < 0, np.asarray(ci_low) > 0],
        ["supported", "contradicted"],
        "inconclusive",
    )


def _trend_row(levels: pd.DataFrame, dataset: str, label: str) -> dict:
    """The slope over ``levels`` (rows of the capacity table in the trend)."""
    cells = {
        family: tuple(
            levels[f"{family}_{stat}"].to_numpy(float) ** power
            for stat, power in (("log_mean", 1), ("log_std", 2), ("n", 1))
        )
        for family in (TREATED, BASELINE)
    }
    weights = trend_weights(levels["factors_per_latent"], levels["dataset"])
    slope = gap_slope(weights, cells[TREATED], cells[BASELINE])
    return {
        "dataset": dataset,
        "dataset_label": label,
        "n_levels": len(levels),
        "ratio_low": levels["factors_per_latent"].min(),
        "ratio_high": levels["factors_per_latent"].max(),
        "n_runs": int(levels["vae_n"].sum() + levels["beta_vae_n"].sum()),
        "slope": slope.estimate,
        "se": slope.se,
        "df": slope.df,
        "ci_low": slope.ci_low,
        "ci_high": slope.ci_high,
        "p_decrease": slope.p_less,
        "note": "" if np.isfinite(slope.ci_low) else "no seed variation: no interval",
    }


def _untested_row(dataset: str, rows: pd.DataFrame) -> dict:
    """A dataset with gaps but no sweep: why it gives no slope."""
    ratios = rows.loc[_usable(rows), "factors_per_latent"]
    if dataset in ATTRIBUTE_DATASETS:
        note = "factors are annotated attributes, not generative factors: off the ratio axis"
    else:
        note = (
            f"{ratios.nunique()} latent size(s) with 2+ runs of each family, a trend needs "
            f"{MIN_LEVELS}"
        )
    return {
        "dataset": dataset,
        "dataset_label": rows["dataset_label"].iloc[0],
        "n_levels": ratios.nunique(),
        "ratio_low": ratios.min(),
        "ratio_high": ratios.max(),
        "n_runs": int(rows["vae_n"].sum() + rows["beta_vae_n"].sum()),
        "note": note,
    }


def capacity_trend(capacity: pd.DataFrame) -> pd.DataFrame:
    """The slope of beta-VAE - VAE against factors / latents per dataset with a latent-size
    sweep, a row saying why for every other dataset, and the slope pooled within datasets when
    several are swept. The finding's verdict rests on the pooled row, or on the single sweep."""
    compared = capacity.dropna(subset=["difference"])
    rows = []
    for dataset, group in compared.groupby("dataset", sort=False):
        levels = group[group["in_trend"].astype(bool)]
        label = group["dataset_label"].iloc[0]
        rows.append(
            _trend_row(levels, dataset, label) if len(levels) else _untested_row(dataset, group)
        )
    swept = compared[compared["in_trend"].astype(bool)]
    if swept["dataset"].nunique() > 1:
        label = f"pooled within {swept['dataset'].nunique()} datasets"
        rows.append(_trend_row(swept, POOLED, label))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _level_text(row: pd.Series) -> str:
    ratio = (
        f"{number(row['factors_per_latent'], 2)} factors per latent"
        if np.isfinite(row["factors_per_latent"])
        else "no ratio"
    )
    return (
        f"- {row['dataset_label']}, {number(row['n_latents'])} latents ({ratio}): "
        f"β-VAE {mean_std(row['beta_vae_mean'], row['beta_vae_std'])} (n = {row['beta_vae_n']}) "
        f"vs VAE {mean_std(row['vae_mean'], row['vae_std'])} (n = {row['vae_n']}); "
        f"log ratio {number(row['difference'])} ({interval(row['ci_low'], row['ci_high'])}; "
        f"ratio of geometric means {number(row['ratio'])})"
        + (f"; {row['note']}" if row["note"] else "")
    )


def _slope_text(row: pd.Series) -> str:
    if np.isnan(row["slope"]):
        return f"- {row['dataset_label']}: no slope ({row['note']})"
    return (
        f"- {row['dataset_label']}: slope {number(row['slope'])} per unit of factors/latent "
        f"({interval(row['ci_low'], row['ci_high'])}, {number(row['df'], 2)} df; one-sided "
        f"{p_value(row['p_decrease'])} for a falling gap) over {row['n_levels']} latent sizes "
        f"(factors/latent {number(row['ratio_low'], 2)} to {number(row['ratio_high'], 2)}, "
        f"{row['n_runs']} runs)" + (f"; {row['note']}" if row["note"] else "")
    )


def _no_sweep_reason(capacity: pd.DataFrame) -> str:
    reason = (
        f"no dataset has VAE and β-VAE with 2+ runs each at {MIN_LEVELS} or more latent sizes. "
        "Across datasets the factors/latents ratio changes with the dataset itself, so only a "
        "latent-size sweep within one dataset (a study of vae_* and beta_vae_* architectures at "
        "several n_latents) tests whether the gap falls as factors approach the latent dimension"
    )
    if capacity["dataset"].isin(ATTRIBUTE_DATASETS).any():
        reason += "; CelebA stays off the ratio axis (its factors are attributes)"
    return reason + "."


def primary_trend(trend: pd.DataFrame) -> pd.Series | None:
    """The slope the verdict rests on: the pooled row, else the one sweep; None without one."""
    tested = trend.dropna(subset=["slope"])
    if tested.empty:
        return None
    pooled = tested[tested["dataset"] == POOLED]
    return (pooled if len(pooled) else tested).iloc[0]


def finding_word(capacity: pd.DataFrame, trend: pd.DataFrame) -> str:
    """The finding's verdict: the primary slope's interval against 0."""
    if capacity.dropna(subset=["difference"]).empty:
        return "insufficient data"
    row = primary_trend(trend)
    return "inconclusive" if row is None else str(trend_verdicts(row["ci_low"], row["ci_high"]))


def _verdict_line(capacity: pd.DataFrame, trend: pd.DataFrame) -> str:
    row = primary_trend(trend)
    if row is None:
        return verdict("inconclusive", _no_sweep_reason(capacity))
    tested = trend.dropna(subset=["slope"])
    where = (
        f"the latent-size sweeps of {len(tested) - 1} datasets (slopes within datasets, pooled)"
        if row["dataset"] == POOLED
        else f"{row['dataset_label']}'s {row['n_levels']} latent sizes"
    )
    word = finding_word(capacity, trend)
    if np.isnan(row["ci_low"]):
        return verdict(word, f"the slope over {where} has no interval ({row['note']}).")
    meaning = {
        "supported": "the gap falls as factors approach the latent dimension",
        "contradicted": "the gap rises as factors approach the latent dimension",
        "inconclusive": "the interval spans 0, so these runs cannot tell a falling gap from none",
    }[word]
    return verdict(
        word,
        f"log(β-VAE / VAE DCI) changes by {number(row['slope'])} per unit of factors/latent "
        f"(the ratio × {number(np.exp(row['slope']))}) over "
        f"{where} ({interval(row['ci_low'], row['ci_high'])}, one-sided "
        f"{p_value(row['p_decrease'])}): {meaning}.",
    )


def describe(capacity: pd.DataFrame, trend: pd.DataFrame) -> list[str]:
    """Plain-words verdict from the slope of the gap against factors / latents, then the slopes
    and the gap at every (dataset, latent size)."""
    if capacity.dropna(subset=["difference"]).empty:
        reason = "no dataset has both VAE and β-VAE runs with DCI disentanglement"
        return [verdict("insufficient data", reason + ".")]
    lines = [
        _verdict_line(capacity, trend),
        "Slope of log(β-VAE / VAE DCI) against factors per latent dimension (least squares over a "
        "dataset's latent sizes; Welch t 95% CI over seeds; supported needs the CI below 0, "
        "contradicted above 0):",
    ]
    lines.extend(_slope_text(row) for _, row in trend.iterrows())
    lines.append(
        "β-VAE vs VAE DCI disentanglement per dataset and latent size (mean ± SD; log ratio of "
        "the families' mean log DCI with its Welch t 95% CI):"
    )
    lines.extend(_level_text(row) for _, row in capacity.iterrows())
    return lines
