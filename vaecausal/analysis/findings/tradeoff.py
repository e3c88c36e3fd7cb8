"""Finding (i), the CES-DCI trade-off: does a more disentangled code go with weaker effects?

The architecture is the unit of inference. Seeds of one architecture share its objective, so they
are not independent evidence about how disentanglement and effect strength go together: with no
link between architectures, a test that treats every (architecture, seed) run as independent
rejects in 27% of single datasets at 3 seeds and in about half of 5-dataset studies (measured on
the null of tests/analysis/test_finding_tradeoff.py, see its comments). So seeds are averaged within
each architecture, and the test is the correlation of architecture means: Spearman (primary) and
Pearson, per dataset and pooled over datasets on within-dataset ranks (z-scores), so datasets
whose CES scales differ do not manufacture a correlation between them. Its p-value comes from
arranging the architecture labels, the same arrangement on every dataset (an architecture's effect
can carry across datasets), enumerated exactly: 5 architectures give 120 arrangements, the
smallest reachable two-sided p is 1/120 or 2/120, and a study that cannot reach p < ALPHA is
called inconclusive, saying so. With this few architectures no interval over them is informative;
the range of the estimate with any one architecture left out stands in for it.

The verdict uses the continuous-latent architectures: VQ-VAE's continuous CES is in other units
(near zero by construction, finding iv). Rows with VQ-VAE, and run-level correlations (no test),
stay in the table as description.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from vaecausal.analysis.coverage import DISCRETE_ARCHITECTURES
from vaecausal.analysis.findings.text import ALPHA, number, p_value, verdict
from vaecausal.analysis.stats import (
    METHODS,
    entering_cells,
    exclusion_reasons,
    pooled_correlation,
    unit_correlation_test,
)

POOLED = "pooled"
ALL_RUNS, CONTINUOUS_RUNS = "all architectures", "continuous latents only"
ARCHITECTURE_MEANS, RUNS = "architecture means", "runs"
PRIMARY, DESCRIPTION = "primary", "description"
RUN_LEVEL_NOTE = "description only: seeds of one architecture are not independent, no test"
PARTIAL_NOTE = (
    "architectures absent from some datasets are exchanged only with architectures present on "
    "the same datasets"
)
COLUMNS = [
    "runs",
    "unit",
    "role",
    "dataset",
    "dataset_label",
    "method",
    "n_architectures",
    "n_runs",
    "n_datasets",
    "estimate",
    "p_value",
    "p_floor",
    "n_permutations",
    "exact",
    "loo_low",
    "loo_high",
    "note",
]


def _absent(runs: pd.DataFrame, columns: tuple[str, str]) -> str:
    """Why the test cannot run at all ('' when some run has both metrics)."""
    lacking = [c for c in columns if c not in runs or runs[c].isna().all()]
    if lacking:
        return f"no run reports {', '.join(lacking)}"
    if not np.isfinite(runs[list(columns)].to_numpy(float)).all(axis=1).any():
        return f"no run reports both {' and '.join(columns)}"
    return ""


class Grid:
    """DCI and CES per (dataset, unit) as (datasets x units) arrays, NaN where absent: a unit is an
    architecture (the mean of its runs on the dataset: its seeds, and the settings of a sweep) or
    a single run. Only runs with both values count."""

    def __init__(self, runs: pd.DataFrame, ces: str, dci: str, unit: str) -> None:
        pairs = runs[np.isfinite(runs[[dci, ces]].to_numpy(float)).all(axis=1)]
        key = (
            pairs["architecture"]
            if unit == ARCHITECTURE_MEANS
            else pairs.groupby("dataset").cumcount()
        )
        cells = (
            pairs.assign(unit=key.to_numpy())
            .groupby(["dataset", "unit"])
            .agg(
                dci=(dci, "mean"),
                ces=(ces, "mean"),
                runs=(dci, "size"),
                architecture=("architecture", "first"),
            )
        )
        wide = cells.unstack("unit").reindex(list(dict.fromkeys(runs["dataset"])))
        self.datasets = list(wide.index)
        self.dci = wide["dci"].to_numpy(float)
        self.ces = wide["ces"].to_numpy(float)
        self.runs = wide["runs"].fillna(0).to_numpy(int)
        self.architectures = wide["architecture"].to_numpy(object)

    def rows(self, dataset: str) -> slice | list[int]:
        """Row index of one dataset, or every row for the pooled scope."""
        return slice(None) if dataset == POOLED else [self.datasets.index(dataset)]


def _architecture_row(grid: Grid, dataset: str, method: str, n_perm: int, seed: int) -> dict:
    """Correlation of architecture means with its exact permutation test."""
    rows = grid.rows(dataset)
    x, y = grid.dci[rows], grid.ces[rows]
    test = unit_correlation_test(x, y, method, n_perm=n_perm, seed=seed)
    cells = entering_cells(x, y)
    notes = exclusion_reasons(x, y, np.array(grid.datasets)[rows], "architecture")
    used = cells[cells.any(axis=1)][:, cells.any(axis=0)]
    if not used.all():
        notes.append(PARTIAL_NOTE)
    return {
        "n_architectures": test.n_units,
        "n_runs": int(grid.runs[rows][cells].sum()),
        "n_datasets": test.n_groups,
        "estimate": test.estimate,
        "p_value": test.p_value,
        "p_floor": test.p_floor,
        "n_permutations": test.n_permutations,
        "exact": test.exact,
        "loo_low": test.loo_low,
        "loo_high": test.loo_high,
        "note": "; ".join(notes),
    }


def _run_row(grid: Grid, dataset: str, method: str) -> dict:
    """Correlation over single runs: a description, since seeds cluster within architectures."""
    rows = grid.rows(dataset)
    x, y = grid.dci[rows], grid.ces[rows]
    cells = entering_cells(x, y)
    return {
        "n_architectures": len(set(grid.architectures[rows][cells])),
        "n_runs": int(cells.sum()),
        "n_datasets": int(cells.any(axis=1).sum()),
        "estimate": float(pooled_correlation(x, y, method)),
        "n_permutations": 0,
        "exact": False,
        "note": "; ".join(
            [RUN_LEVEL_NOTE] + exclusion_reasons(x, y, np.array(grid.datasets)[rows], "run")
        ),
    }


def _rows(runs: pd.DataFrame, run_set: str, ces: str, dci: str, n_perm: int, seed: int) -> list:
    """Architecture-mean rows, then run-level rows, per dataset and pooled, for one set of runs."""
    absent = _absent(runs, (ces, dci))
    labels = runs.drop_duplicates("dataset").set_index("dataset")["dataset_label"]
    scopes = [(d, str(labels[d])) for d in labels.index]
    scopes.append((POOLED, "all datasets (within-dataset ranks or z-scores)"))
    rows = []
    for unit in (ARCHITECTURE_MEANS, RUNS):
        grid = None if absent else Grid(runs, ces, dci, unit)
        role = PRIMARY if (run_set, unit) == (CONTINUOUS_RUNS, ARCHITECTURE_MEANS) else DESCRIPTION
        for dataset, label in scopes:
            for method in METHODS:
                row = {
                    "runs": run_set,
                    "unit": unit,
                    "role": role,
                    "dataset": dataset,
                    "dataset_label": label,
                    "method": method,
                }
                if grid is None:
                    values = {"note": absent}
                elif unit == ARCHITECTURE_MEANS:
                    values = _architecture_row(grid, dataset, method, n_perm, seed)
                else:
                    values = _run_row(grid, dataset, method)
                rows.append({**row, **values})
    return rows


def ces_dci_correlations(
    runs: pd.DataFrame,
    ces: str = "ces",
    dci: str = "dci_disentanglement",
    n_perm: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Rows per run set ('continuous latents only', then 'all architectures' when the study has
    discrete-latent runs), unit (architecture means, runs), dataset (then 'pooled') and method.

    ``n_perm`` and ``seed`` matter only where the arrangements of architecture labels are too
    many to enumerate (more than 8 architectures exchanged together).
    """
    discrete = runs["architecture"].isin(DISCRETE_ARCHITECTURES)
    rows = _rows(runs[~discrete], CONTINUOUS_RUNS, ces, dci, n_perm, seed)
    if discrete.any():
        rows += _rows(runs, ALL_RUNS, ces, dci, n_perm, seed)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["note"] = table["note"].fillna("")
    counts = ["n_architectures", "n_runs", "n_datasets", "n_permutations"]
    table[counts] = table[counts].fillna(0)
    table["exact"] = table["exact"].eq(True)
    return table.astype({**dict.fromkeys(counts, int), "exact": bool})


