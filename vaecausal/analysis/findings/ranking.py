"""Finding (iii), no single winner: does one architecture top every dataset, by DCI and by CES?

Architectures are ranked per dataset by their mean over seeds (1 = highest). A point mean ahead
is not a win: with two or three seeds the top place often moves when the seeds are redrawn
(``top_change_share``, a bootstrap of seeds within architectures, says how often; with so few
seeds a bootstrap never leaves their range, so it understates that). So both verdicts rest on
one-sided Welch t-tests between two architectures on one dataset, seeds as the units, per metric.
Each cell's seed variance comes from an architecture x dataset model pooled over the datasets,
guarded by the cell's own variance (``stats.seed_variances``), so an architecture's test has the
degrees of freedom of all its runs (2 datasets x 5 seeds: 8) rather than one cell's (4); the
test takes the smaller of the two architectures' (Hsu):

- "no single winner" holds when every architecture is significantly below another architecture
  on at least one dataset. Per architecture that is a union of its tests against every other
  architecture on every dataset, Bonferroni-corrected over them (``beaten_p``); the claim is the
  intersection over architectures, so it needs no further correction: ``p_supported`` is the
  largest of the corrected p-values. If some architecture truly tops every dataset (or ties for
  it), its own corrected test is false with probability at most the level.
- "one winner" holds when one architecture is significantly above every other on every dataset:
  an intersection of its tests (the largest p-value), Bonferroni-corrected over the architectures
  that could be that winner (``p_contradicted``).

A permutation test cannot serve here: with 3 seeds against 3 its smallest one-sided p-value is
1/20, with 2 against 2 it is 1/6, far above the corrected levels. The t-test assumes roughly
normal seed noise; tests/analysis/test_finding_ranking.py simulates its false verdicts at the
study's sizes, with seed spreads that differ tenfold between architectures, fivefold between
datasets, and for one architecture on one dataset only, and its power; ``vaecausal-power``
gives both at a study's planned layout. Per-cell variances with min(n) - 1 degrees of freedom
(the rule this replaced) needed gaps of about 20-30 seed SDs at 3 seeds; pooling each
architecture's raw variance over datasets (no scale, no guard) was found to say "supported" in
13% of draws at 5 datasets when one dataset's metric is five times noisier than the others'.

Each metric's two verdicts each get the level ``ALPHA / 2`` split over the ranked metrics
(``level``), so the finding's verdict is wrong with probability at most ``ALPHA`` in total:
supported when some metric supports it and none contradicts it, contradicted in the mirror case,
inconclusive otherwise (the metrics disagree, or neither test reaches its level).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from vaecausal.analysis.findings.text import ALPHA, mean_std, number, p_value, percent, verdict
from vaecausal.analysis.stats import finite_std, seed_variances, welch_p_greater

RANK_METRICS = {"dci_disentanglement": "DCI disentanglement", "ces": "CES"}
SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
RANK_COLUMNS = [
    "metric",
    "dataset",
    "dataset_label",
    "architecture",
    "mean",
    "std",
    "n_runs",
    "rank",
    "beaten_by",
    "p_beaten",
]
TOP_COLUMNS = [
    "metric",
    "dataset",
    "dataset_label",
    "n_architectures",
    "min_runs",
    "test_df",
    "top",
    "top_mean",
    "top_std",
    "runner_up",
    "runner_up_mean",
    "runner_up_std",
    "margin",
    "p_top",
    "clear",
    "top_change_share",
    "n_distinct_tops",
    "unbeaten",
    "p_supported",
    "p_contradicted",
    "level",
    "metric_verdict",
]


@dataclass(frozen=True)
class Grid:
    """One metric's runs as an array: ``values[dataset, architecture, run]``, NaN-padded."""

    datasets: list[str]
    labels: list[str]
    architectures: list[str]
    values: np.ndarray


