"""Finding (iv), the discrete limitation: VQ-VAE's continuous CES near zero beside its discrete CES.

The study moves slot i of z_e by v times its standard deviation (the additive form, per image);
a small move snaps back to the same code after quantisation, so a VQ-VAE's continuous CES is
expected near zero while swapping codes (discrete CES) moves the output. "Near zero" is relative:
per dataset, R = VQ-VAE's continuous CES over the continuous architectures' CES, and the claim is
R < MARGIN. Discrete CES and the code-change shares (the share of (image, slot, value) perturbations
that put the slot on another code, over the whole grid and at its smallest move |v| > 0) stand
beside it as description: they say whether moves did snap back, not whether the claim holds.

The test. CES varies multiplicatively (datasets differ in scale, architectures by factors), so R
is taken on log CES: log R = mean log CES of the VQ-VAE runs - mean over the other architectures of
each one's mean log CES over its seeds (a ratio of geometric means). Its 95% interval and one-sided
p-values at the margin use the Behrens-Fisher distribution with the VQ-VAE runs (2-3 seeds, n - 1
degrees of freedom) and the other architectures (K units, K - 1 degrees of freedom) as the two
samples: architectures, not runs, are the other side's units because seeds cluster within them,
and Welch's approximation would reject up to twice its nominal rate with two VQ-VAE runs.
A dataset is tested when it has at least two of each, every CES positive and some spread.

The verdict, over the datasets tested: "supported" when the interval's upper end is below the
margin on every one (an intersection-union test, level 2.5% with no correction for the number of
datasets); "contradicted" when on some dataset R is above the margin at one-sided p < 2.5% / D
(Bonferroni over the D datasets tested); otherwise "inconclusive", naming the datasets whose
interval holds the margin. "Insufficient data" when no VQ-VAE run reports continuous CES.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaecausal.analysis.aggregate import discrete_runs
from vaecausal.analysis.findings.text import interval, mean_std, number, percent, verdict
from vaecausal.analysis.stats import (
    behrens_fisher_cdf,
    behrens_fisher_quantile,
    finite_mean,
    finite_std,
)
from vaecausal.catalog import ARCHITECTURE_LABELS

# "Near zero": below a tenth of the continuous architectures' CES, an order of magnitude apart.
# Fixed here rather than configured so that a verdict cannot be tuned after seeing the runs.
MARGIN = 0.1
# Each one-sided test's level: the ends of a two-sided 95% interval.
TAIL = 0.025
MIN_UNITS = 2
# The ratio's columns, NaN where the dataset lacks what they need.
RATIO_COLUMNS = (
    "ces_geomean",
    "others_ces_geomean",
    "continuous_to_others",
    "continuous_to_others_ci_low",
    "continuous_to_others_ci_high",
    "p_below_margin",
    "p_above_margin",
)

COLUMNS = [
    "dataset",
    "dataset_label",
    "n_runs",
    "ces_mean",
    "ces_std",
    "n_other_architectures",
    "n_other_runs",
    "ces_geomean",
    "others_ces_geomean",
    "continuous_to_others",
    "continuous_to_others_ci_low",
    "continuous_to_others_ci_high",
    "margin",
    "p_below_margin",
    "p_above_margin",
    "n_runs_discrete",
    "ces_discrete_mean",
    "ces_discrete_std",
    "discrete_to_continuous",
    "perturbation_mode",
    "code_change_share_mean",
    "code_change_share_smallest_move_mean",
    "smallest_move",
    "note",
    "architecture",
]


def log_ratio_statistics(
    vq_logs: np.ndarray, other_logs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log R, its standard error and the VQ-VAE part of the squared error, along the last axis.

    ``vq_logs``: log CES of each VQ-VAE run (..., n); ``other_logs``: each other architecture's
    mean log CES over its seeds (..., K). Vectorised so the tests simulate the verdict itself.
    """
    vq_variance = vq_logs.var(axis=-1, ddof=1) / vq_logs.shape[-1]
    other_variance = other_logs.var(axis=-1, ddof=1) / other_logs.shape[-1]
    variance = vq_variance + other_variance
    estimate = vq_logs.mean(axis=-1) - other_logs.mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return estimate, np.sqrt(variance), vq_variance / variance


