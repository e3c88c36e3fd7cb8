"""Finding (i), the CES-DCI trade-off: does a more disentangled code go with weaker effects?

The study claims a negative correlation, so the test is one-sided in that direction, declared in
``config.yaml`` (``defaults.findings.tradeoff_direction``) before any run; the verdict is
"supported" at one-sided p <= ALPHA, "contradicted" when the correlation is significant the other
way (one-sided p <= ALPHA / 2, a two-sided 5% test), else inconclusive.

The unit of inference is a model: an architecture at one regularisation strength, its seeds
averaged. Seeds of one model share its objective, so they are not independent evidence about how
disentanglement and effect strength go together: with no link between architectures, a test that
treats every (architecture, seed) run as independent rejects in 27% of single datasets at 3 seeds
and in about half of 5-dataset studies (measured on the null of
tests/analysis/test_finding_tradeoff.py). Five continuous architectures are too few units: on one
dataset only a perfect ranking reaches p < 0.05. So the primary test runs over a model
population, in the spirit of disentanglement_lib's methods x hyperparameters: each continuous
architecture at its reference strength and the study's strength variants (``strength_of`` in
``config.yaml``, e.g. beta-VAE at beta 2 and 8), 10 or more models per dataset. Its statement is
about models: across models with different objectives and strengths, does higher DCI go with
lower CES? The architecture-level correlation (the reference architectures only) stays as a
described secondary: whether the study's architectures, as published, order the same way.

Both are the correlation of unit means: Spearman (primary) and Pearson, per dataset and pooled
over datasets on within-dataset ranks (z-scores), so datasets whose CES scales differ do not
manufacture a correlation between them. The p-value comes from arranging the unit labels, the
same arrangement on every dataset (a model's effect can carry across datasets), enumerated
exactly up to 8 units and sampled beyond; a study that cannot reach p < ALPHA is called
inconclusive, saying so. With this few units no interval over them is informative; the range of
the estimate with any one unit left out stands in for it.

The verdict uses the continuous-latent models: VQ-VAE's continuous CES is in other units (near
zero by construction, finding iv). Rows with VQ-VAE, and run-level correlations (no test), stay in
the table as description.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from vaecausal.analysis.aggregate import discrete_runs
from vaecausal.analysis.findings.capacity import strength_variants
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
MODEL_MEANS, ARCHITECTURE_MEANS, RUNS = "model means", "architecture means", "runs"
PRIMARY, SECONDARY, DESCRIPTION = "primary", "secondary", "description"
# The study's claim: CES falls as DCI rises. The direction's one-sided alternative.
DIRECTIONS = {"negative": "less", "positive": "greater"}
DEFAULT_DIRECTION = "negative"
ROLES = {(CONTINUOUS_RUNS, MODEL_MEANS): PRIMARY, (CONTINUOUS_RUNS, ARCHITECTURE_MEANS): SECONDARY}
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
    "alternative",
    "p_value",
    "p_opposite",
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
    """DCI and CES per (dataset, unit) as (datasets x units) arrays, NaN where absent: a unit is a
    model (an architecture or a strength variant: the mean of its runs on the dataset) or a
    single run. Only runs with both values count."""

    def __init__(self, runs: pd.DataFrame, ces: str, dci: str, unit: str) -> None:
        pairs = runs[np.isfinite(runs[[dci, ces]].to_numpy(float)).all(axis=1)]
        key = pairs["architecture"] if unit != RUNS else pairs.groupby("dataset").cumcount()
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


def _unit_row(
    grid: Grid, dataset: str, method: str, alternative: str, n_perm: int, seed: int
) -> dict:
    """Correlation of unit means with its permutation test in the declared direction."""
    rows = grid.rows(dataset)
    x, y = grid.dci[rows], grid.ces[rows]
    test = unit_correlation_test(x, y, method, n_perm=n_perm, seed=seed, alternative=alternative)
    cells = entering_cells(x, y)
    notes = exclusion_reasons(x, y, np.array(grid.datasets)[rows], "model")
    used = cells[cells.any(axis=1)][:, cells.any(axis=0)]
    if not used.all():
        notes.append(PARTIAL_NOTE)
    return {
        "n_architectures": test.n_units,
        "n_runs": int(grid.runs[rows][cells].sum()),
        "n_datasets": test.n_groups,
        "estimate": test.estimate,
        "alternative": alternative,
        "p_value": test.p_value,
        "p_opposite": test.p_opposite,
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


def _rows(
    runs: pd.DataFrame,
    run_set: str,
    ces: str,
    dci: str,
    alternative: str,
    n_perm: int,
    seed: int,
) -> list:
    """Model-mean rows, architecture-mean rows (strength variants left out), then run-level
    rows, per dataset and pooled, for one set of runs."""
    absent = _absent(runs, (ces, dci))
    labels = runs.drop_duplicates("dataset").set_index("dataset")["dataset_label"]
    scopes = [(d, str(labels[d])) for d in labels.index]
    scopes.append((POOLED, "all datasets (within-dataset ranks or z-scores)"))
    reference = runs[~strength_variants(runs)]
    rows = []
    for unit, unit_runs in ((MODEL_MEANS, runs), (ARCHITECTURE_MEANS, reference), (RUNS, runs)):
        grid = None if absent else Grid(unit_runs, ces, dci, unit)
        role = ROLES.get((run_set, unit), DESCRIPTION)
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
                elif unit == RUNS:
                    values = _run_row(grid, dataset, method)
                else:
                    values = _unit_row(grid, dataset, method, alternative, n_perm, seed)
                rows.append({**row, **values})
    return rows


def ces_dci_correlations(
    runs: pd.DataFrame,
    ces: str = "ces",
    dci: str = "dci_disentanglement",
    n_perm: int = 2000,
    seed: int = 0,
    direction: str = DEFAULT_DIRECTION,
) -> pd.DataFrame:
    """Rows per run set ('continuous latents only', then 'all architectures' when the study has
    discrete-latent runs), unit (model means, architecture means, runs), dataset (then
    'pooled') and method, tested one-sided in the declared ``direction`` of the trade-off.

    ``runs``: the study's models, strength variants included (size variants belong to finding
    ii). ``n_perm`` and ``seed`` matter only where the arrangements of unit labels are too many to
    enumerate (more than 8 units exchanged together).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"tradeoff direction {direction!r} is not one of {sorted(DIRECTIONS)}")
    alternative = DIRECTIONS[direction]
    discrete = discrete_runs(runs)
    rows = _rows(runs[~discrete], CONTINUOUS_RUNS, ces, dci, alternative, n_perm, seed)
    if discrete.any():
        rows += _rows(runs, ALL_RUNS, ces, dci, alternative, n_perm, seed)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["note"] = table["note"].fillna("")
    counts = ["n_architectures", "n_runs", "n_datasets", "n_permutations"]
    table[counts] = table[counts].fillna(0)
    table["exact"] = table["exact"].eq(True)
    return table.astype({**dict.fromkeys(counts, int), "exact": bool})