def verdict_word(estimate: float, p: float, p_floor: float) -> str:
    """The verdict from the primary test: significant at ALPHA, in the direction of its sign;
    inconclusive when not significant, including when these architectures cannot reach ALPHA."""
    if math.isnan(estimate):
        return "insufficient data"
    if p_floor >= ALPHA or p >= ALPHA:
        return "inconclusive"
    return "supported" if estimate < 0 else "contradicted"


def _reason(word: str, row: pd.Series) -> str:
    """Why the primary row gives ``word``."""
    if word == "insufficient data":
        return f"no correlation of architecture means can be estimated: {row['note']}"
    if word == "supported":
        return "across architectures, higher DCI goes with lower CES within a dataset"
    if word == "contradicted":
        return "across architectures, CES rises with DCI within a dataset (no trade-off)"
    if row["p_floor"] >= ALPHA:
        return (
            f"these runs cannot decide: {row['n_architectures']} continuous-latent "
            f"architecture(s) allow {row['n_permutations']} arrangements, and the smallest "
            f"p-value they can reach is {number(row['p_floor'], 2)}, not below {ALPHA}"
        )
    return (
        f"no significant architecture-level association ({p_value(row['p_value'])}; these "
        f"architectures could reach p = {number(row['p_floor'], 2)})"
    )


