"""Stage ``tables``: the study's runs as tidy CSV, the summary over seeds (CSV, Markdown, LaTeX),
the four findings' tables (CSV, Markdown), ``findings.md``, the causal mediation table and the
table of which factors each dataset's oracle can read, from whatever runs exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from vaecausal.analysis.aggregate import summarise, to_latex, to_markdown
from vaecausal.analysis.coverage import load_available, metric_coverage
from vaecausal.analysis.findings import DEFAULT_RESAMPLING, Hypotheses, Resampling, compute
from vaecausal.analysis.findings.summary import render
from vaecausal.analysis.mediation_effects import mediation_effects
from vaecausal.analysis.oracle_factors import oracle_factors
from vaecausal.catalog import (
    FINDINGS_REPORT,
    MEDIATION_EFFECTS,
    METRIC_COVERAGE,
    MISSING_RUNS,
    ORACLE_FACTORS,
    RUNS,
    SUMMARY,
)
from vaecausal.stages.logs import Log


def write_table(table: pd.DataFrame, out_dir: Path, stem: str) -> None:
    """``stem.csv`` (full precision, for code) and ``stem.md`` (3 significant digits, to read)."""
    table.to_csv(out_dir / f"{stem}.csv", index=False)
    (out_dir / f"{stem}.md").write_text(table.to_markdown(index=False, floatfmt=".3g") + "\n")


def run(
    metrics_paths: Iterable[str | Path],
    out_dir: Path,
    log: Log,
    expected_runs: Iterable[Mapping] | None = None,
    resampling: Resampling = DEFAULT_RESAMPLING,
    families: Mapping[str, str] | None = None,
    strength_of: Mapping[str, str] | None = None,
    hypotheses: Mapping[str, str] | None = None,
) -> None:
    """Aggregate the ``metrics.json`` files in ``metrics_paths`` that exist and can be read.

    ``expected_runs``: one mapping per planned run (``dataset``, ``architecture``, ``seed``); the
    planned runs without a readable file are written to ``missing_runs.csv`` and named in
    ``findings.md``. Paths that do not exist are skipped, so a rule may pass every planned path.
    Each run's ``family`` (the architecture it is a size variant of) is the one its
    ``metrics.json`` records; for a record that predates the key, the one ``families``
    (architecture -> family, the study's configuration) gives, else the architecture's own name.
    ``strength_of``: architecture -> the reference architecture whose regularisation strength it
    varies; runs.csv records it as ``strength_of`` (empty for every other architecture).
    ``hypotheses``: the study's ``findings`` settings (the declared directions), else defaults.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = [p for p in metrics_paths if Path(p).exists()]
    available = load_available(existing, expected_runs)
    runs = available.runs
    strength_of, families = dict(strength_of or {}), dict(families or {})
    recorded = runs["family"] if "family" in runs else pd.Series(None, index=runs.index)
    runs = runs.assign(
        family=[
            families.get(arch, arch) if pd.isna(family) else family
            for family, arch in zip(recorded, runs["architecture"], strict=True)
        ],
        strength_of=[strength_of.get(arch) for arch in runs["architecture"]],
    )
    runs.to_csv(out_dir / RUNS.file("csv"), index=False)
    available.missing.to_csv(out_dir / MISSING_RUNS.file("csv"), index=False)
    metric_coverage(runs).to_csv(out_dir / METRIC_COVERAGE.file("csv"), index=False)
    log(
        f"{len(runs)} of {available.n_expected} expected runs read; "
        f"{len(available.missing)} missing, {len(available.unreadable)} unreadable"
    )

    summary = summarise(runs)
    summary.to_csv(out_dir / SUMMARY.file("csv"), index=False)
    (out_dir / SUMMARY.file("md")).write_text(to_markdown(summary))
    (out_dir / SUMMARY.file("tex")).write_text(to_latex(summary))
    log(f"summary: {len(summary)} rows")

    findings = compute(runs, resampling, Hypotheses(**(hypotheses or {})))
    for stem, table in findings.tables().items():
        write_table(table, out_dir, stem)
        log(f"wrote {stem}.csv and {stem}.md ({len(table)} rows)")
    oracle = oracle_factors(existing)
    write_table(oracle, out_dir, ORACLE_FACTORS.stem)
    log(f"wrote {ORACLE_FACTORS.stem}.csv and .md ({len(oracle)} rows)")
    (out_dir / FINDINGS_REPORT.file("md")).write_text(
        render(findings, available, resampling, oracle)
    )
    log(f"wrote {FINDINGS_REPORT.file('md')}")
    mediation = mediation_effects(existing)
    write_table(mediation, out_dir, MEDIATION_EFFECTS.stem)
    log(f"wrote {MEDIATION_EFFECTS.stem}.csv and .md ({len(mediation)} rows)")