def verdict_words(
    estimate: np.ndarray, p: np.ndarray, p_opposite: np.ndarray, p_floor: np.ndarray
) -> np.ndarray:
    """The verdict of each primary test (vectorised over simulated studies): supported at
    one-sided p <= ALPHA in the declared direction, contradicted at one-sided p <= ALPHA / 2 the
    other way, inconclusive otherwise, including when these units cannot reach ALPHA."""
    estimate, p, p_opposite, p_floor = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (estimate, p, p_opposite, p_floor))
    )
    reachable = p_floor < ALPHA
    return np.select(
        [np.isnan(estimate), reachable & (p <= ALPHA), reachable & (p_opposite <= ALPHA / 2)],
        ["insufficient data", "supported", "contradicted"],
        "inconclusive",
    )


def verdict_word(estimate: float, p: float, p_opposite: float, p_floor: float) -> str:
    """``verdict_words`` of one test."""
    return str(verdict_words(estimate, p, p_opposite, p_floor))


def _direction_text(row: pd.Series) -> str:
    return "negative" if row["alternative"] == "less" else "positive"


def _reason(word: str, row: pd.Series) -> str:
    """Why the primary row gives ``word``."""
    if word == "insufficient data":
        return f"no correlation of model means can be estimated: {row['note']}"
    if word == "supported":
        moves = "lower" if row["alternative"] == "less" else "higher"
        return (
            f"across models, higher DCI goes with {moves} CES within a dataset (one-sided "
            f"{p_value(row['p_value'])} for the declared {_direction_text(row)} correlation)"
        )
    if word == "contradicted":
        return (
            "across models, CES moves with DCI against the declared direction within a dataset "
            f"(one-sided {p_value(row['p_opposite'])} the other way)"
        )
    if row["p_floor"] >= ALPHA:
        return (
            f"these runs cannot decide: {row['n_architectures']} continuous-latent "
            f"model(s) allow {row['n_permutations']} arrangements, and the smallest "
            f"p-value they can reach is {number(row['p_floor'], 2)}, not below {ALPHA}"
        )
    return (
        f"no significant association in the declared {_direction_text(row)} direction "
        f"(one-sided {p_value(row['p_value'])}; these models could reach p = "
        f"{number(row['p_floor'], 2)})"
    )


def _estimate(row: pd.Series, symbol: str, counts: bool = True) -> str:
    """'ρ = -0.9 (p = 0.017, 5 models, 15 runs)', or why it is n/a."""
    if math.isnan(row["estimate"]):
        return f"{symbol} n/a ({row['note']})"
    if row["unit"] == RUNS:
        return f"{symbol} = {number(row['estimate'])} ({row['n_runs']} runs)"
    noun = "models" if row["unit"] == MODEL_MEANS else "architectures"
    sizes = f", {row['n_architectures']} {noun}, {row['n_runs']} runs" if counts else ""
    return f"{symbol} = {number(row['estimate'])} ({p_value(row['p_value'])}{sizes})"