def _estimate(row: pd.Series, symbol: str, counts: bool = True) -> str:
    """'ρ = -0.9 (p = 0.017, 5 architectures, 15 runs)', or why it is n/a."""
    if math.isnan(row["estimate"]):
        return f"{symbol} n/a ({row['note']})"
    if row["unit"] == RUNS:
        return f"{symbol} = {number(row['estimate'])} ({row['n_runs']} runs)"
    sizes = f", {row['n_architectures']} architectures, {row['n_runs']} runs" if counts else ""
    return f"{symbol} = {number(row['estimate'])} ({p_value(row['p_value'])}{sizes})"


def row(table: pd.DataFrame, run_set: str, unit: str, dataset: str, method: str) -> pd.Series:
    """The one row of ``table`` for these keys."""
    keys = {"runs": run_set, "unit": unit, "dataset": dataset, "method": method}
    (index,) = np.flatnonzero(np.logical_and.reduce([table[k] == v for k, v in keys.items()]))
    return table.iloc[index]


def primary_row(correlations: pd.DataFrame, dataset: str = POOLED, method: str = "spearman"):
    """The row a verdict rests on: continuous-latent architecture means. Spearman is the primary
    estimate: one architecture with an extreme value can drive Pearson's r on its own."""
    return row(correlations, CONTINUOUS_RUNS, ARCHITECTURE_MEANS, dataset, method)


def finding_word(correlations: pd.DataFrame) -> str:
    """The finding's verdict: the pooled Spearman ρ's permutation test."""
    spearman = primary_row(correlations)
    return verdict_word(spearman["estimate"], spearman["p_value"], spearman["p_floor"])


def describe(correlations: pd.DataFrame) -> list[str]:
    """Plain-words verdict from the pooled Spearman ρ of continuous-latent architecture means."""
    primary = functools.partial(primary_row, correlations)
    spearman, pearson = primary(POOLED, "spearman"), primary(POOLED, "pearson")
    word = finding_word(correlations)
    reason = _reason(word, spearman)
    if word == "insufficient data":
        return [verdict(word, reason + ".")]
    datasets = int(spearman["n_datasets"])
    lines = [
        verdict(
            word,
            f"{reason}. The test is the pooled Spearman ρ of architecture means over {datasets} "
            f"dataset(s), with an exact permutation p over {spearman['n_permutations']} "
            "arrangements of the architecture labels.",
        ),
        "Continuous-latent architectures, pooled on within-dataset ranks: "
        f"{_estimate(spearman, 'Spearman ρ')}, smallest reachable p "
        f"{number(spearman['p_floor'], 2)}, ρ from {number(spearman['loo_low'])} to "
        f"{number(spearman['loo_high'])} with any one architecture left out; "
        f"{_estimate(pearson, 'Pearson r', counts=False)}.",
        "The architecture is the unit: seeds of one architecture are not independent evidence, "
        "so they are averaged, and architecture labels are permuted the same way on every "
        "dataset (an architecture's effect can carry across datasets). With this few "
        "architectures a bootstrap interval over them is not informative; the leave-one-out "
        "range shows whether one architecture drives the estimate.",
    ]
    if datasets == 1:
        lines.append(
            "Only one dataset contributes: the pooled estimate is that dataset's, and whether "
            "the trade-off holds across datasets is untested."
        )
    if spearman["estimate"] * pearson["estimate"] < 0:
        lines.append("Pearson and Spearman disagree in sign: one extreme architecture drives r.")
    if ALL_RUNS in set(correlations["runs"]):
        with_vq = row(correlations, ALL_RUNS, ARCHITECTURE_MEANS, POOLED, "spearman")
        lines.append(
            "With VQ-VAE (description only: its continuous CES is in other units, near zero by "
            f"construction, finding iv): {_estimate(with_vq, 'Spearman ρ')}."
        )
    runs = [row(correlations, CONTINUOUS_RUNS, RUNS, POOLED, m) for m in ("spearman", "pearson")]
    lines.append(
        "Run level (description only, no test: seeds cluster within architectures): pooled "
        f"{_estimate(runs[0], 'Spearman ρ')}; {_estimate(runs[1], 'Pearson r')}."
    )
    lines.append("Per dataset, continuous-latent architecture means:")
    per_dataset = correlations.loc[correlations["runs"] == CONTINUOUS_RUNS, "dataset"]
    for dataset in dict.fromkeys(per_dataset):
        if dataset != POOLED:
            spearman, pearson = primary(dataset, "spearman"), primary(dataset, "pearson")
            lines.append(
                f"- {spearman['dataset_label']}: {_estimate(spearman, 'ρ')}; "
                f"{_estimate(pearson, 'r', counts=False)}"
            )
    return lines
