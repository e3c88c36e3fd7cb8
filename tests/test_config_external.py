"""External models in a study's configuration: read into the study, and the mistakes refused at
start-up with their key named."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from vaecausal.config import ConfigError, ExternalModelSpec, load_study

REPO = Path(__file__).resolve().parents[1]
MINE = {
    "factory": "my_models:build",
    "weights": "my_vae.pt",
    "dataset": "dsprites_procedural_small",
}


def _with(external: dict) -> dict:
    config = copy.deepcopy(yaml.safe_load((REPO / "config.yaml").read_text()))
    config["studies"]["default"]["external_models"] = external
    return config


def _error(config: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        load_study(config, "default")
    return str(caught.value)


def test_external_models_are_read_into_the_study():
    study = load_study(_with({"mine": MINE}), "default")
    assert study.external == {
        "mine": ExternalModelSpec(
            "mine", "my_models:build", "dsprites_procedural_small", "my_vae.pt"
        )
    }
    assert load_study(_with({}), "default").external == {}


def test_a_factory_not_of_the_form_module_function_is_refused():
    message = _error(_with({"mine": {**MINE, "factory": "my_models.build"}}))
    assert "studies.default.external_models.mine.factory" in message


def test_a_dataset_outside_the_study_is_refused():
    message = _error(_with({"mine": {**MINE, "dataset": "3dshapes"}}))
    assert "'studies.default.external_models.mine.dataset': '3dshapes' is not one of" in message


def test_a_name_of_a_study_architecture_is_refused():
    message = _error(_with({"vae": MINE}))
    assert "'studies.default.external_models.vae': the name of one of the study's" in message


def test_a_study_of_external_models_only_is_read_and_one_of_nothing_refused():
    config = _with({"mine": MINE})
    del config["studies"]["default"]["architectures"]
    study = load_study(config, "default")
    assert study.architectures == {} and set(study.external) == {"mine"}
    config["studies"]["default"]["architectures"] = []
    assert load_study(config, "default").architectures == {}
    config["studies"]["default"]["external_models"] = {}
    message = _error(config)
    assert "'studies.default': no architectures and no external_models" in message


def test_the_readmes_example_study_is_valid_and_states_its_settings():
    readme = (REPO / "README.md").read_text()
    block = next(
        b.split("```", 1)[0]
        for b in readme.split("```yaml\n")[1:]
        if "external_models" in b.split("```", 1)[0]
    )
    example = yaml.safe_load(block)["studies"]
    config = copy.deepcopy(yaml.safe_load((REPO / "config.yaml").read_text()))
    config["studies"].update(example)
    study = load_study(config, "mine")
    assert set(study.external) == {"my_vae"}
    default = load_study(config, "default").settings
    for key in ("evaluation", "oracle", "metrics"):
        assert study.settings[key] == default[key], key  # the quick settings, not the reference
