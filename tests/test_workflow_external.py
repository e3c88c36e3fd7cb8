"""Models trained outside the project in a study's DAG: a hand-written residual VAE, a pythae
BetaVAE and a pythae VQVAE (named ``codes``), each trained a few steps here and given by factory
and weights, skip ``train``, go through every later stage, and appear in runs.csv beside a trained
reference architecture; the discrete one is told apart by what its run records, not its name."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from tests.adapters.foreign import pythae_model, residual_vae
from tests.adapters.training import train_gaussian, train_pythae
from tests.tiny_study import REPO, TINY, planned_jobs, snakemake
from vaecausal.adapters.module import ModuleAdapter

EXTERNAL = {
    "residual": "tests.adapters.foreign:residual_vae",
    "pythae_beta": "tests.adapters.foreign:pythae_beta_vae",
    "codes": "tests.adapters.foreign:pythae_vq_vae",
}


def _study(weights: dict[str, str]) -> dict:
    config = copy.deepcopy(TINY)
    study = config["studies"]["tiny"]
    study["architectures"] = ["vae"]
    study["external_models"] = {
        name: {"factory": factory, "weights": weights[name], "dataset": "tiny_dsprites"}
        for name, factory in EXTERNAL.items()
    }
    return config


@pytest.fixture(scope="module")
def study(tmp_path_factory, tiny_dsprites):
    root = tmp_path_factory.mktemp("external")
    images = np.load(tiny_dsprites / "images.npy")
    residual = ModuleAdapter(residual_vae())
    train_gaussian(residual, images)
    torch.save(residual.module.state_dict(), root / "residual.pt")
    beta = pythae_model("BetaVAE")
    train_pythae(beta, images)
    torch.save(beta.state_dict(), root / "pythae_beta.pt")
    codes = pythae_model("VQVAE")
    train_pythae(codes, images)
    torch.save(codes.state_dict(), root / "codes.pt")
    config = root / "study.yaml"
    config.write_text(yaml.safe_dump(_study({n: str(root / f"{n}.pt") for n in EXTERNAL})))
    work = root / "work"
    plan = snakemake(REPO, work, "-n", "--configfile", str(config))
    result = snakemake(REPO, work, "--cores", "2", "--configfile", str(config))
    assert result.returncode == 0, result.stderr[-5000:]
    return work, planned_jobs(plan)


def test_external_models_skip_training_and_go_through_every_later_stage(study):
    _, jobs = study
    assert jobs["train"] == 1 and jobs["import_model"] == 3
    for rule in ("cache_activations", "intervene", "metrics", "run_figures"):
        assert jobs[rule] == 4, rule


def test_their_rows_appear_in_runs_csv_beside_the_trained_architecture(study):
    work, _ = study
    runs = pd.read_csv(work / "results/tiny/tables/runs.csv")
    assert sorted(runs["architecture"]) == ["codes", "pythae_beta", "residual", "vae"]
    assert runs["ces"].notna().all() and runs["dci_disentanglement"].notna().all()
    summary = (work / "results/tiny/tables/summary.md").read_text()
    assert "residual" in summary and "pythae_beta" in summary
    figures = work / "results/tiny/runs/tiny_dsprites/residual/seed0/figures"
    assert (figures / "training_curves.png").exists() and (figures / "mediation.png").exists()


def test_a_discrete_model_under_any_name_is_left_out_of_finding_i(study):
    """``codes`` is a VQ model: its run records ``discrete``, so the trade-off's continuous rows
    leave it out and only the rows of all architectures count it; the runs of finding (iv) and
    the discrete metrics' coverage are its."""
    work, _ = study
    tables = work / "results/tiny/tables"
    runs = pd.read_csv(tables / "runs.csv").set_index("architecture")
    assert runs["discrete"].to_dict() == {
        "codes": True,
        "pythae_beta": False,
        "residual": False,
        "vae": False,
    }
    assert runs.loc["codes", "family"] == "codes" and runs.loc["vae", "n_latents"] == 4
    tradeoff = pd.read_csv(tables / "ces_dci_correlation.csv")
    pooled_runs = tradeoff[(tradeoff["unit"] == "runs") & (tradeoff["dataset"] == "pooled")]
    counted = pooled_runs.groupby("runs")["n_runs"].max().to_dict()
    assert counted == {"all architectures": 4, "continuous latents only": 3}
    discrete = pd.read_csv(tables / "vq_discrete_ces.csv")
    assert discrete["n_runs"].tolist() == [1]
    coverage = pd.read_csv(tables / "metric_coverage.csv").set_index("metric")
    assert coverage.loc["ces_discrete", "eligible_runs"] == 1


def test_a_study_of_external_models_only_plans_no_training(tmp_path):
    weights = tmp_path / "residual.pt"
    weights.write_bytes(b"")  # a dry run needs the file to exist, not to load
    config = _study({name: str(weights) for name in EXTERNAL})
    config["studies"]["tiny"]["architectures"] = []
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    jobs = planned_jobs(snakemake(REPO, tmp_path / "work", "-n", "--configfile", str(path)))
    assert "train" not in jobs and jobs["import_model"] == 3
    for rule in ("intervene", "metrics", "run_figures"):
        assert jobs[rule] == 3, rule
    assert jobs["tables"] == 1 and jobs["paper_figures"] == 1