def metric_grid(runs: pd.DataFrame, metric: str) -> Grid:
    """The finite values of ``metric``, one row of runs per dataset and architecture."""
    scored = runs[np.isfinite(pd.to_numeric(runs[metric], errors="coerce"))]
    datasets = sorted(scored["dataset"].unique())
    architectures = sorted(scored["architecture"].unique())
    cells = scored.groupby(["dataset", "architecture"])[metric]
    width = int(cells.size().max()) if len(scored) else 0
    values = np.full((len(datasets), len(architectures), width), np.nan)
    for (dataset, architecture), cell in cells:
        values[datasets.index(dataset), architectures.index(architecture), : len(cell)] = cell
    labels = scored.drop_duplicates("dataset").set_index("dataset")["dataset_label"]
    return Grid(datasets, [str(labels[d]) for d in datasets], architectures, values)


def pairwise_p(values: np.ndarray) -> np.ndarray:
    """``p[..., d, a, b]``: one-sided Welch p-value that architecture a's mean exceeds b's on
    dataset d, from ``values[..., d, architecture, run]``, each cell's variance and degrees of
    freedom from ``seed_variances``; NaN on the diagonal and where a test is impossible (an
    absent architecture, a single run)."""
    n = np.isfinite(values).sum(axis=-1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=-1) / n
    var, df = seed_variances(values)
    p = welch_p_greater(
        mean[..., :, None], var[..., :, None], n[..., :, None],
        mean[..., None, :], var[..., None, :], n[..., None, :],
        df[..., :, None], df[..., None, :],
    )  # fmt: skip
    diagonal = np.arange(values.shape[-2])
    p[..., diagonal, diagonal] = np.nan
    return p


def beaten_p(p: np.ndarray) -> np.ndarray:
    """``[..., architecture]``: Bonferroni p-value that the architecture is below some other one
    on some dataset (smallest p times the number of tests made); 1 where no test could be made."""
    against = np.moveaxis(p, -1, -3)  # [..., architecture c, dataset, other b]: p of b above c
    tested = np.isfinite(against).sum(axis=(-2, -1))
    smallest = np.where(np.isfinite(against), against, np.inf).min(axis=(-2, -1))
    return np.minimum(1.0, np.where(tested > 0, smallest, 1.0) * np.maximum(tested, 1))


def winner_p(p: np.ndarray, present: np.ndarray) -> np.ndarray:
    """``[..., architecture]``: p-value that the architecture is above every other architecture
    on every dataset (the largest of those tests); 1 where it misses a dataset or a test against
    a present architecture cannot be made. ``present[..., d, a]``: a has a run on d."""
    others = present[..., None, :] & ~np.eye(p.shape[-1], dtype=bool)
    legs = np.where(others, np.where(np.isfinite(p), p, 1.0), 0.0)  # absent others: no leg
    largest = legs.max(axis=(-3, -1))
    return np.where(present.all(axis=-2), largest, 1.0)


