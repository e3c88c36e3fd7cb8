"""The manipulation registry: its entries are the stage's manipulations, in the stage's order,
and a manipulation registered there runs through the intervene stage, its arrays reaching
``effects.npz`` under its declared names, or is skipped on a model it does not apply to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import vaecausal.api
from tests.tiny_study import TINY
from vaecausal.interventions import effects as keys
from vaecausal.interventions.manipulations import MANIPULATIONS
from vaecausal.interventions.manipulations.base import Context, Manipulation, Output
from vaecausal.interventions.tidy import matrix_rows
from vaecausal.models.device import place_network
from vaecausal.models.network import GaussianVAE
from vaecausal.stages import cache_activations, intervene, oracle

SETTINGS = vaecausal.api.default_settings(TINY["studies"]["tiny"]["overrides"])
TOY_KEY = "toy.latent_mean"  # a toy manipulation's one array: the mean code (d,)


def _toy(context: Context) -> Output:
    mean = context.latents.mean(0)
    return Output({TOY_KEY: mean}, [matrix_rows("toy", "latent", "mean", mean[:, None], ["code"])])


TOY = Manipulation("toy", _toy)
DISCRETE_TOY = Manipulation("discrete_toy", _toy, discrete_only=True)


def test_the_registry_holds_the_stages_manipulations_in_order():
    names = [m.name for m in MANIPULATIONS]
    assert names == [
        "latent_perturbation",
        "input_manipulation",
        "activation_patching",
        "causal_mediation",
        "code_swaps",
    ]
    # each declares its passes for the cost plan
    assert all(m.workload is not None for m in MANIPULATIONS)
    assert [m.name for m in MANIPULATIONS if m.discrete_only] == ["code_swaps"]


@pytest.fixture(scope="module")
def cached(tiny_dsprites, tmp_path_factory) -> tuple[torch.nn.Module, Path]:
    """A continuous model with its cached codes and a trained oracle, in a folder."""
    out = tmp_path_factory.mktemp("manipulations")
    torch.manual_seed(0)
    model = place_network(GaussianVAE(1, 4), torch.device("cpu")).eval()
    evaluation, scoring = SETTINGS["evaluation"], SETTINGS["metrics"]["dci"]
    cache_activations.cache(
        model,
        tiny_dsprites,
        out / "latents.npz",
        out / "activations.npz",
        evaluation["n_eval"],
        evaluation["split_seed"],
        evaluation["n_activations"],
        scoring["n_train"] + scoring["n_test"],
        scoring["seed"],
        lambda _: None,
    )
    oracle.run(
        tiny_dsprites,
        out / "oracle.pt",
        out / "oracle.json",
        SETTINGS["oracle"],
        1,
        lambda _: None,
        vaecausal.api.dataset_symmetries(tiny_dsprites),
    )
    return model, out


def _intervene(model, cached_dir: Path, prepared: Path, out: Path) -> None:
    intervene.intervene(
        model,
        cached_dir / "latents.npz",
        cached_dir / "oracle.pt",
        prepared,
        out / "interventions.parquet",
        out / "effects.npz",
        SETTINGS["interventions"],
        SETTINGS["evaluation"]["split_seed"],
        SETTINGS["metrics"]["active_kl_threshold"],
        [],
        {"architecture": "toy", "seed": 0, "dataset": "tiny"},
        lambda _: None,
    )


def test_a_registered_manipulation_runs_through_the_stage_into_effects(
    cached, tiny_dsprites, tmp_path, monkeypatch
):
    model, cached_dir = cached
    monkeypatch.setattr(intervene, "MANIPULATIONS", (TOY,))
    _intervene(model, cached_dir, tiny_dsprites, tmp_path)
    with np.load(tmp_path / "effects.npz") as effects:
        latents = np.load(cached_dir / "latents.npz")["eval_latents"]
        np.testing.assert_array_equal(effects[TOY_KEY], latents.mean(0))
        assert effects[keys.TIMING_NAMES].tolist() == ["toy"]
        assert keys.BOOTSTRAP_WEIGHTS in effects  # the scope's arrays, written by the stage
    table = pd.read_parquet(tmp_path / "interventions.parquet")
    assert set(table["manipulation"]) == {"toy"}
    assert (table["architecture"] == "toy").all()


def test_a_discrete_only_manipulation_is_skipped_for_a_continuous_model(
    cached, tiny_dsprites, tmp_path, monkeypatch
):
    model, cached_dir = cached
    monkeypatch.setattr(intervene, "MANIPULATIONS", (DISCRETE_TOY, TOY))
    _intervene(model, cached_dir, tiny_dsprites, tmp_path)
    with np.load(tmp_path / "effects.npz") as effects:
        assert effects[keys.TIMING_NAMES].tolist() == ["toy"]