def margin_p_values(
    vq_logs: np.ndarray, other_logs: np.ndarray, margin: float = MARGIN
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided Behrens-Fisher p-values of R >= margin (small: R is below) and of R <= margin."""
    estimate, error, share = log_ratio_statistics(vq_logs, other_logs)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = (estimate - np.log(margin)) / error
    below = behrens_fisher_cdf(statistic, share, vq_logs.shape[-1] - 1, other_logs.shape[-1] - 1)
    return below, 1 - below


def decide(p_below: np.ndarray, p_above: np.ndarray) -> np.ndarray:
    """The verdict word per row of p-values over the tested datasets (last axis)."""
    supported = (p_below < TAIL).all(axis=-1)
    contradicted = (p_above < TAIL / p_above.shape[-1]).any(axis=-1)
    return np.where(supported, "supported", np.where(contradicted, "contradicted", "inconclusive"))


def _ratio_test(vq_logs: np.ndarray, other_logs: np.ndarray) -> dict[str, float]:
    """R with its 95% Behrens-Fisher interval and margin p-values (one dataset)."""
    estimate, error, share = log_ratio_statistics(vq_logs, other_logs)
    quantile = behrens_fisher_quantile(1 - TAIL, share, len(vq_logs) - 1, len(other_logs) - 1)
    p_below, p_above = margin_p_values(vq_logs, other_logs)
    return {
        "continuous_to_others_ci_low": float(np.exp(estimate - quantile * error)),
        "continuous_to_others_ci_high": float(np.exp(estimate + quantile * error)),
        "p_below_margin": float(p_below),
        "p_above_margin": float(p_above),
    }


def _column(group: pd.DataFrame, name: str) -> np.ndarray:
    return group[name].to_numpy(float) if name in group else np.full(len(group), np.nan)


def _architecture_log_means(others: pd.DataFrame) -> np.ndarray:
    """Each other architecture's mean log CES over its runs that report a positive CES."""
    ces = others.assign(ces=_column(others, "ces"))
    ces = ces[np.isfinite(ces["ces"]) & (ces["ces"] > 0)]
    return np.log(ces["ces"]).groupby(ces["architecture"]).mean().to_numpy(float)


def _untestable(vq: np.ndarray, others: np.ndarray, other_logs: np.ndarray) -> list[str]:
    """Why the ratio cannot be tested on a dataset ([] when it can); inputs are finite CES."""
    reasons = []
    if len(vq) < MIN_UNITS:
        reasons.append(f"{len(vq)} VQ-VAE run(s) with CES, need {MIN_UNITS}")
    if len(other_logs) < MIN_UNITS:
        reasons.append(f"{len(other_logs)} other architecture(s) with CES, need {MIN_UNITS}")
    non_positive = int((vq <= 0).sum() + (others <= 0).sum())
    if non_positive:
        reasons.append(f"CES <= 0 in {non_positive} run(s): the ratio is tested on log CES")
    if not reasons and np.ptp(np.log(vq)) == 0 and np.ptp(other_logs) == 0:
        reasons.append("no spread among the runs to test against")
    return reasons


def _ratio_columns(group: pd.DataFrame, others: pd.DataFrame) -> tuple[dict, list[str]]:
    """R, its interval and p-values on one dataset (NaN where untested), and why untested."""
    vq = _column(group, "ces")
    vq = vq[np.isfinite(vq)]
    other_ces = _column(others, "ces")
    other_ces = other_ces[np.isfinite(other_ces)]
    other_logs = _architecture_log_means(others)
    columns = dict.fromkeys(RATIO_COLUMNS, np.nan) | {
        "n_runs": len(vq),
        "n_other_architectures": len(other_logs),
        "n_other_runs": len(other_ces),
    }
    reasons = _untestable(vq, other_ces, other_logs)
    if (vq > 0).all() and len(vq) and len(other_logs):
        columns["ces_geomean"] = float(np.exp(np.log(vq).mean()))
        columns["others_ces_geomean"] = float(np.exp(other_logs.mean()))
        columns["continuous_to_others"] = columns["ces_geomean"] / columns["others_ces_geomean"]
    if not reasons:
        columns |= _ratio_test(np.log(vq), other_logs)
    return columns, reasons


def _discrete_columns(group: pd.DataFrame) -> dict:
    """Discrete CES and its paired ratio to continuous CES, described (not tested)."""
    continuous = _column(group, "ces")
    swapped = _column(group, "ces_discrete")
    paired = np.isfinite(continuous) & np.isfinite(swapped)
    return {
        "n_runs_discrete": int(paired.sum()),
        "ces_discrete_mean": finite_mean(swapped),
        "ces_discrete_std": finite_std(swapped),
        "discrete_to_continuous": _ratio(
            finite_mean(swapped[paired]), finite_mean(continuous[paired])
        ),
    }


def discrete_comparison(runs: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and discrete-latent architecture (VQ-VAE, or a user's model whose runs record a
    discrete latent): R against the continuous architectures with its interval and margin tests,
    discrete CES beside it. Each discrete architecture is its own sample: two are never pooled as
    seeds of one model.

    ``perturbation_mode`` lists the runs' recorded VQ-VAE perturbation modes; discrete CES and
    the code-change shares are means over runs; ``note`` says why a dataset is untested.
    """
    discrete = discrete_runs(runs)
    rows = []
    for (dataset, architecture), group in runs[discrete].groupby(
        ["dataset", "architecture"], sort=True
    ):
        ratio, reasons = _ratio_columns(group, runs[(runs["dataset"] == dataset) & ~discrete])
        rows.append(
            {
                "dataset": dataset,
                "dataset_label": group["dataset_label"].iloc[0],
                "ces_mean": finite_mean(_column(group, "ces")),
                "ces_std": finite_std(_column(group, "ces")),
                "margin": MARGIN,
                **ratio,
                **_discrete_columns(group),
                "perturbation_mode": _modes(group),
                "code_change_share_mean": finite_mean(_column(group, "code_change_share")),
                "code_change_share_smallest_move_mean": finite_mean(
                    _column(group, "code_change_share_smallest_move")
                ),
                "smallest_move": finite_mean(_column(group, "smallest_move")),
                "note": "; ".join(reasons),
                "architecture": architecture,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _modes(group: pd.DataFrame) -> str:
    """The distinct recorded perturbation modes, '' where no run records one."""
    if "vq_perturbation_mode" not in group:
        return ""
    return ", ".join(sorted(group["vq_perturbation_mode"].dropna().unique()))


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN unless the denominator is positive."""
    return float(numerator / denominator) if denominator > 0 else np.nan


def _snapping_text(row: pd.Series) -> str:
    """Whether continuous moves snapped back, from the code-change shares ('' if unreported).
    Small moves 'mostly snap back' when under half of those at the smallest |v| change the code."""
    share, smallest = row["code_change_share_mean"], row["code_change_share_smallest_move_mean"]
    if np.isnan(share):
        return ""
    text = (
        f" Perturbations of z_e ({row['perturbation_mode'] or 'mode unrecorded'}) change the code "
        f"in {percent(share)} of cases"
    )
    if np.isnan(smallest):
        return text + "."
    held = "mostly snap back" if smallest < 0.5 else "mostly do not snap back"
    return (
        f"{text}, {percent(smallest)} at the smallest move |v| = {number(row['smallest_move'])}: "
        f"small moves {held}."
    )


def _tested(discrete: pd.DataFrame) -> pd.DataFrame:
    return discrete[discrete["p_below_margin"].notna()]


def _ratio_text(row: pd.Series) -> str:
    """R with its interval and where it lies against the margin, or why it is untested."""
    ratio = f"{number(row['continuous_to_others'])} x the other architectures'"
    if np.isnan(row["p_below_margin"]):
        return f"{ratio} (untested: {row['note']})"
    low, high = row["continuous_to_others_ci_low"], row["continuous_to_others_ci_high"]
    place = (
        "below the margin"
        if high < MARGIN
        else "above the margin"
        if low > MARGIN
        else "the interval holds the margin"
    )
    return (
        f"{ratio} ({interval(low, high)}; {row['n_other_architectures']} architectures, "
        f"{row['n_other_runs']} runs): {place} {number(MARGIN)}"
    )


def _discrete_text(row: pd.Series) -> str:
    if row["n_runs_discrete"] == 0:
        return " Discrete CES: no VQ-VAE run reports both CES values."
    return (
        f" Discrete CES {mean_std(row['ces_discrete_mean'], row['ces_discrete_std'])}, "
        f"{number(row['discrete_to_continuous'])} x continuous ({row['n_runs_discrete']} paired "
        "runs)."
    )


def _runs_text(row: pd.Series) -> str:
    """'3 VQ-VAE runs': the row's runs, named by their architecture's label."""
    label = ARCHITECTURE_LABELS.get(row["architecture"], row["architecture"])
    return f"{row['n_runs']} {label} run" + ("" if row["n_runs"] == 1 else "s")


def _dataset_text(row: pd.Series) -> str:
    runs = _runs_text(row)
    return (
        f"- {row['dataset_label']} ({runs}): continuous CES "
        f"{mean_std(row['ces_mean'], row['ces_std'])} is {_ratio_text(row)}."
        + _discrete_text(row)
        + _snapping_text(row)
    )


def _reason(word: str, discrete: pd.DataFrame) -> str:
    """Why the runs give ``word``: the datasets that decide it, with their numbers."""
    tested = _tested(discrete)
    if tested.empty:
        return (
            "no dataset can be tested: "
            + "; ".join(f"{row['dataset_label']}: {row['note']}" for _, row in discrete.iterrows())
            + "."
        )
    claim = f"VQ-VAE's continuous CES is below {number(MARGIN)} x the other architectures'"
    if word == "supported":
        return (
            f"{claim} on each of the {len(tested)} dataset(s) tested: the upper end of every 95% "
            f"interval of the ratio is below the margin (largest "
            f"{number(tested['continuous_to_others_ci_high'].max())})."
        )
    if word == "contradicted":
        above = tested[tested["p_above_margin"] < TAIL / len(tested)]
        return (
            f"the ratio is above {number(MARGIN)} on "
            + ", ".join(
                f"{row['dataset_label']} (R = {number(row['continuous_to_others'])}, one-sided "
                f"p = {row['p_above_margin']:.2g})"
                for _, row in above.iterrows()
            )
            + f": p < {TAIL:g} / {len(tested)}, Bonferroni over the datasets tested."
        )
    open_ = tested[tested["continuous_to_others_ci_high"] >= MARGIN]
    return (
        f"whether {claim} is open: the 95% interval of the ratio does not lie below "
        "the margin on "
        + ", ".join(
            f"{row['dataset_label']} "
            f"[{number(row['continuous_to_others_ci_low'])}, "
            f"{number(row['continuous_to_others_ci_high'])}] from {_runs_text(row)}"
            for _, row in open_.iterrows()
        )
        + "."
    )


def _untested_text(discrete: pd.DataFrame) -> str:
    untested = discrete[discrete["p_below_margin"].isna()]
    if untested.empty or len(untested) == len(discrete):
        return ""
    return (
        " Not tested: "
        + "; ".join(f"{row['dataset_label']} ({row['note']})" for _, row in untested.iterrows())
        + "."
    )


METHOD = (
    f"The ratio is the geometric mean of the VQ-VAE runs' continuous CES over that of the other "
    f"architectures (each one's geometric mean over its seeds); its 95% interval is a "
    f"Behrens-Fisher interval on log CES with the VQ-VAE runs and the other architectures as the "
    f"two samples. 'Near zero' means below {number(MARGIN)} x: supported when the interval lies "
    f"below it on every dataset tested, contradicted when some dataset is above it at one-sided "
    f"p < {TAIL:g} / (datasets tested). Discrete CES and code-change shares are description."
)


def finding_word(discrete: pd.DataFrame) -> str:
    """The finding's verdict: the ratio against the margin on every dataset tested."""
    if discrete.empty or discrete["n_runs"].sum() == 0:
        return "insufficient data"
    tested = _tested(discrete)
    if tested.empty:
        return "inconclusive"
    return decide(tested["p_below_margin"].to_numpy(), tested["p_above_margin"].to_numpy()).item()


def describe(discrete: pd.DataFrame) -> list[str]:
    """Plain-words verdict on R < MARGIN over the datasets tested, then one line per dataset."""
    if discrete.empty:
        return [verdict("insufficient data", "the study has no VQ-VAE run.")]
    if discrete["n_runs"].sum() == 0:
        return [
            verdict("insufficient data", "no VQ-VAE run reports continuous CES."),
            *(_dataset_text(row) for _, row in discrete.iterrows()),
        ]
    word = finding_word(discrete)
    return [
        verdict(word, _reason(word, discrete) + _untested_text(discrete)),
        METHOD,
        *(_dataset_text(row) for _, row in discrete.iterrows()),
    ]
