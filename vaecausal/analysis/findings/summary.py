"""``findings.md``: what the study's runs say about each finding, in plain words with numbers.

It reports what the pipeline measured whether or not that agrees with the study, and says first
what the numbers rest on (which runs and metrics exist), because a partial study is normal while
runs are still training.
"""

from __future__ import annotations

import pandas as pd

from vaecausal.analysis.aggregate import COLLAPSED_RECONSTRUCTION, PLATEAU_TOLERANCE
from vaecausal.analysis.coverage import Available, metric_coverage
from vaecausal.analysis.findings import (
    TABLE_FILES,
    Findings,
    Resampling,
    capacity,
    discrete,
    ranking,
    tradeoff,
)
from vaecausal.analysis.findings.verdicts import glance
from vaecausal.catalog import METRIC_COVERAGE, MISSING_RUNS, ORACLE_FACTORS

MISSING_FILE = MISSING_RUNS.file("csv")
COVERAGE_FILE = METRIC_COVERAGE.file("csv")
ORACLE_STEM = ORACLE_FACTORS.stem


def _missing_lines(missing: pd.DataFrame, shown: int = 10) -> list[str]:
    """Counts of missing runs per value of each key, then the first ``shown`` runs by name."""
    lines = [
        f"  - by {key}: "
        + ", ".join(f"{value} ({count})" for value, count in missing[key].value_counts().items())
        for key in missing.columns
    ]
    names = [
        "/".join(f"{key}{value}" if key == "seed" else str(value) for key, value in row.items())
        for row in missing.to_dict("records")
    ]
    lines.append(
        f"  - runs: {', '.join(names[:shown])}"
        + (f", and {len(names) - shown} more" if len(names) > shown else "")
    )
    return lines


def collapsed_line(runs: pd.DataFrame) -> str:
    """The collapsed runs by name (``aggregate.collapsed``): their metrics enter the findings
    like any run's, so a reader must see which they are."""
    if "collapsed" not in runs or not runs["collapsed"].any():
        return "- Collapsed runs: none."
    names = [
        f"{r.architecture} seed {r.seed} on {r.dataset_label}"
        for r in runs[runs["collapsed"]].itertuples()
    ]
    return (
        f"- **Collapsed runs: {len(names)}** (no active latent, or a reconstruction loss within "
        f"{1 - COLLAPSED_RECONSTRUCTION:.0%} of the mean image's; flagged in `runs.csv` and the "
        f"summary): {', '.join(names)}."
    )


def convergence_line(runs: pd.DataFrame) -> str:
    """Whether training had plateaued (``aggregate.still_improving``): a model whose loss still
    falls may rank differently once trained longer."""
    if "training_late_improvement" not in runs:
        return "- Convergence: not recorded for these runs."
    late = pd.to_numeric(runs["training_late_improvement"], errors="coerce")
    if late.isna().all():
        return "- Convergence: not recorded for these runs."
    flagged = runs[runs["still_improving"]]
    names = [f"{r.architecture} seed {r.seed} on {r.dataset_label}" for r in flagged.itertuples()]
    head = (
        f"- Convergence: the mean training loss fell by a median {late.median():.1%} over the last "
        f"fifth of training (largest {late.max():.1%}, {late.notna().sum()} runs); "
    )
    if not names:
        return head + f"no run fell by more than {PLATEAU_TOLERANCE:.0%} (all on a plateau)."
    return (
        head + f"**{len(names)} still falling by more than {PLATEAU_TOLERANCE:.0%}** (flagged "
        f"`still_improving` in `runs.csv`): {', '.join(names)}."
    )


def coverage_lines(available: Available) -> list[str]:
    """The runs the findings rest on, the runs they lack, and which metrics exist."""
    runs = available.runs
    datasets = ", ".join(dict.fromkeys(runs["dataset_label"])) or "none"
    lines = [
        f"- Runs: {len(runs)} of {available.n_expected} expected runs have a readable "
        f"metrics.json; datasets: {datasets}; architectures: "
        f"{', '.join(sorted(set(runs['architecture']))) or 'none'}."
    ]
    lines.append(collapsed_line(runs))
    lines.append(convergence_line(runs))
    if len(available.missing):
        lines.append(
            f"- **Missing runs: {len(available.missing)}** (listed in `{MISSING_FILE}`); every "
            "number below is computed without them:"
        )
        lines.extend(_missing_lines(available.missing))
    else:
        lines.append("- Missing runs: none.")
    for _, row in available.unreadable.iterrows():
        lines.append(f"- Unreadable file {row['path']}: {row['error']}")
    coverage = metric_coverage(runs)
    absent = coverage[coverage["status"] != "all runs"]
    none = absent[absent["status"].isin(["no run", "no eligible run"])]
    some = absent[absent["status"] == "some runs"]
    if len(none):
        lines.append(f"- Metrics no run reports (left out): {', '.join(none['label'])}.")
    if len(some):
        counts = (f"{r.label} ({r.runs_with_value}/{r.eligible_runs})" for r in some.itertuples())
        lines.append(f"- Metrics only some runs report: {', '.join(counts)}.")
    return lines


