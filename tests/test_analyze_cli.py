"""vaecausal-analyze end to end through a subprocess, as a user runs it: a model trained a few
steps, given by factory and weights, gets the pipeline's run files; bad input stops it early."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from tests.adapters.foreign import residual_vae, spatial_normal_vae
from tests.adapters.training import train_gaussian
from tests.tiny_study import REPO, TINY
from vaecausal.adapters.module import ModuleAdapter


def _run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "vaecausal.analyze_cli", *map(str, args)]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def weights(tmp_path_factory, tiny_dsprites) -> Path:
    model = ModuleAdapter(residual_vae())
    train_gaussian(model, np.load(tiny_dsprites / "images.npy"))
    path = tmp_path_factory.mktemp("weights") / "residual.pt"
    torch.save(model.module.state_dict(), path)
    return path


def test_the_console_script_is_declared():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["vaecausal-analyze"] == "vaecausal.analyze_cli:main"


def test_a_factory_and_weights_on_a_prepared_dataset_give_the_run_files(
    weights, tiny_dsprites, tmp_path
):
    config = tmp_path / "quick.yaml"
    config.write_text(yaml.safe_dump(TINY["studies"]["tiny"]["overrides"]))
    out = tmp_path / "out"
    result = _run(
        "--factory", "tests.adapters.foreign:residual_vae", "--weights", weights,
        "--dataset", tiny_dsprites, "--out", out, "--categorical", "shape",
        "--config", config, "--latents", "top_kl", "--top-k", "2", "--max-units", "8",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "plan of the manipulations" in result.stderr
    names = {p.name for p in out.iterdir()}
    assert {"effects.npz", "interventions.parquet", "metrics.json", "figures"} <= names
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dci_factors"][0] == "shape" and metrics["ces"] > 0
    assert metrics["n_analysed"] == 2 and "top_k 2" in metrics["latent_selection"]
    units = metrics["patched_units"]
    assert all(u["patched"] == min(8, u["of"]) for u in units.values())
    assert any(u["of"] > 8 for u in units.values())  # a subset was patched
    model = ModuleAdapter(residual_vae())
    model.module.load_state_dict(torch.load(weights))
    with np.load(out / "latents.npz") as cached:
        x = torch.as_tensor(np.load(tiny_dsprites / "images.npy")[cached["eval_indices"][:4]])
        with torch.no_grad():
            mean = model.encode_latents(x.permute(0, 3, 1, 2).float() / 255)
        np.testing.assert_allclose(cached["eval_latents"][:4], mean.numpy(), rtol=1e-4, atol=1e-5)


def test_a_plan_over_max_minutes_is_refused_with_exit_status_3_before_the_oracle(
    tiny_dsprites, tmp_path
):
    out = tmp_path / "out"
    result = _run(
        "--factory", "tests.adapters.foreign:residual_vae", "--dataset", tiny_dsprites,
        "--out", out, "--max-minutes", "0.000001",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr[-3000:]
    assert "over the budget of 1e-06 min; the costliest" in result.stderr
    assert "plan of the manipulations" in result.stderr
    assert not (out / "oracle.pt").exists()


def test_a_factory_that_cannot_be_imported_is_refused(tiny_dsprites, tmp_path):
    result = _run(
        "--factory", "no_such_module:build", "--dataset", tiny_dsprites, "--out", tmp_path / "o"
    )
    assert result.returncode == 2
    assert "model factory 'no_such_module:build': cannot import 'no_such_module'" in result.stderr
    assert not (tmp_path / "o").exists()


def test_images_and_factors_of_different_lengths_are_refused(tiny_dsprites, tmp_path):
    np.save(tmp_path / "factors.npy", np.load(tiny_dsprites / "factors.npy")[:10])
    result = _run(
        "--factory", "tests.adapters.foreign:residual_vae",
        "--images", tiny_dsprites / "images.npy",
        "--factors", tmp_path / "factors.npy",
        "--out", tmp_path / "o",
    )  # fmt: skip
    assert result.returncode == 2
    assert "different lengths: 384 images, 10 rows of factors" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_model_as_users_have_it_runs_with_its_own_weights_and_declared_output(
    tiny_dsprites, tmp_path
):
    """No wrapper: the encoder returns a Normal over a spatial latent, the decoder an object
    with a Tanh ``sample``; the weights are the model's own state_dict in a checkpoint dict."""
    torch.save({"state_dict": spatial_normal_vae(seed=5).state_dict()}, tmp_path / "ckpt.pt")
    config = tmp_path / "quick.yaml"
    config.write_text(yaml.safe_dump(TINY["studies"]["tiny"]["overrides"]))
    common = (
        "--factory", "tests.adapters.foreign:spatial_normal_vae", "--weights", tmp_path / "ckpt.pt",
        "--dataset", tiny_dsprites, "--config", config,
    )  # fmt: skip
    refused = _run(*common, "--out", tmp_path / "refused", "--output", "probabilities")
    assert refused.returncode == 2 and "declared to output probabilities" in refused.stderr
    assert "'tanh'" in refused.stderr and not (tmp_path / "refused").exists()
    result = _run(*common, "--out", tmp_path / "out", "--output", "tanh")
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["n_latents"] == 32 and metrics["ces"] > 0


def test_list_hooks_prints_the_candidates_with_units_and_needs_no_data(tmp_path):
    result = _run("--factory", "tests.adapters.foreign:residual_vae", "--list-hooks")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "  * stem  (8, 16, 16)  8" in result.stdout
    assert "decoder hook points (* chosen: 4)" in result.stdout
    missing_out = _run("--factory", "tests.adapters.foreign:residual_vae", "--dataset", tmp_path)
    assert missing_out.returncode == 2 and "--out is required" in missing_out.stderr


def test_a_diffusers_autoencoder_kl_is_taken_as_it_is_with_its_declared_scales():
    pytest.importorskip("diffusers")
    factory = ("--factory", "tests.adapters.test_diffusers:autoencoder_kl", "--channels", "3")
    result = _run(*factory, "--list-hooks", "--inputs", "signed", "--output", "clamped")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "  * decoder.conv_out  (3, 64, 64)  3" in result.stdout
    refused = _run(*factory, "--list-hooks", "--output", "tanh")
    assert refused.returncode == 2 and "the narrowest that fits is 'clamped'" in refused.stderr
