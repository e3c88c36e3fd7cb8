"""Aggregation of runs: means and standard deviations over seeds, and their renderings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vaecausal.analysis.aggregate import (
    METRIC_GROUPS,
    METRICS,
    load_runs,
    summarise,
    to_latex,
    to_markdown,
    undeclared_numbers,
)


def write_runs(folder, rng=None):
    """Synthetic metrics.json files: 2 datasets x 2 architectures x 3 seeds; returns paths."""
    rng = rng or np.random.default_rng(0)
    paths = []
    for dataset in ("dsprites", "shapes"):
        for architecture in ("vae", "beta_vae"):
            for seed in range(3):
                record = {
                    "dataset": dataset,
                    "dataset_label": dataset.title(),
                    "architecture": architecture,
                    "seed": seed,
                    "ces_per_latent": [1.0, 2.0],
                    **{metric: float(seed + rng.random()) for metric in METRICS},
                }
                path = folder / f"{dataset}_{architecture}_{seed}.json"
                path.write_text(json.dumps(record))
                paths.append(path)
    return paths


def test_summary_matches_numpy(tmp_path):
    runs = load_runs(write_runs(tmp_path))
    assert len(runs) == 12 and "ces_per_latent" not in runs
    summary = summarise(runs)
    assert len(summary) == 4 and (summary["n_runs"] == 3).all()
    row = summary[(summary.dataset == "shapes") & (summary.architecture == "vae")].iloc[0]
    values = runs[(runs.dataset == "shapes") & (runs.architecture == "vae")]["ces"].to_numpy()
    assert row["ces_mean"] == pytest.approx(values.mean())
    assert row["ces_std"] == pytest.approx(values.std(ddof=1))


def test_renderings_hold_every_metric(tmp_path):
    summary = summarise(load_runs(write_runs(tmp_path)))
    markdown, latex = to_markdown(summary), to_latex(summary)
    for label in METRICS.values():
        assert label in markdown
    assert "±" in markdown and r"$\pm$" in latex and r"beta\_vae" in latex
    # One table per metric group: heading, blank line, header, rule, rows, blank line between.
    tables = len(METRIC_GROUPS)
    assert markdown.count("### ") == tables
    assert markdown.count("\n") == tables * (4 + len(summary)) + tables - 1
    assert latex.count(r"\begin{tabular}") == tables


def test_missing_and_null_metrics_are_left_out_or_nan(tmp_path):
    paths = write_runs(tmp_path)
    for path in paths:
        record = json.loads(path.read_text())
        del record["mig"]  # no run reports it
        record["sap"] = None  # metric stage wrote null
        if record["architecture"] == "vae":
            del record["ces"]  # only some runs report it
        path.write_text(json.dumps(record))
    runs = load_runs(paths)
    assert runs["sap"].isna().all() and runs["ces"].dtype == float
    summary = summarise(runs)
    assert "mig_mean" not in summary and "sap_mean" not in summary
    assert summary.loc[summary.architecture == "vae", "ces_mean"].isna().all()
    markdown = to_markdown(summary)
    assert "MIG" not in markdown and "SAP" not in markdown and "| –" in markdown
    assert "--" in to_latex(summary)


def test_n_factors_comes_from_the_scored_factor_list(tmp_path):
    path = write_runs(tmp_path)[0]
    record = json.loads(path.read_text())
    record["dci_factors"] = ["shape", "scale", "posX"]
    path.write_text(json.dumps(record))
    assert load_runs([path])["n_factors"].tolist() == [3]


def test_a_latent_size_sweep_splits_the_summary(tmp_path):
    runs = load_runs(write_runs(tmp_path))
    runs["n_latents"] = [4, 10] * 6
    summary = summarise(runs)
    assert len(summary) == 8 and "n_latents" in summary
    assert "n_latents" in to_markdown(summary)


def test_collapsed_runs_are_flagged_in_the_runs_the_summary_and_the_findings(tmp_path):
    from vaecausal.analysis.coverage import load_available
    from vaecausal.analysis.findings.summary import coverage_lines

    paths = write_runs(tmp_path)
    collapse = {
        0: {"n_active": 0},  # every posterior at the prior
        1: {"reconstruction_loss": 4.6},  # within 10% of the mean image's 5.0, 10 active
    }
    for index, path in enumerate(paths):
        record = json.loads(path.read_text())
        record.update({"n_active": 10, "reconstruction_loss": 4.4, "mean_image_loss": 5.0})
        record.update(collapse.get(index, {}))
        path.write_text(json.dumps(record))
    runs = load_runs(paths)
    assert runs["collapsed"].sum() == 2
    assert set(runs.loc[runs["collapsed"], "seed"]) == {0, 1}
    summary = summarise(runs)
    assert summary["n_collapsed"].tolist() == [0, 2, 0, 0]  # dsprites/vae holds both
    assert "3 (2 collapsed)" in to_markdown(summary)
    lines = "\n".join(coverage_lines(load_available(paths)))
    assert "**Collapsed runs: 2**" in lines and "vae seed 1 on Dsprites" in lines


def test_runs_still_falling_are_flagged_in_the_runs_and_the_findings(tmp_path):
    from vaecausal.analysis.coverage import load_available
    from vaecausal.analysis.findings.summary import coverage_lines

    paths = write_runs(tmp_path)
    for index, path in enumerate(paths):
        record = json.loads(path.read_text())
        record["training_late_improvement"] = 0.08 if index == 4 else 0.01
        path.write_text(json.dumps(record))
    runs = load_runs(paths)
    assert runs["still_improving"].sum() == 1
    lines = "\n".join(coverage_lines(load_available(paths)))
    assert "**1 still falling by more than 5%**" in lines
    assert "beta_vae seed 1 on Dsprites" in lines and "median 1.0%" in lines


def test_runs_on_a_plateau_or_without_the_diagnostic_are_not_flagged(tmp_path):
    from vaecausal.analysis.findings.summary import convergence_line

    runs = load_runs(write_runs(tmp_path))
    assert not runs["still_improving"].any()
    assert convergence_line(runs) == "- Convergence: not recorded for these runs."
    runs["training_late_improvement"] = 0.02
    assert "no run fell by more than 5%" in convergence_line(runs)


def test_stability_intervals_are_numeric_run_columns_not_averaged(tmp_path):
    paths = write_runs(tmp_path)
    for index, path in enumerate(paths):
        record = json.loads(path.read_text())
        # undefined in every run: still a numeric column
        record.update(specificity_ci_low=None, specificity_ci_high=None)
        if index:  # the first run predates the CES intervals
            record.update(
                ces_ci_low=record["ces"] - 0.1,
                ces_ci_high=record["ces"] + 0.1,
                ces_ci_n=256,
                stability={"level": 0.95, "replicates": 200, "metrics": {}},
            )
        path.write_text(json.dumps(record))
    runs = load_runs(paths)
    assert "stability" not in runs
    for column in ("ces_ci_low", "ces_ci_high", "ces_ci_n", "specificity_ci_low"):
        assert runs[column].dtype.kind in "fi", column
    assert runs["specificity_ci_low"].isna().all() and runs["ces_ci_n"].isna().sum() == 1
    first = runs[(runs.dataset == "dsprites") & (runs.architecture == "vae") & (runs.seed == 0)]
    assert first[["ces_ci_low", "ces_ci_high"]].isna().all().all()
    assert (runs["ces_ci_high"] - runs["ces_ci_low"]).dropna().round(6).eq(0.2).all()
    summary = summarise(runs)
    assert not [c for c in summary if "_ci_" in c] and "ces_mean" in summary
    assert "_ci_" not in to_markdown(summary)


def test_a_number_no_table_declares_is_named_and_declared_ones_are_not():
    record = {
        "dataset": "d",
        "architecture": "vae",
        "seed": 0,
        "discrete": False,
        "ces": 1.0,
        "ces_ci_low": 0.5,
        "n_analysed": 4,
        "factor_vae_train_accuracy": 0.9,  # a standard metric's declared diagnostic
        "sap": None,
        "ces_per_latent": [1.0],
        "toy_shift": 0.3,
        "toy_undefined": None,
    }
    assert undeclared_numbers(record) == ["toy_shift", "toy_undefined"]
