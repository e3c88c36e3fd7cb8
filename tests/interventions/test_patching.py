"""Activation patching obeys the laws of any correct implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaecausal.interventions.hooks import captured, is_linear, unit_view
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.patching import (
    decoder_patching,
    encoder_restoration,
    patched_outcomes,
)
from vaecausal.models.device import place_network
from vaecausal.models.network import DECODER_HOOKS, ENCODER_HOOKS, GaussianVAE
from vaecausal.models.vq_vae import VQVAE


def _model(cls=GaussianVAE, **kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    network = cls(1, 4, **kwargs) if kwargs else cls(1, 4)
    return place_network(network, torch.device("cpu")).eval()  # the engine's layout


def _family(same: bool = False) -> PairFamily:
    generator = torch.Generator().manual_seed(1)
    control = torch.rand(3, 1, 64, 64, generator=generator)
    treated = control.clone() if same else torch.rand(3, 1, 64, 64, generator=generator)
    return PairFamily("f", control, treated)


@pytest.mark.parametrize("cls", [GaussianVAE, VQVAE])
def test_treatment_equal_to_control_restores_nothing(cls):
    model = _model(cls, embedding_dim=2, codebook_size=8) if cls is VQVAE else _model()
    restoration = encoder_restoration(model, _family(same=True)).ratios()
    assert set(restoration) == set(ENCODER_HOOKS)
    assert all(np.abs(r).max() == 0.0 for r in restoration.values())


def test_restoration_is_non_negative_and_no_single_unit_of_a_wide_layer_carries_it_all():
    restoration = encoder_restoration(_model(), _family()).ratios()
    for name, r in restoration.items():
        assert r.min() >= 0.0, name
    assert 0 < restoration["encoder.fc"].max() < 1  # 256 units share the change


def _patch_one_unit_with_a_hook(model, name, x, source_activation, unit):
    """Reference: a forward hook replacing one unit's activation, the whole network rerun."""

    def hook(_module, _inputs, output):
        linear = is_linear(model, name)
        view = unit_view(output, linear).clone()
        view[:, unit] = unit_view(source_activation, linear)[:, unit]
        return view.reshape(output.shape)

    handle = model.hook_module(name).register_forward_hook(hook)
    try:
        return model.latents_from_features(model.encoder(x))
    finally:
        handle.remove()


@pytest.mark.parametrize("name", ["encoder.conv2", "encoder.fc"])
def test_batched_patching_matches_a_hook_rerun_per_unit(name):
    model, family = _model(), _family()
    with torch.no_grad(), captured(model, [name]) as acts:
        model.encoder(family.control)
        control = acts[name]
        model.encoder(family.treated)
        treated = acts[name]
        layer = name.split(".")[1]
        batched = patched_outcomes(
            lambda a: model.latents_from_features(model.encoder.forward_from(layer, a)),
            control,
            treated,
            is_linear(model, name),
            lambda outcome: outcome,
            max_elements=2**16,  # forces several chunks
        )
    for unit in (0, 5, batched.shape[0] - 1):
        with torch.no_grad():
            expected = _patch_one_unit_with_a_hook(model, name, family.control, treated, unit)
        torch.testing.assert_close(batched[unit], expected, rtol=1e-5, atol=1e-6)


def test_decoder_patching_restores_nothing_for_an_ignored_latent():
    model = _model()
    with torch.no_grad():
        model.decoder.fc1[0].weight[:, 3] = 0.0
    latents = torch.randn(2, 4, generator=torch.Generator().manual_seed(2))
    targets = torch.full((4,), 2.0)
    result = decoder_patching(model, latents, targets, patched_latents=[0, 3])
    assert set(result) == set(DECODER_HOOKS)
    for name, r in result.items():
        assert np.isnan(r[:, [1, 2]]).all()  # not patched
        assert np.abs(r[:, 3]).max() == 0.0, name
    assert result["decoder.fc1"][:, 0].max() > 0
    # the output layer's channels together carry the whole change: one channel here
    assert result["decoder.deconv4"][0, 0] == pytest.approx(1.0, rel=1e-5)


def test_decoder_patching_takes_each_codes_own_targets():
    model = _model()
    latents = torch.randn(3, 4, generator=torch.Generator().manual_seed(4))
    shared = torch.full((4,), 2.0)
    same = decoder_patching(model, latents, shared.expand(3, 4), patched_latents=[0, 2])
    for name, r in decoder_patching(model, latents, shared, patched_latents=[0, 2]).items():
        np.testing.assert_allclose(same[name], r, rtol=1e-6)
    moved = decoder_patching(model, latents, latents + 2.0, patched_latents=[0, 2])  # additive
    assert not np.allclose(moved["decoder.fc1"][:, 0], same["decoder.fc1"][:, 0])


def test_decoder_patching_of_a_collapsed_model_is_all_undefined():
    latents = torch.randn(2, 4, generator=torch.Generator().manual_seed(3))
    result = decoder_patching(_model(), latents, torch.zeros(4), patched_latents=[])
    assert result["decoder.fc2"].shape == (1024, 4) and result["decoder.deconv1"].shape == (64, 4)
    assert all(np.isnan(r).all() for r in result.values())


def test_patching_a_subset_of_units_gives_their_rows_of_patching_every_unit():
    model, family = _model(), _family()
    units = {"encoder.conv2": np.array([1, 7, 30]), "encoder.fc": np.array([0, 255])}
    every = encoder_restoration(model, family)
    some = encoder_restoration(model, family, units=units)
    for name, moved in some.moved.items():
        expected = every.moved[name][units[name]] if name in units else every.moved[name]
        np.testing.assert_allclose(moved, expected, rtol=1e-5, atol=1e-7)
    latents = torch.randn(2, 4, generator=torch.Generator().manual_seed(5))
    decoder_units = {"decoder.fc2": np.array([3, 500, 1023])}
    full = decoder_patching(model, latents, torch.full((4,), 2.0), [0, 2])
    part = decoder_patching(model, latents, torch.full((4,), 2.0), [0, 2], units=decoder_units)
    np.testing.assert_allclose(part["decoder.fc2"], full["decoder.fc2"][[3, 500, 1023]], rtol=1e-5)
    assert part["decoder.fc1"].shape == full["decoder.fc1"].shape


def test_decoder_patching_in_groups_of_latents_gives_the_same_restoration():
    model = _model()
    latents = torch.randn(3, 4, generator=torch.Generator().manual_seed(6))
    targets = torch.full((4,), 2.0)
    whole = decoder_patching(model, latents, targets, [0, 1, 3])
    grouped = decoder_patching(model, latents, targets, [0, 1, 3], decode_batch=3)  # one a call
    for name, r in whole.items():
        np.testing.assert_allclose(grouped[name], r, rtol=1e-3, atol=1e-5, err_msg=name)
        assert np.isnan(grouped[name][:, 2]).all()
