"""Circuit modularity, overlap and poly/monosemantic shares on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaecausal.interventions.latent_perturbation import latent_perturbation
from vaecausal.metrics.circuits import (
    circuit_overlap,
    circuits,
    layer_modularity,
    model_modularity,
    modularity_layers,
    semantic_fractions,
)
from vaecausal.models.network import GaussianVAE

# Units of the decoder's hook points; deconv4's are the image's C channels.
DECODER_UNITS = {"fc1": 256, "fc2": 1024, "deconv1": 64, "deconv2": 32, "deconv3": 32}
COUNTED = [f"decoder.{name}" for name in DECODER_UNITS]


def test_modularity_is_zero_for_shared_units_and_near_one_for_disjoint_ones():
    units = 200
    shared = np.tile(np.random.default_rng(0).random(units), (3, 1))
    disjoint = np.zeros((3, units))
    for i in range(3):
        disjoint[i, i * 50 : (i + 1) * 50] = 1.0
    active = np.ones(3, dtype=bool)
    assert layer_modularity(shared, active) == pytest.approx(0.0, abs=1e-12)
    assert layer_modularity(disjoint, active) > 0.65  # |rho| of disjoint blocks is 1/3 here
    assert model_modularity({"a": shared, "b": disjoint}, active) == pytest.approx(
        layer_modularity(disjoint, active) / 2
    )
    assert np.isnan(layer_modularity(shared, np.array([True, False, False])))


def _decoder_deltas(channels: int, seed: int) -> dict[str, np.ndarray]:
    """Delta a (d = 4, U) shaped like the decoder's hook points for C channels."""
    rng = np.random.default_rng(seed)
    units = {**DECODER_UNITS, "deconv4": channels}
    return {f"decoder.{name}": rng.random((4, u)) for name, u in units.items()}


def test_one_and_three_channel_models_average_over_the_same_layers():
    active = np.ones(4, dtype=bool)
    for channels in (1, 3):
        deltas = _decoder_deltas(channels, seed=channels)
        assert modularity_layers(deltas) == COUNTED
        expected = np.mean([layer_modularity(deltas[name], active) for name in COUNTED])
        assert model_modularity(deltas, active) == pytest.approx(expected)


def test_the_real_decoders_hook_points_give_the_same_layers_for_1_and_3_channels():
    latents = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    layers = []
    for channels in (1, 3):
        torch.manual_seed(0)
        model = GaussianVAE(channels, 4).eval()
        means = latent_perturbation(model, latents, [-2.0, 2.0], decode_batch=64)[1]
        prefix = "activation_delta."
        layers.append(modularity_layers({k[len(prefix) :]: v for k, v in means.items()}))
    assert layers == [COUNTED, COUNTED]


def test_circuits_take_the_top_share_of_each_layer_and_overlap_is_jaccard():
    r = {"l1": np.array([[0.9, 0.0], [0.1, 0.8], [0.0, 0.1], [0.2, 0.2]])}
    assert circuits(r, 0.25) == [{("l1", 0)}, {("l1", 1)}]
    assert circuit_overlap(r, 0.25) == 0.0
    same = {"l1": np.array([[0.9, 0.9], [0.1, 0.1]])}
    assert circuit_overlap(same, 0.5) == 1.0
    assert circuit_overlap(r, 0.5) == pytest.approx(1 / 3)  # {0,3} vs {1,3}


def test_units_that_restore_nothing_are_in_no_circuit():
    # Factor 0 is restored by unit 1 alone, factor 1 by unit 2 alone: disjoint circuits, even
    # when the top share reaches into the units with R = 0.
    r = {"l1": np.array([[0.0, 0.0], [0.7, 0.0], [0.0, 0.4], [0.0, 0.0]])}
    assert circuits(r, 0.5) == [{("l1", 1)}, {("l1", 2)}]
    assert circuit_overlap(r, 0.5) == 0.0
    # Patching a collapsed encoder restores nothing: no circuits, overlap undefined (not 1).
    nothing = {"l1": np.zeros((4, 3)), "l2": np.full((2, 3), np.nan)}
    assert circuits(nothing, 0.5) == [set(), set(), set()]
    assert np.isnan(circuit_overlap(nothing, 0.5))


def test_semantic_fractions():
    r = np.array([[0.5, 0.5], [0.5, 0.0], [0.0, 0.0], [np.nan, 0.0]])
    assert semantic_fractions(r, 0.1) == {"polysemantic": 0.25, "monosemantic": 0.25}
