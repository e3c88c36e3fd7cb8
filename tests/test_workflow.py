"""End to end: a tiny study through the real Snakemake command line, in a temporary directory.

The study runs once per session (``tiny_study`` in conftest.py), in a copy of the workflow so
that the tests can change plotting code and settings and check that Snakemake plans exactly the
jobs that must rerun.
"""

from __future__ import annotations

import json
import math
import shutil

import matplotlib.image
import numpy as np
import pandas as pd
import yaml

from tests.tiny_study import (
    ARCHITECTURES,
    REPO,
    TINY,
    declared_outputs,
    planned_jobs,
    snakemake,
)
from vaecausal.analysis.aggregate import undeclared_numbers


def test_every_declared_output_exists_and_holds_computed_values(tiny_study):
    workflow, work, config = tiny_study
    outputs = declared_outputs(workflow, work, config)
    assert len(outputs) >= 4 + 4 + len(ARCHITECTURES) * 9  # tables, figures, runs' files
    for output in outputs:
        assert (work / output).stat().st_size > 0, output

    study = work / "results" / "tiny"
    for architecture in ARCHITECTURES:
        run = study / "runs" / "tiny_dsprites" / architecture / "seed3"
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["seed"] == 3 and metrics["architecture"] == architecture
        assert math.isfinite(metrics["reconstruction_loss"]) and metrics["training_seconds"] > 0
        assert metrics["mean_image_loss"] > 0
        assert 0 <= metrics["dci_disentanglement"] <= 1 and 0 < metrics["dci_informativeness"] <= 1
        assert len(metrics["ces_per_latent"]) == 4 and max(metrics["ces_per_latent"]) > 0
        samples = metrics["samples"]
        assert samples == {
            **samples,  # the standard metrics' counts, checked below
            "n_eval": 16,
            "n_train": 200,
            "n_test": 100,
            "dci_booster": "reference",
            "metric_seed": 0,
            "mig_points": 300,
            "factor_vae_train": 100,
            "beta_vae_eval": 50,
            "latent_values": 3,
            "patching_pairs": 2,
            "circuit_fraction": 0.1,
            "poly_threshold": 0.1,
        }
        for metric in (
            "specificity",
            "modularity",
            "circuit_overlap",
            "mig",
            "sap",
            "factor_vae_score",
            "beta_vae_score",
            "modularity_ridgeway",
            "explicitness",
        ):
            assert 0 <= metrics[metric] <= 1, metric
        assert set(metrics["oracle_accuracy"]) == {"shape", "scale", "orientation", "posX", "posY"}
        # no oracle-based metric counts a factor the oracle reads below its floor
        below = set(metrics["oracle_below_floor"])
        assert below == {
            n for n, a in metrics["oracle_accuracy"].items() if a < metrics["oracle_accuracy_floor"]
        }
        assert not below & set(metrics["oracle_factors_used"])
        # every per-run causal metric carries its stability interval and the inputs resampled
        assert metrics["ces_ci_low"] <= metrics["ces"] <= metrics["ces_ci_high"]
        for metric in ("ces", "specificity", "modularity"):
            low, high = metrics[f"{metric}_ci_low"], metrics[f"{metric}_ci_high"]
            assert metrics[f"{metric}_ci_n"] == 16 and (low is None or low <= high), metric
        assert metrics["circuit_overlap_ci_n"] == 2
        assert metrics["stability"]["metrics"]["ces"]["unit"] == "evaluation codes"
        mediation = metrics["mediation"]  # shape is categorical: contrasts 0->1 and 0->2
        assert mediation["treatments"] == [
            "shape 0->1", "shape 0->2", "scale up", "orientation up", "posX up", "posY up"
        ]  # fmt: skip
        assert set(mediation["pairs"]) == {4}
        assert len(mediation["total_effect_ci"]) == 6 and len(mediation["outcome_weights"]) == 6
        for j, defined in enumerate(mediation["shares_defined"]):
            assert defined == (mediation["total_effect_p"][j] < 0.05)
            shares = [v[j] for v in mediation["sum_of_unit_shares_by_layer"].values()]
            assert all(v is not None for v in shares) if defined else shares == [None] * 5
        table = pd.read_parquet(run / "interventions.parquet")
        manipulations = {
            "latent_perturbation",
            "input_manipulation",
            "activation_patching",
            "causal_mediation",
        }
        if architecture == "vq_vae":
            manipulations.add("code_swap")
        assert set(table["manipulation"]) == manipulations
        assert table["effect"].notna().any() and (table["effect"].abs() > 0).any()
        pixels = table[table["quantity"] == "pixel_l2"]
        swaps = 4 * 2 if architecture == "vq_vae" else 0  # 4 slots x 2 code swaps
        assert len(pixels) == 4 * 3 + swaps  # 4 latents x 3 values
        with np.load(run / "activations.npz") as cached:
            layout = json.loads(str(cached["layout"]))
            assert cached["encoder.conv1"].shape == (4, 32, 32, 32)
            assert cached["encoder.conv1"].dtype == np.float16
            assert layout["decoder.fc2"] == {"shape": [1024], "units": "neurons"}
        losses = pd.read_csv(run / "losses.csv")
        assert list(losses["step"]) == [10, 20]
        assert (
            "step 20/20"
            in (study / "logs/train/tiny_dsprites" / architecture / "seed3.log").read_text()
        )

    runs = pd.read_csv(study / "tables" / "runs.csv")
    assert len(runs) == len(ARCHITECTURES)
    mediation = pd.read_csv(study / "tables" / "mediation_effects.csv", keep_default_na=False)
    assert len(mediation) == 6 * len(ARCHITECTURES)  # 6 treatments per run
    noise = mediation["te_p"].astype(float) >= 0.05
    assert (mediation.loc[noise, "share_sum_fc"] == "").all()
    assert runs[["ces", "dci_disentanglement"]].notna().all().all()
    assert (runs["ces_ci_low"] <= runs["ces_ci_high"]).all()
    assert all(a in (study / "tables" / "summary.md").read_text() for a in ARCHITECTURES)
    vq = json.loads((study / "runs/tiny_dsprites/vq_vae/seed3/metrics.json").read_text())
    for path in study.glob("runs/*/*/*/metrics.json"):
        # a number no table declares would miss the summary unnoticed (docs/extending.md)
        assert undeclared_numbers(json.loads(path.read_text())) == [], path
    assert 0 < vq["codebook_usage"] <= 1 and vq["perplexity"] >= 1
    assert vq["ces_discrete"] > 0 and len(vq["ces_discrete_per_latent"]) == 4
    assert vq["vq_perturbation_mode"] == "additive" and 0 <= vq["code_change_share"] <= 1
    assert len(vq["code_change_share_per_value"]) == 3 and 0 <= vq["swap_slots_with_fallback"] <= 4
    oracle = json.loads((study / "oracles/tiny_dsprites/oracle.json").read_text())
    assert all(0 <= a <= 1 for a in oracle["held_out_accuracy"].values())
    for figure in ("ces_vs_dci", "metric_heatmap"):
        assert matplotlib.image.imread(study / "figures" / f"{figure}.png").std() > 0.01


