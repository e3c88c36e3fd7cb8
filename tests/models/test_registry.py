"""The registry builds every architecture of the catalog, and only those."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vaecausal import catalog
from vaecausal.adapters.protocol import DiscreteAdapter
from vaecausal.config import ARCHITECTURE_KEYS
from vaecausal.models.registry import BUILDERS, build_model, build_objective

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def test_one_builder_per_architecture_of_the_catalog():
    assert list(BUILDERS) == list(catalog.OBJECTIVES)


def test_each_architecture_builds_from_its_configured_hyperparameters_with_its_kind_of_latent():
    entries = yaml.safe_load(CONFIG.read_text())["architectures"].values()
    configured = {
        entry["objective"]: {k: v for k, v in entry.items() if k not in ARCHITECTURE_KEYS}
        for entry in entries
    }
    assert set(configured) == set(catalog.OBJECTIVES)
    for architecture in catalog.ARCHITECTURES:
        hyperparameters = configured[architecture.name]
        build_objective(architecture.name, hyperparameters, dataset_size=100, n_latents=4)
        network = build_model(architecture.name, hyperparameters, 1, 4, (4, 4, 4, 4))
        assert isinstance(network, DiscreteAdapter) == architecture.discrete, architecture.name


@pytest.mark.parametrize("build", [build_objective, build_model])
def test_an_unknown_objective_is_refused_naming_the_known_ones(build):
    with pytest.raises(ValueError, match="unknown objective 'nope'") as error:
        build("nope", {}, 1, 4, (4,)) if build is build_model else build("nope", {}, 1, 4)
    assert ", ".join(catalog.OBJECTIVES) in str(error.value)
