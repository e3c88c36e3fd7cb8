"""The Python API: the README's example runs, foreign models trained a few steps go through it and
get the pipeline's files, and bad input is refused before any work with a message naming it."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import vaecausal.api
from tests.adapters.foreign import pythae_model, residual_vae, spatial_normal_vae
from tests.adapters.training import train_gaussian, train_pythae
from tests.tiny_study import REPO, TINY
from vaecausal.adapters.module import ModuleAdapter
from vaecausal.adapters.pythae import PythaeAdapter, PythaeVQAdapter
from vaecausal.config import deep_merge
from vaecausal.data.store import DatasetMeta, StorePaths

QUICK = TINY["studies"]["tiny"]["overrides"]
RUN_FILES = {"effects.npz", "interventions.parquet", "metrics.json", "latents.npz"}


@pytest.fixture(scope="module")
def data(tiny_dsprites):
    paths = StorePaths(tiny_dsprites)
    return np.load(paths.images), np.load(paths.factors)


def _readme_example() -> str:
    section = (REPO / "README.md").read_text().split("## Your own model", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(tmp_path, monkeypatch, tiny_dsprites):
    settings = vaecausal.api.default_settings
    monkeypatch.setattr(vaecausal.api, "default_settings", lambda o=None: settings(QUICK))
    monkeypatch.chdir(tmp_path)
    for name in ("images.npy", "factors.npy"):
        (tmp_path / name).write_bytes((tiny_dsprites / name).read_bytes())
    exec(compile(_readme_example(), "README.md", "exec"), {})
    out = tmp_path / "my_analysis"
    assert RUN_FILES <= {p.name for p in out.iterdir()}
    assert {p.stem for p in (out / "figures").glob("*.png")} >= {"traversals", "mediation"}


@pytest.mark.parametrize("kind", ["residual", "spatial_normal", "pythae_beta_vae", "pythae_vq_vae"])
def test_a_foreign_model_trained_a_few_steps_gets_every_result(kind, data, tmp_path):
    images, factors = data
    output, n_latents = "logits", 4
    if kind == "residual":
        model = ModuleAdapter(residual_vae())
        train_gaussian(model, images)
    elif kind == "spatial_normal":  # passed as it is: Normal over (2, 4, 4), .sample, Tanh
        model, output, n_latents = spatial_normal_vae(), "tanh", 32
        train_gaussian(ModuleAdapter(model, output="tanh"), images)
    else:
        network = pythae_model("VQVAE" if kind == "pythae_vq_vae" else "BetaVAE")
        train_pythae(network, images)
        model = (PythaeVQAdapter if kind == "pythae_vq_vae" else PythaeAdapter)(network)
    metrics = vaecausal.api.analyze(
        model,
        images,
        factors,
        tmp_path,
        categorical=["factor0"],
        overrides=QUICK,
        log=print,
        output=output,
    )
    assert RUN_FILES <= {p.name for p in tmp_path.iterdir()}
    assert metrics == json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["ces"] > 0 and metrics["n_latents"] == n_latents
    for key in ("specificity", "modularity", "circuit_overlap", "dci_disentanglement", "mig"):
        assert key in metrics
    table = pd.read_parquet(tmp_path / "interventions.parquet")
    assert set(table["manipulation"]) >= {
        "latent_perturbation",
        "input_manipulation",
        "activation_patching",
        "causal_mediation",
    }
    if kind == "pythae_vq_vae":
        assert "ces_discrete" in metrics and "code_change_share" in metrics


def test_images_and_factors_of_different_lengths_are_refused(data, tmp_path):
    images, factors = data
    with pytest.raises(ValueError, match="different lengths: 384 images, 383 rows"):
        vaecausal.api.analyze(ModuleAdapter(residual_vae()), images, factors[:-1], tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_decoder_whose_images_are_not_the_datasets_is_refused(data, tmp_path):
    images, factors = data
    model = residual_vae()
    model.out = type(model.out)(8, 1, 2, 2)  # draws 32 x 32 images
    with pytest.raises(ValueError, match=r"outputs \(1, 32, 32\) per code.*\(1, 64, 64\)"):
        vaecausal.api.analyze(model, images, factors, tmp_path)
    assert not any(tmp_path.iterdir())


def test_images_the_encoder_cannot_read_are_refused(data, tmp_path):
    images, factors = data
    rgb = np.repeat(images, 3, axis=3)  # the model reads one channel
    with pytest.raises(ValueError, match=r"encoder cannot read images of shape \(3, 64, 64\)"):
        vaecausal.api.analyze(residual_vae(), rgb, factors, tmp_path)


def test_codes_of_the_wrong_width_are_refused():
    model = residual_vae()
    model.expand = type(model.expand)(5, 8 * 16 * 16)  # the decoder reads 5 latents, not 4
    with pytest.raises(ValueError, match="cannot read the encoder's codes of width 4"):
        ModuleAdapter(model)


def test_a_hook_name_that_matches_nothing_is_refused():
    with pytest.raises(ValueError, match="encoder hook point 'block.middle' matches no submodule"):
        ModuleAdapter(residual_vae(), encoder_hooks=["stem", "block.middle"])


def test_a_hook_point_on_the_wrong_side_is_refused():
    with pytest.raises(ValueError, match="decoder hook point.*stem do not run while decoding"):
        ModuleAdapter(residual_vae(), decoder_hooks=["stem"])


def test_overrides_merge_into_the_default_studys_settings():
    settings = vaecausal.api.default_settings({"oracle": {"steps": 7}})
    assert settings["oracle"]["steps"] == 7
    assert settings == deep_merge(vaecausal.api.default_settings(), {"oracle": {"steps": 7}})


def test_a_prepared_benchmark_brings_its_declared_symmetries_and_own_data_none(tmp_path):
    for name in ("dsprites", "data"):
        meta = DatasetMeta(name, name, False, 1, 1, ["shape", "orientation"], [3, 40])
        (tmp_path / name).mkdir()
        StorePaths(tmp_path / name).meta.write_text(meta.to_json())
    declared = vaecausal.api.dataset_symmetries(tmp_path / "dsprites")
    assert declared["orientation"]["given"] == "shape"
    assert vaecausal.api.dataset_symmetries(tmp_path / "data") == {}


def test_data_from_a_prepared_benchmark_keep_its_name_and_grid_so_its_symmetries_apply(
    tmp_path, tiny_dsprites
):
    source = vaecausal.api.read_meta(tiny_dsprites)
    benchmark = DatasetMeta(**{**source.__dict__, "name": "dsprites_procedural_small"})
    paths = StorePaths(tiny_dsprites)
    copy = vaecausal.api.write_dataset(
        tmp_path / "data", np.load(paths.images), np.load(paths.factors), source.factor_names,
        source=benchmark,
    )  # fmt: skip
    assert copy.name == "dsprites_procedural_small"
    assert copy.preprocessing == source.preprocessing and copy.preprocessing["subsample"]
    declared = vaecausal.api.dataset_symmetries(tmp_path / "data")
    assert declared["orientation"]["given"] == "shape"