def row(table: pd.DataFrame, run_set: str, unit: str, dataset: str, method: str) -> pd.Series:
    """The one row of ``table`` for these keys."""
    keys = {"runs": run_set, "unit": unit, "dataset": dataset, "method": method}
    (index,) = np.flatnonzero(np.logical_and.reduce([table[k] == v for k, v in keys.items()]))
    return table.iloc[index]


def primary_row(correlations: pd.DataFrame, dataset: str = POOLED, method: str = "spearman"):
    """The row a verdict rests on: continuous-latent model means. Spearman is the primary
    estimate: one model with an extreme value can drive Pearson's r on its own."""
    return row(correlations, CONTINUOUS_RUNS, MODEL_MEANS, dataset, method)


def secondary_row(correlations: pd.DataFrame, dataset: str = POOLED, method: str = "spearman"):
    """The architecture-level row: the study's architectures at their reference settings."""
    return row(correlations, CONTINUOUS_RUNS, ARCHITECTURE_MEANS, dataset, method)


def finding_word(correlations: pd.DataFrame) -> str:
    """The finding's verdict: the pooled Spearman ρ's one-sided permutation test."""
    spearman = primary_row(correlations)
    return verdict_word(
        spearman["estimate"], spearman["p_value"], spearman["p_opposite"], spearman["p_floor"]
    )


def _secondary_line(correlations: pd.DataFrame) -> str:
    """The architecture-level statement, with its own verdict word (not the finding's)."""
    spearman = secondary_row(correlations)
    if math.isnan(spearman["estimate"]):
        return f"Architecture level (secondary): Spearman ρ n/a ({spearman['note']})."
    word = verdict_word(
        spearman["estimate"], spearman["p_value"], spearman["p_opposite"], spearman["p_floor"]
    )
    return (
        "Architecture level (secondary, the reference architectures only, strength variants "
        f"left out): {_estimate(spearman, 'Spearman ρ')}, smallest reachable p "
        f"{number(spearman['p_floor'], 2)}: on its own it would say {word}."
    )


def describe(correlations: pd.DataFrame) -> list[str]:
    """Plain-words verdict from the pooled Spearman ρ of continuous-latent model means."""
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
            f"{reason}. The test is the pooled Spearman ρ of model means (architectures and "
            f"their strength variants) over {datasets} dataset(s), one-sided in the direction "
            f"declared before the runs ({_direction_text(spearman)}), with a permutation p over "
            f"{spearman['n_permutations']} arrangements of the model labels"
            f"{'' if spearman['exact'] else ' (a seeded random sample of them)'}.",
        ),
        "Continuous-latent models, pooled on within-dataset ranks: "
        f"{_estimate(spearman, 'Spearman ρ')}, smallest reachable p "
        f"{number(spearman['p_floor'], 2)}, ρ from {number(spearman['loo_low'])} to "
        f"{number(spearman['loo_high'])} with any one model left out; "
        f"{_estimate(pearson, 'Pearson r', counts=False)}.",
        _secondary_line(correlations),
        "The model is the unit: seeds of one model are not independent evidence, so they are "
        "averaged, and model labels are permuted the same way on every dataset (a model's "
        "effect can carry across datasets). With this few models a bootstrap interval over "
        "them is not informative; the leave-one-out range shows whether one model drives the "
        "estimate.",
    ]
    if datasets == 1:
        lines.append(
            "Only one dataset contributes: the pooled estimate is that dataset's, and whether "
            "the trade-off holds across datasets is untested."
        )
    if spearman["estimate"] * pearson["estimate"] < 0:
        lines.append("Pearson and Spearman disagree in sign: one extreme model drives r.")
    if ALL_RUNS in set(correlations["runs"]):
        with_vq = row(correlations, ALL_RUNS, MODEL_MEANS, POOLED, "spearman")
        lines.append(
            "With VQ-VAE (description only: its continuous CES is in other units, near zero by "
            f"construction, finding iv): {_estimate(with_vq, 'Spearman ρ')}."
        )
    runs = [row(correlations, CONTINUOUS_RUNS, RUNS, POOLED, m) for m in ("spearman", "pearson")]
    lines.append(
        "Run level (description only, no test: seeds cluster within models): pooled "
        f"{_estimate(runs[0], 'Spearman ρ')}; {_estimate(runs[1], 'Pearson r')}."
    )
    lines.append("Per dataset, continuous-latent model means:")
    per_dataset = correlations.loc[correlations["runs"] == CONTINUOUS_RUNS, "dataset"]
    for dataset in dict.fromkeys(per_dataset):
        if dataset != POOLED:
            spearman, pearson = primary(dataset, "spearman"), primary(dataset, "pearson")
            lines.append(
                f"- {spearman['dataset_label']}: {_estimate(spearman, 'ρ')}; "
                f"{_estimate(pearson, 'r', counts=False)}"
            )
    return lines
