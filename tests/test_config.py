"""Configuration: the shipped config is valid, and every kind of mistake is named by its key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from vaecausal.config import ConfigError, deep_merge, load_study

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_shipped_studies_resolve(shipped):
    default = load_study(shipped)
    assert default.name == "default"
    assert all(d.procedural for d in default.datasets.values())
    paper = load_study(shipped, "paper")
    assert len(paper.datasets) * len(paper.architectures) * len(paper.seeds) == 90
    assert paper.settings["training"]["steps"] == 300000
    # The default study's overrides change only what they name.
    assert default.settings["training"]["batch_size"] == 64
    assert default.settings["training"]["steps"] < paper.settings["training"]["steps"]


def _error(config: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        load_study(config)
    return str(caught.value)


def test_unknown_architecture_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["studies"]["default"]["architectures"].append("wae")
    message = _error(config)
    assert "studies.default.architectures" in message and "'wae'" in message


def test_unknown_dataset_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["studies"]["paper"]["datasets"] = ["cifar10"]
    message = _error(config)
    assert "studies.paper.datasets" in message and "'cifar10'" in message


def test_unknown_key_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["defaults"]["training"]["stpes"] = 10
    assert "defaults.training.stpes" in _error(config)


def test_wrong_type_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["studies"]["default"]["overrides"]["training"]["steps"] = "many"
    assert "studies.default.overrides.training.steps" in _error(config)


@pytest.mark.parametrize(
    "section, key",
    [("evaluation", "n_eval"), ("model", "n_latents"), ("evaluation", "n_activations")],
)
def test_counts_too_small_to_measure_are_named(shipped, section, key):
    config = copy.deepcopy(shipped)
    config["defaults"][section][key] = 0 if key == "n_activations" else 1
    message = _error(config)
    assert f"defaults.{section}.{key}" in message


def test_vq_perturbation_mode_defaults_to_additive_and_a_wrong_one_is_named(shipped):
    assert load_study(shipped, "paper").settings["interventions"]["vq_perturbation"] == "additive"
    config = copy.deepcopy(shipped)
    config["studies"]["default"]["overrides"]["interventions"]["vq_perturbation"] = "shift"
    message = _error(config)
    assert "studies.default.overrides.interventions.vq_perturbation" in message
    assert "'shift'" in message


def test_empty_seed_list_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["studies"]["default"]["seeds"] = []
    assert "studies.default.seeds" in _error(config)


def test_unknown_study_is_named(shipped):
    config = {**copy.deepcopy(shipped), "study": "nope"}
    assert "config key 'study'" in _error(config)


def test_wrong_hyperparameter_for_objective_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["architectures"]["beta_vae"]["gamma"] = 3.0
    assert "architectures.beta_vae.gamma" in _error(config)


def test_subsample_of_unknown_factor_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["datasets"]["dsprites_procedural_small"]["subsample"]["colour"] = 2
    assert "datasets.dsprites_procedural_small.subsample.colour" in _error(config)


def test_categorical_unknown_factor_is_named(shipped):
    config = copy.deepcopy(shipped)
    config["datasets"]["dsprites_procedural_small"]["categorical"] = ["shape", "colour"]
    assert "datasets.dsprites_procedural_small.categorical.colour" in _error(config)


@pytest.mark.parametrize(
    ("symmetry", "key"),
    [
        ({"given": "colour", "period_steps": [1.0]}, "symmetries.orientation.given"),
        ({"given": "shape", "period_steps": [9.75, 19.5]}, "symmetries.orientation.period_steps"),
        ({"given": "orientation", "period_steps": [1.0] * 40}, "symmetries.orientation.given"),
    ],
)
def test_a_symmetry_naming_no_factor_or_the_wrong_periods_is_named(shipped, symmetry, key):
    config = copy.deepcopy(shipped)
    config["datasets"]["dsprites_procedural_small"]["symmetries"] = {"orientation": symmetry}
    assert f"datasets.dsprites_procedural_small.{key}" in _error(config)


def test_deep_merge_merges_nested_and_leaves_inputs_alone():
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    merged = deep_merge(base, {"a": {"b": 10}})
    assert merged == {"a": {"b": 10, "c": 2}, "d": 3}
    assert base["a"]["b"] == 1


def test_partial_flag_from_the_file_or_the_command_line(shipped):
    assert load_study(shipped).partial is False
    assert load_study({**shipped, "partial": "true"}).partial is True  # --config partial=true
    assert "config key 'partial'" in _error({**shipped, "partial": "yes please"})


def test_accepted_digests_are_resolved_per_file(shipped):
    md5 = "0123456789abcdef" * 2
    config = {**shipped, "accepted_digests": {"mpi3d": {"mpi3d_toy.npz": [md5]}}}
    study = load_study(config, "paper")
    accepted = study.accepted_copies("mpi3d", "mpi3d_toy.npz")
    assert accepted.digests == (md5,) and accepted.key == "accepted_digests.mpi3d.mpi3d_toy.npz"
    assert (
        study.accepted_copies("dsprites", "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz").digests
        == ()
    )


@pytest.mark.parametrize(
    ("accepted", "key", "message"),
    [
        ({"mpi3d": {"mpi3d_toy.npz": ["not-hex"]}}, "accepted_digests.mpi3d.mpi3d_toy.npz.0", ""),
        ({"mnist": {"x.npz": ["0" * 32]}}, "accepted_digests.mnist", "not a dataset with files"),
        ({"dsprites_procedural": {"x": ["0" * 32]}}, "accepted_digests.dsprites_procedural", ""),
        (
            {"mpi3d": {"mpi3d_real.npz": ["0" * 32]}},
            "accepted_digests.mpi3d.mpi3d_real.npz",
            "not a file of dataset 'mpi3d'",
        ),
        (
            {"mpi3d": {"mpi3d_toy.npz": ["0" * 64]}},
            "accepted_digests.mpi3d.mpi3d_toy.npz",
            "is not an md5 digest",
        ),
        (
            {"3dshapes": {"3dshapes.h5": ["0" * 32]}},
            "accepted_digests.3dshapes.3dshapes.h5",
            "is not a sha256 digest",
        ),
    ],
    ids=[
        "not-hex",
        "unknown-dataset",
        "procedural",
        "unknown-file",
        "sha256-for-md5",
        "md5-for-sha256",
    ],
)
def test_a_wrong_accepted_digest_is_named(shipped, accepted, key, message):
    text = _error({**shipped, "accepted_digests": accepted})
    assert f"config key '{key}'" in text and message in text
