"""Latent-size sweeps in the configuration (finding ii): architectures that are size variants of
another, their model settings, and the mistakes that would make a sweep dishonest."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from vaecausal.config import ConfigError, load_study

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def _error(config: dict, study: str = "capacity_sweep") -> str:
    with pytest.raises(ConfigError) as caught:
        load_study(config, study)
    return str(caught.value)


def test_capacity_sweep_pairs_two_families_at_three_latent_sizes(shipped):
    sweep = load_study(shipped, "capacity_sweep")
    default = load_study(shipped, "default")
    sizes = {
        name: (spec.family, sweep.model_settings(name)["n_latents"])
        for name, spec in sweep.architectures.items()
    }
    assert sorted(sizes.values()) == sorted(
        (family, size) for family in ("vae", "beta_vae") for size in (3, 5, 10)
    )
    assert sweep.architectures["beta_vae_d3"].hyperparameters == {"beta": 4.0}
    assert sweep.model_settings("vae_d3")["encoder_kernels"] == [4, 4, 2, 2]
    assert sweep.settings["training"] == default.settings["training"]  # the quick budget
    assert len(sweep.datasets) * len(sweep.architectures) * len(sweep.seeds) == 12


def test_an_architecture_without_a_size_keeps_the_studys_model_settings(shipped):
    default = load_study(shipped, "default")
    assert default.architectures["vae"].family == "vae"
    assert default.architectures["vae"].n_latents is None
    assert default.model_settings("vae") == default.settings["model"]


def test_a_variant_must_repeat_its_familys_settings(shipped):
    config = copy.deepcopy(shipped)
    config["architectures"]["beta_vae_d3"]["beta"] = 8.0
    message = _error(config)
    assert "architectures.beta_vae_d3.family" in message and "only n_latents" in message


def test_a_family_must_name_an_architecture_that_is_no_variant(shipped):
    config = copy.deepcopy(shipped)
    config["architectures"]["vae_d3"]["family"] = "plain_vae"
    assert "architectures.vae_d3.family': unknown architecture 'plain_vae'" in _error(config)
    config = copy.deepcopy(shipped)
    config["architectures"]["vae_d5"]["family"] = "vae_d3"
    assert "'vae_d3' is itself a variant" in _error(config)


def test_one_family_twice_at_one_latent_size_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["studies"]["capacity_sweep"]["architectures"].append("vae")  # n_latents 10 by default
    message = _error(config)
    assert "studies.capacity_sweep.architectures" in message
    assert "'vae_d10' and 'vae' are family 'vae' at the same n_latents 10" in message


def test_an_architectures_latent_size_is_checked_like_the_models(shipped):
    config = copy.deepcopy(shipped)
    config["architectures"]["vae_d3"]["n_latents"] = 1
    assert "architectures.vae_d3.n_latents" in _error(config)


def test_only_on_keeps_an_architecture_to_some_of_the_studys_datasets(shipped):
    study = load_study(shipped, "findings")
    sweep = {"vae_d3", "vae_d5", "beta_vae_d3", "beta_vae_d5"}
    datasets_of = {}
    for dataset, arch, _ in study.runs:
        datasets_of.setdefault(arch, set()).add(dataset)
    assert all(datasets_of[arch] == {"dsprites_procedural_small"} for arch in sweep)
    assert all(len(datasets_of[arch]) == 2 for arch in set(study.architectures) - sweep)
    # six architectures x 2 datasets x 5 seeds, five strength variants x 2 datasets x 1 seed,
    # four size variants x dSprites x 3 seeds
    assert len(study.runs) == 6 * 2 * 5 + 5 * 2 * 1 + 4 * 3
    seeds_of = {}
    for _, arch, seed in study.runs:
        seeds_of.setdefault(arch, set()).add(seed)
    assert seeds_of["beta_vae_b8"] == {0} and seeds_of["vae_d3"] == {0, 1, 2}
    assert seeds_of["vq_vae"] == {0, 1, 2, 3, 4}
    default = load_study(shipped, "default")
    assert len(default.runs) == len(default.datasets) * len(default.architectures) * 2


def test_only_on_names_an_unknown_architecture_or_dataset(shipped):
    config = copy.deepcopy(shipped)
    config["studies"]["findings"]["only_on"] = {"vq_vae_d3": ["dsprites_procedural_small"]}
    assert "'studies.findings.only_on.vq_vae_d3': 'vq_vae_d3' is not one of this study's" in (
        _error(config, "findings")
    )
    config["studies"]["findings"]["only_on"] = {"vae_d3": ["celeba"]}
    assert "only_on.vae_d3': 'celeba' is not one of this study's datasets" in _error(
        config, "findings"
    )


def test_seeds_of_names_an_unknown_architecture(shipped):
    config = copy.deepcopy(shipped)
    config["studies"]["findings"]["seeds_of"] = {"vq_vae_d3": [0]}
    assert "'studies.findings.seeds_of.vq_vae_d3': 'vq_vae_d3' is not one of this study's" in (
        _error(config, "findings")
    )
    config["studies"]["findings"]["seeds_of"] = {"vae": []}
    assert "studies.findings.seeds_of.vae" in _error(config, "findings")


def test_a_strength_variant_names_a_reference_architecture_of_its_objective(shipped):
    config = copy.deepcopy(shipped)
    assert load_study(config, "findings").architectures["beta_vae_b8"].strength_of == "beta_vae"
    config["architectures"]["beta_vae_b8"]["strength_of"] = "factor_vae"
    assert "architectures.beta_vae_b8.strength_of': objective 'beta_vae' differs" in (
        _error(config)
    )
    config["architectures"]["beta_vae_b8"]["strength_of"] = "beta_vae_d3"
    assert "'beta_vae_d3' is not a reference architecture" in _error(config)
    config["architectures"]["beta_vae_b8"]["strength_of"] = "nope"
    assert "unknown architecture 'nope'" in _error(config)