def test_second_run_does_nothing(tiny_study):
    workflow, work, config = tiny_study
    assert planned_jobs(snakemake(workflow, work, "-n", "--configfile", str(config))) == {}


def test_plotting_change_reruns_only_figures(tiny_study):
    workflow, work, config = tiny_study
    style = workflow / "vaecausal" / "plots" / "style.py"
    original = style.read_text()
    style.write_text(original + "\n# a changed line\n")
    try:
        jobs = planned_jobs(snakemake(workflow, work, "-n", "--configfile", str(config)))
    finally:
        style.write_text(original)
    assert jobs == {"paper_figures": 1, "run_figures": len(ARCHITECTURES), "all": 1}


def test_training_change_reruns_training_and_downstream_only(tiny_study, tmp_path):
    workflow, work, _ = tiny_study
    changed = yaml.safe_load(yaml.safe_dump(TINY))
    changed["studies"]["tiny"]["overrides"]["training"]["steps"] = 30
    config = tmp_path / "changed.yaml"
    config.write_text(yaml.safe_dump(changed))
    jobs = planned_jobs(snakemake(workflow, work, "-n", "--configfile", str(config)))
    n = len(ARCHITECTURES)
    assert jobs == {
        "train": n,
        "cache_activations": n,
        "intervene": n,
        "metrics": n,
        "tables": 1,
        "run_figures": n,
        "paper_figures": 1,
        "all": 1,
    }


def test_report_holds_every_figure_and_table(tiny_study):
    workflow, work, config = tiny_study
    report = work / "report.html"
    result = snakemake(workflow, work, "--report", str(report), "--configfile", str(config))
    assert result.returncode == 0, result.stderr[-3000:]
    html = report.read_text()
    study = work / "results" / "tiny"
    figures = sorted(study.glob("**/figures/*.png"))
    assert len(figures) == 6 + 6 * len(ARCHITECTURES)
    for item in [*figures, study / "tables" / "findings.md"]:
        assert item.name in html, item


def test_partial_study_aggregates_what_exists_and_names_what_is_missing(tiny_study, tmp_path):
    workflow, work, config = tiny_study
    partial = tmp_path / "work"
    shutil.copytree(work, partial, symlinks=True)
    missing = partial / "results/tiny/runs/tiny_dsprites/dip_vae_ii/seed3/metrics.json"
    missing.unlink()
    result = snakemake(
        workflow,
        partial,
        "--cores",
        "1",
        "tables",
        "--configfile",
        str(config),
        "--config",
        "partial=true",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    tables = partial / "results/tiny/tables"
    assert len(pd.read_csv(tables / "runs.csv")) == len(ARCHITECTURES) - 1
    absent = pd.read_csv(tables / "missing_runs.csv")
    assert absent[["architecture", "seed"]].values.tolist() == [["dip_vae_ii", 3]]
    assert "dip_vae_ii" in (tables / "findings.md").read_text()
    assert not missing.exists()  # partial mode plans no run's jobs


def test_bad_configuration_stops_before_any_job(tmp_path):
    bad = yaml.safe_load(yaml.safe_dump(TINY))
    bad["studies"]["tiny"]["seeds"] = []
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(bad))
    result = snakemake(REPO, tmp_path / "work", "--cores", "1", "--configfile", str(config))
    assert result.returncode != 0
    assert "studies.tiny.seeds" in result.stderr + result.stdout
    assert not (tmp_path / "work" / "results").exists()