def _unread(rows: pd.DataFrame) -> str:
    """'orientation (accuracy 0.41 < floor 0.80), ...': factors with accuracy and floor."""
    return ", ".join(
        f"{r.factor} (accuracy {r.oracle_accuracy:.2f}"
        + ("" if pd.isna(r.accuracy_floor) else f" < floor {r.accuracy_floor:.2f}")
        + ")"
        for r in rows.itertuples()
    )


def _oracle_dataset_line(label: str, rows: pd.DataFrame) -> str:
    """One dataset's factors below the oracle's floor: left out, or still scored by runs that
    predate the exclusion (their specificity counts a factor the oracle cannot read)."""
    below = rows[rows["below_floor"]]
    left_out = below["used_in_specificity"].eq(False).fillna(False).astype(bool)
    parts = []
    if left_out.any():
        parts.append(f"{_unread(below[left_out])} left out")
    if (~left_out).any():
        parts.append(
            f"{_unread(below[~left_out])} below the floor but still in specificity (runs that "
            "predate the exclusion)"
        )
    if parts:
        return f"  - {label}: {'; '.join(parts)}."
    floors = rows["accuracy_floor"].dropna().unique()
    floor = f" {floors[0]:.2f}" if len(floors) == 1 else ""
    return f"  - {label}: none (every factor at or above the floor{floor})."


def oracle_lines(oracle: pd.DataFrame) -> list[str]:
    """Per dataset, the factors the oracle cannot read (held-out accuracy below its floor): a
    dataset's specificity covers only the factors it can, so a reader must see which are out."""
    if oracle.empty:
        return ["- Oracle: no run records its factors' held-out accuracies."]
    lines = [
        "- Factors the oracle cannot read (held-out accuracy below its floor), which specificity "
        "and every other oracle-based metric leave out (every factor's accuracy is in "
        f"`{ORACLE_STEM}.csv`):"
    ]
    for label, rows in oracle.groupby("dataset_label", sort=False):
        lines.append(_oracle_dataset_line(str(label), rows))
    return lines


def render(
    findings: Findings, available: Available, resampling: Resampling, oracle: pd.DataFrame
) -> str:
    """The whole ``findings.md``; ``oracle`` is the table of ``oracle_factors``."""
    sections = [
        "# The study's findings, as this pipeline measured them",
        "Each finding is tested on the runs below and stated as measured, whether or not it "
        "agrees with the study (arXiv 2505.03530). Each verdict comes from a test whose error "
        "rate at these sample sizes is at most 5% (checked by simulation in the test suite), "
        "and its section names the test; a finding the runs cannot decide is 'inconclusive', "
        "with the reason. Sampled permutations and bootstraps: "
        f"{resampling.n_perm} permutations, {resampling.n_boot} resamples, seed {resampling.seed}.",
        "## Verdicts at a glance",
        glance(findings.verdicts)
        + "\n\nEach row's test, interval and detail are in its section below and in "
        "`verdicts.csv`.",
        "## What the numbers rest on",
        "\n".join([*coverage_lines(available), *oracle_lines(oracle)]),
        "## (i) CES–DCI trade-off",
        "\n\n".join(_paragraphs(tradeoff.describe(findings.correlations))),
        "## (ii) β-VAE capacity bottleneck",
        "\n\n".join(_paragraphs(capacity.describe(findings.capacity, findings.capacity_trend))),
        "## (iii) No single winner",
        "\n\n".join(_paragraphs(ranking.describe(findings.top))),
        "## (iv) Discrete limitation of VQ-VAE",
        "\n\n".join(_paragraphs(discrete.describe(findings.discrete))),
        "## Tables",
        "\n".join(f"- `{stem}.csv` / `{stem}.md`" for stem in TABLE_FILES)
        + f"\n- `{ORACLE_STEM}.csv` / `{ORACLE_STEM}.md`"
        + f"\n- `{MISSING_FILE}`, `{COVERAGE_FILE}`",
    ]
    return "\n\n".join(sections) + "\n"


def _paragraphs(lines: list[str]) -> list[str]:
    """Join consecutive list items into one block so Markdown renders them as one list."""
    blocks: list[str] = []
    for line in lines:
        if line.lstrip().startswith("- ") and blocks and blocks[-1].lstrip().startswith("- "):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks
