"""End to end: a tiny study through the real Snakemake command line, in a temporary directory.

The workflow is copied so the test can change plotting code and settings and check that
Snakemake plans exactly the jobs that must rerun.
"""

from __future__ import annotations

import json
import math
import shutil

import matplotlib.image
import pandas as pd
import pytest
import yaml

from tests.tiny_study import (
    ARCHITECTURES,
    REPO,
    TINY,
    declared_outputs,
    planned_jobs,
    snakemake,
)

WORKFLOW_PARTS = ("Snakefile", "rules", "workflow_scripts", "vaecausal", "config.yaml", "envs")


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    workflow = root / "workflow"
    workflow.mkdir()
    for part in WORKFLOW_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, workflow / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, workflow / part)
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    work = root / "work"
    result = snakemake(workflow, work, "--cores", "2", "--configfile", str(config))
    assert result.returncode == 0, result.stderr[-5000:]
    return workflow, work, config


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
        assert metrics["samples"] == {
            "n_eval": 16,
            "dci_train": 200,
            "dci_test": 100,
            "dci_seed": 0,
            "latent_values": 3,
        }
        table = pd.read_parquet(run / "interventions.parquet")
        assert len(table) == 4 * 3 and set(table["manipulation"]) == {"latent_perturbation"}
        assert (table.loc[table["value"] != 0, "effect"] > 0).any()
        losses = pd.read_csv(run / "losses.csv")
        assert list(losses["step"]) == [10, 20]
        assert (
            "step 20/20"
            in (study / "logs/train/tiny_dsprites" / architecture / "seed3.log").read_text()
        )

    runs = pd.read_csv(study / "tables" / "runs.csv")
    assert len(runs) == len(ARCHITECTURES)
    assert runs[["ces", "dci_disentanglement"]].notna().all().all()
    assert all(a in (study / "tables" / "summary.md").read_text() for a in ARCHITECTURES)
    vq = json.loads((study / "runs/tiny_dsprites/vq_vae/seed3/metrics.json").read_text())
    assert 0 < vq["codebook_usage"] <= 1 and vq["perplexity"] >= 1
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


def test_bad_configuration_stops_before_any_job(tmp_path):
    bad = yaml.safe_load(yaml.safe_dump(TINY))
    bad["studies"]["tiny"]["seeds"] = []
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(bad))
    result = snakemake(REPO, tmp_path / "work", "--cores", "1", "--configfile", str(config))
    assert result.returncode != 0
    assert "studies.tiny.seeds" in result.stderr + result.stdout
    assert not (tmp_path / "work" / "results").exists()