def verdict_p(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p_supported`` and ``p_contradicted`` from ``values[..., dataset, architecture, run]``;
    NaN with fewer than two datasets or architectures, where the question has no answer."""
    p = pairwise_p(values)
    present = np.isfinite(values).any(axis=-1)
    in_study = present.any(axis=-2)
    supported = np.where(in_study, beaten_p(p), 0.0).max(axis=-1)
    candidates = in_study.sum(axis=-1)
    winner = np.where(in_study, winner_p(p, present), 1.0).min(axis=-1)
    contradicted = np.minimum(1.0, candidates * winner)
    answerable = (values.shape[-3] >= 2) & (candidates >= 2)
    return np.where(answerable, supported, np.nan), np.where(answerable, contradicted, np.nan)


def metric_level(n_metrics: int) -> float:
    """Each metric's level for each of its two verdicts: ALPHA split over both and the metrics."""
    return ALPHA / (2 * max(n_metrics, 1))


def metric_verdicts(
    p_supported: np.ndarray, p_contradicted: np.ndarray, level: float
) -> np.ndarray:
    """Per metric: supported, contradicted or inconclusive (NaN p-values are inconclusive)."""
    return np.where(
        p_supported <= level,
        SUPPORTED,
        np.where(p_contradicted <= level, CONTRADICTED, INCONCLUSIVE),
    )


def finding_verdicts(words: np.ndarray) -> np.ndarray:
    """The finding's word from the metrics' words (last axis): one direction only, else
    inconclusive."""
    supported = (words == SUPPORTED).any(axis=-1)
    contradicted = (words == CONTRADICTED).any(axis=-1)
    return np.where(
        supported & ~contradicted,
        SUPPORTED,
        np.where(contradicted & ~supported, CONTRADICTED, INCONCLUSIVE),
    )


def _means(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the finite values; -inf where there are none (never on top)."""
    n = np.isfinite(values).sum(axis=-1)
    total = np.nansum(values, axis=-1)
    return np.where(n > 0, total / np.maximum(n, 1), -np.inf)


def top_change_share(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Per dataset: share of bootstraps of the seeds (within each architecture) whose highest
    mean belongs to an architecture outside the observed top place (all that share the highest
    observed mean). ``values[dataset, architecture, run]``; a description, not a test."""
    rng = np.random.default_rng(seed)
    shares = []
    for cells in values:
        draws = np.full((n_boot, *cells.shape), np.nan)
        for k, cell in enumerate(cells):
            finite = cell[np.isfinite(cell)]
            if len(finite):
                draws[:, k, : len(finite)] = finite[
                    rng.integers(0, len(finite), (n_boot, len(finite)))
                ]
        observed, means = _means(cells), _means(draws)
        on_top = observed == observed.max()
        inside = np.where(on_top, means, -np.inf).max(axis=1)
        outside = np.where(on_top, -np.inf, means).max(axis=1)
        shares.append(float((outside > inside).mean()))
    return np.array(shares)


def _ranked_metrics(runs: pd.DataFrame) -> list[str]:
    """The metrics of RANK_METRICS with at least one finite value in ``runs``."""
    return [
        m
        for m in RANK_METRICS
        if m in runs and np.isfinite(pd.to_numeric(runs[m], errors="coerce")).any()
    ]


def _rank_rows(grid: Grid, p: np.ndarray) -> list[dict]:
    """One row per dataset and present architecture, with the test most against it."""
    rows = []
    n = np.isfinite(grid.values).sum(axis=-1)
    means = _means(grid.values)
    for d, dataset in enumerate(grid.datasets):
        present = n[d] > 0
        for k, architecture in enumerate(grid.architectures):
            if not present[k]:
                continue
            against = p[d, :, k]  # p of each other architecture above this one
            best = int(np.nanargmin(np.where(np.isfinite(against), against, np.inf)))
            rows.append(
                {
                    "dataset": dataset,
                    "dataset_label": grid.labels[d],
                    "architecture": architecture,
                    "mean": means[d, k],
                    "std": finite_std(grid.values[d, k]),
                    "n_runs": int(n[d, k]),
                    "rank": 1 + int((means[d][present] > means[d, k]).sum()),
                    "beaten_by": grid.architectures[best] if np.isfinite(against[best]) else None,
                    "p_beaten": against[best] if np.isfinite(against[best]) else np.nan,
                }
            )
    return rows


def architecture_ranks(runs: pd.DataFrame) -> pd.DataFrame:
    """Per metric, dataset and architecture: mean, std, runs, rank (1 = highest mean; equal means
    share the best rank), and the other architecture most significantly above it on that dataset
    (``beaten_by``) with its one-sided Welch p-value (``p_beaten``, not yet corrected)."""
    frames = []
    for metric in _ranked_metrics(runs):
        grid = metric_grid(runs, metric)
        rows = _rank_rows(grid, pairwise_p(grid.values))
        frames.append(pd.DataFrame(rows).assign(metric=metric))
    if not frames:
        return pd.DataFrame(columns=RANK_COLUMNS)
    ranks = pd.concat(frames, ignore_index=True)[RANK_COLUMNS]
    return ranks.sort_values(["metric", "dataset", "rank", "architecture"]).reset_index(drop=True)


def _top_rows(grid: Grid, level: float, n_boot: int, seed: int) -> list[dict]:
    """One row per dataset of one metric: the top two architectures by mean, the corrected test
    of the top one against all others there (``p_top``; ``clear`` when it reaches the level), how
    often the top place moves when seeds are redrawn, and the metric's tests and verdict."""
    p = pairwise_p(grid.values)
    present = np.isfinite(grid.values).any(axis=-1)
    in_study = present.any(axis=0)
    means = _means(grid.values)
    df = seed_variances(grid.values)[1]
    test_df = float(df[df > 0].min()) if (df > 0).any() else np.nan
    p_supported, p_contradicted = (float(x) for x in verdict_p(grid.values))
    word = str(metric_verdicts(np.array(p_supported), np.array(p_contradicted), level))
    unbeaten = [
        architecture
        for architecture, p_beaten, tested in zip(
            grid.architectures, beaten_p(p), in_study, strict=True
        )
        if tested and p_beaten > level
    ]
    shares = top_change_share(grid.values, n_boot, seed)
    rows = []
    for d, dataset in enumerate(grid.datasets):
        order = sorted(np.flatnonzero(present[d]), key=lambda k: (-means[d, k], k))
        top = order[0]
        p_top = winner_p(p[[d]], present[[d]])[top] * in_study.sum()
        row = {
            "dataset": dataset,
            "dataset_label": grid.labels[d],
            "n_architectures": len(order),
            "min_runs": int(np.isfinite(grid.values[d][present[d]]).sum(axis=-1).min()),
            "test_df": test_df,
            "top": grid.architectures[top],
            "top_mean": means[d, top],
            "top_std": finite_std(grid.values[d, top]),
            "p_top": min(1.0, p_top) if len(order) > 1 else np.nan,
            "top_change_share": shares[d],
            "unbeaten": ", ".join(unbeaten),
            "p_supported": p_supported,
            "p_contradicted": p_contradicted,
            "level": level,
            "metric_verdict": word,
        }
        if len(order) > 1:
            second = order[1]
            row |= {
                "runner_up": grid.architectures[second],
                "runner_up_mean": means[d, second],
                "runner_up_std": finite_std(grid.values[d, second]),
                "margin": means[d, top] - means[d, second],
            }
        row["clear"] = bool(row["p_top"] <= level)
        rows.append(row)
    return rows


def top_architectures(runs: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per metric and dataset: the top architecture and the runner-up by mean, whether the top
    is significantly above all others, how often it changes when seeds are resampled
    (``n_boot`` bootstraps), and, repeated on each of the metric's rows, the metric's tests:
    ``p_supported``, ``p_contradicted``, the ``level`` each is held to, the architectures not
    significantly below another on any dataset (``unbeaten``) and ``metric_verdict``."""
    metrics = _ranked_metrics(runs)
    level = metric_level(len(metrics))
    frames = []
    for metric in metrics:
        grid = metric_grid(runs, metric)
        top = pd.DataFrame(_top_rows(grid, level, n_boot, seed))
        frames.append(top.assign(metric=metric, n_distinct_tops=top["top"].nunique()))
    if not frames:
        return pd.DataFrame(columns=TOP_COLUMNS)
    return pd.concat(frames, ignore_index=True).reindex(columns=TOP_COLUMNS)


def _top_text(row: pd.Series) -> str:
    """One dataset's top place: who, by how much, whether the test separates it, how stable."""
    if pd.isna(row["runner_up"]):
        return f"{row['dataset_label']}: {row['top']} (the only architecture)"
    separated = "clear" if row["clear"] else "not clear"
    return (
        f"{row['dataset_label']}: {row['top']} ({mean_std(row['top_mean'], row['top_std'])}), "
        f"ahead of {row['runner_up']} by {number(row['margin'])}; above all others "
        f"{p_value(row['p_top'])} (corrected), {separated}; another architecture tops "
        f"{percent(row['top_change_share'])} of seed resamples"
    )


def _gap_needed(rows: pd.DataFrame) -> str:
    """How large a gap one test of the 'supported' rule needs with the fewest degrees of freedom
    present, in standard errors: the runs' own limit on what they can show."""
    df = rows["test_df"].min()
    if not df >= 1:
        return "an architecture with a single run cannot be tested"
    tests = len(rows) * (int(rows["n_architectures"].max()) - 1)
    needed = stats.t.isf(rows["level"].iloc[0] / tests, df)
    return (
        f"with {number(df)} degrees of freedom (the fewest of an architecture's pooled seed "
        f"variance) a gap must reach {number(needed)} standard errors to count against the "
        f"{tests} tests each architecture gets"
    )


def _metric_reason(rows: pd.DataFrame) -> str:
    """Why one metric's verdict is what it is, with the p-values against its level."""
    row = rows.iloc[0]
    label, level = RANK_METRICS[row["metric"]], number(row["level"])
    if pd.isna(row["p_supported"]):
        return f"by {label} fewer than two datasets or architectures have runs, so nothing to test"
    if row["metric_verdict"] == SUPPORTED:
        return (
            f"by {label} every architecture is significantly below another on at least one "
            f"dataset (largest corrected p = {number(row['p_supported'])} ≤ {level})"
        )
    if row["metric_verdict"] == CONTRADICTED:
        return (
            f"by {label} {row['top']} is significantly above every other architecture on every "
            f"dataset (corrected p = {number(row['p_contradicted'])} ≤ {level})"
        )
    unbeaten = row["unbeaten"].split(", ")
    return (
        f"by {label} {len(unbeaten)} of {rows['n_architectures'].max()} architectures "
        f"({row['unbeaten']}) {'is' if len(unbeaten) == 1 else 'are'} not significantly below "
        f"another on any dataset (largest "
        f"corrected p = {number(row['p_supported'])}) and none is significantly above all others "
        f"everywhere (corrected p = {number(row['p_contradicted'])}); each needs ≤ {level}, and "
        f"{_gap_needed(rows)}"
    )


def finding_word(top: pd.DataFrame) -> str:
    """The finding's verdict from its metrics' verdicts (``finding_verdicts``)."""
    if top.empty:
        return "insufficient data"
    return str(finding_verdicts(top.drop_duplicates("metric")["metric_verdict"].to_numpy()))


def describe(top: pd.DataFrame) -> list[str]:
    """Plain-words verdict: supported when, by some metric, every architecture is significantly
    below another on some dataset; contradicted when, by some metric, one architecture is
    significantly above all others on every dataset; inconclusive when neither or both happen.
    Then per metric its tests and each dataset's top place."""
    if top.empty:
        return [verdict("insufficient data", "no run reports DCI disentanglement or CES.")]
    metrics = top.drop_duplicates("metric")
    word = finding_word(top)
    reasons = "; ".join(_metric_reason(rows) for _, rows in top.groupby("metric", sort=False))
    if top["dataset"].nunique() < 2:
        reasons = "one dataset, so whether the top architecture changes across datasets is untested"
    elif word == INCONCLUSIVE and metrics["metric_verdict"].nunique() > 1:
        reasons = f"the metrics disagree: {reasons}"
    lines = [
        verdict(
            word,
            f"{reasons}. One-sided Welch t-tests between architectures on each dataset over "
            "seeds (seed variances modelled as architecture x dataset and pooled over datasets, "
            "guarded by each cell's own), Bonferroni-corrected; each metric's two "
            "verdicts are held to the level shown, "
            f"so with roughly normal seed noise a verdict is wrong in at most {percent(ALPHA)} "
            "of studies.",
        )
    ]
    for metric, label in RANK_METRICS.items():
        rows = top[top["metric"] == metric]
        if rows.empty:
            lines.append(f"- {label}: no run reports it.")
            continue
        lines.append(
            f"- {label}: {rows['metric_verdict'].iloc[0]}; {rows['n_distinct_tops'].iloc[0]} "
            f"distinct top architecture(s) by mean over {len(rows)} dataset(s)."
        )
        lines.extend(f"  - {_top_text(row)}" for _, row in rows.iterrows())
    return lines
