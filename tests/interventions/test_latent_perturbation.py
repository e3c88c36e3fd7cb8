"""Latent perturbation obeys the laws of any correct implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.interventions.line_codebook import SPACING, line_vq, near_middle_codes
from vaecausal.interventions.latent_perturbation import (
    code_changes,
    grid_perturbation,
    latent_perturbation,
    perturbation_targets,
    perturbed_codes,
)
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.models.device import place_network
from vaecausal.models.network import GaussianVAE
from vaecausal.models.vq_vae import VQVAE


@pytest.mark.parametrize("per_code", [False, True])
def test_perturbed_codes_set_exactly_one_latent(per_code):
    z = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    shared = torch.tensor([-1.0, 7.0]).expand(3, -1)  # the same two values for every latent
    own = 100 + torch.arange(12, dtype=torch.float32).reshape(2, 3, 2)  # (B, d, V)
    codes = perturbed_codes(z, own if per_code else shared)
    assert codes.shape == (2, 3, 2, 3)
    for b in range(2):
        for i in range(3):
            for k in range(2):
                expected = z[b].clone()
                expected[i] = own[b, i, k] if per_code else shared[i, k]
                assert torch.equal(codes[b, i, k], expected)


def test_additive_moves_each_slot_from_its_own_value_in_units_of_its_spread():
    z = torch.randn(50, 3, 2) * torch.tensor([1.0, 5.0]) + 10.0
    perturbation = grid_perturbation(VQVAE(1, 3, 2, 8), z, [-1.0, 0.0, 2.0], "additive")
    codes = perturbation.codes(z[:4])
    assert codes.shape == (4, 3, 3, 3, 2)
    torch.testing.assert_close(codes[1, 2, 2, 2], z[1, 2] + 2 * z.std(0)[2])
    torch.testing.assert_close(codes[1, 2, 1], z[1])  # v = 0 leaves the code as it is
    torch.testing.assert_close(codes[1, 2, 0, :2], z[1, :2])


def test_grid_perturbation_sets_by_default_and_refuses_an_unknown_mode():
    z = torch.randn(5, 4)
    perturbation = grid_perturbation(GaussianVAE(1, 4), z, [2.0])
    assert perturbation.mode == "set" and torch.equal(
        perturbation.targets(z), torch.full((4, 1), 2.0)
    )
    with pytest.raises(ValueError, match="'shift'"):
        grid_perturbation(GaussianVAE(1, 4), z, [2.0], "shift")


def _model_ignoring_latent(ignored: int) -> GaussianVAE:
    torch.manual_seed(0)
    model = place_network(GaussianVAE(1, 4), torch.device("cpu")).eval()
    with torch.no_grad():
        model.decoder.fc1[0].weight[:, ignored] = 0.0
    return model


def test_ignored_latent_has_zero_effect_and_used_latents_do_not():
    model = _model_ignoring_latent(2)
    mu = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    norms = latent_perturbation(model, mu, [-3.0, 0.0, 3.0], decode_batch=7)[0]
    assert norms.shape == (5, 4, 3)
    assert np.abs(norms[:, 2]).max() < 1e-6
    assert norms[:, [0, 1, 3]].mean(axis=(0, 2)).min() > 1e-3


def test_setting_a_latent_to_its_own_value_has_zero_effect():
    model = _model_ignoring_latent(0)
    mu = np.full((3, 4), 0.5, dtype=np.float32)
    norms = latent_perturbation(model, mu, [0.5], decode_batch=100)[0]
    assert np.abs(norms).max() < 1e-6


def test_result_does_not_depend_on_decode_batch():
    model = _model_ignoring_latent(1)
    mu = np.random.default_rng(1).normal(size=(9, 4)).astype(np.float32)
    small = latent_perturbation(model, mu, [-1.0, 2.0], decode_batch=3)[0]
    large = latent_perturbation(model, mu, [-1.0, 2.0], decode_batch=10_000)[0]
    np.testing.assert_allclose(small, large, rtol=1e-4, atol=1e-6)


def test_vq_slots_are_perturbed_in_units_of_their_spread():
    z = torch.randn(50, 3, 2) * torch.tensor([1.0, 5.0]) + 10.0
    centre, scale = VQVAE(1, 3, 2, 8).perturbation_frame(z)
    targets = perturbation_targets(centre, scale, torch.tensor([-1.0, 0.0, 2.0]))
    assert targets.shape == (3, 3, 2)
    torch.testing.assert_close(targets[1, 1], z.mean(0)[1])
    torch.testing.assert_close(targets[2, 2], z.mean(0)[2] + 2 * z.std(0)[2])
    codes = perturbed_codes(z[:4], targets)
    assert codes.shape == (4, 3, 3, 3, 2)
    torch.testing.assert_close(codes[1, 2, 0, 2], targets[2, 0])
    torch.testing.assert_close(codes[1, 2, 0, :2], z[1, :2])


def test_small_moves_of_a_vq_slot_snap_back_to_the_same_code():
    torch.manual_seed(0)
    model = place_network(VQVAE(1, 3, 2, 16), torch.device("cpu")).eval()
    with torch.no_grad():
        model.quantiser.codebook.weight.copy_(torch.randn(16, 2) * 3)
        z_e = model.quantiser.codebook.weight[torch.tensor([[1, 2, 3]] * 20)].clone()
    z_e += 0.01 * torch.randn_like(z_e)  # near the codes: a spread of ~0.01
    norms = latent_perturbation(model, z_e.numpy(), [-1.0, 1.0], decode_batch=64)[0]
    assert np.abs(norms).max() < 1e-6


def test_base_and_changed_codes_share_decoder_calls_of_at_most_decode_batch():
    model = _model_ignoring_latent(1)
    mu = np.random.default_rng(1).normal(size=(9, 4)).astype(np.float32)
    inputs_per_image = 1 + 4 * 2  # its own code and 4 latents x 2 values
    sizes: list[int] = []
    handle = model.decoder.register_forward_hook(
        lambda _module, inputs, _output: sizes.append(len(inputs[0]))
    )
    for decode_batch, calls in ((10_000, [9 * inputs_per_image]), (18, [18] * 4 + [9])):
        sizes.clear()
        latent_perturbation(model, mu, [-1.0, 2.0], decode_batch=decode_batch)
        assert sizes == calls
    handle.remove()


def test_additive_moves_small_against_the_code_spacing_change_no_code_and_large_ones_do():
    model, z_e = line_vq(), near_middle_codes(16)
    small, large = 0.01, 3.0  # moves of ~0.17 and ~51 against codes 10 apart
    assert 0.01 * z_e.std(0).max() < SPACING / 2 - 0.5 < 3.0 * z_e.std(0).min()
    changed = code_changes(model, z_e, [-large, -small, 0.0, small, large], "additive")
    assert changed.shape == (16, 3, 5)
    assert not changed[:, :, 1:4].any()
    assert changed[:, :, [0, 4]].all()
    norms = latent_perturbation(
        model, z_e, [-large, -small, 0.0, small, large], 64, mode="additive"
    )[0]
    assert np.abs(norms[:, :, 1:4]).max() < 1e-6  # snapped back: the same image
    assert norms[:, :, [0, 4]].min() > 0


@pytest.mark.parametrize("mode", ["additive", "set"])
def test_code_changes_match_quantising_every_perturbed_code(mode):
    model, z_e = line_vq(), near_middle_codes(12)
    values = [-1.0, -0.3, 0.0, 0.3, 1.0]
    changed = code_changes(model, z_e, values, mode, chunk=5)
    z = torch.as_tensor(z_e)
    perturbed = grid_perturbation(model, z, values, mode).codes(z)  # (N, d, V, d, 1)
    before = model.quantiser.codes(z)
    for b, i, k in np.ndindex(changed.shape):
        after = model.quantiser.codes(perturbed[b, i, k][None])[0]
        assert changed[b, i, k] == (after[i] != before[b, i]).item()
        assert torch.equal(after[np.arange(3) != i], before[b, np.arange(3) != i])
    assert 0 < changed[:, :, [1, 3]].mean() < 1  # a move of 0.3 std: some snap back, some not


@pytest.mark.parametrize("mode", ["set", "additive"])
def test_perturbing_some_latents_gives_their_full_run_effects_and_nan_for_the_others(mode):
    model = _model_ignoring_latent(1)
    mu = np.random.default_rng(3).normal(size=(6, 4)).astype(np.float32)
    weights = np.random.default_rng(4).multinomial(6, np.full(6, 1 / 6), size=5)
    oracle = place_network(FactorOracle(1, [3, 2]), torch.device("cpu")).eval()
    analysed = np.array([True, False, False, True])
    kwargs = {"oracle": oracle, "mode": mode, "weights": weights}
    full_norms, full = latent_perturbation(model, mu, [-1.0, 2.0], 5, **kwargs)
    norms, some = latent_perturbation(model, mu, [-1.0, 2.0], 5, analysed=analysed, **kwargs)
    np.testing.assert_allclose(norms[:, analysed], full_norms[:, analysed], rtol=1e-5)
    assert np.isnan(norms[:, ~analysed]).all()
    assert set(some) == set(full)
    for key, value in full.items():
        axis = 1 if key.startswith("replicates.") else 0
        if key.startswith("replicates.activation_delta."):  # over the analysed latents alone
            np.testing.assert_allclose(
                some[key], np.take(value, np.flatnonzero(analysed), axis=1), rtol=1e-4, atol=1e-7
            )
            continue
        kept = np.take(some[key], np.flatnonzero(analysed), axis=axis)
        np.testing.assert_allclose(
            kept, np.take(value, np.flatnonzero(analysed), axis=axis), rtol=1e-4, atol=1e-7
        )
        assert np.isnan(np.take(some[key], np.flatnonzero(~analysed), axis=axis)).all(), key


def test_latents_in_groups_that_fit_a_decoder_call_give_the_same_effects():
    model = _model_ignoring_latent(1)
    mu = np.random.default_rng(5).normal(size=(7, 4)).astype(np.float32)
    weights = np.random.default_rng(6).multinomial(7, np.full(7, 1 / 7), size=4)
    oracle = place_network(FactorOracle(1, [3, 2]), torch.device("cpu")).eval()
    kwargs = {"oracle": oracle, "weights": weights}
    whole_norms, whole = latent_perturbation(model, mu, [-1.0, 2.0], 1000, **kwargs)
    grouped_norms, grouped = latent_perturbation(model, mu, [-1.0, 2.0], 5, **kwargs)  # 2 a call
    np.testing.assert_allclose(grouped_norms, whole_norms, rtol=1e-4, atol=1e-6)
    assert set(grouped) == set(whole)
    for key, value in whole.items():
        np.testing.assert_allclose(grouped[key], value, rtol=1e-4, atol=1e-6, err_msg=key)


def test_perturbing_no_latent_gives_every_effect_undefined():
    model = _model_ignoring_latent(1)
    mu = np.random.default_rng(7).normal(size=(3, 4)).astype(np.float32)
    oracle = place_network(FactorOracle(1, [3, 2]), torch.device("cpu")).eval()
    weights = np.ones((5, 3), dtype=np.int32)
    norms, means = latent_perturbation(
        model, mu, [1.0], 8, oracle, weights=weights, analysed=np.zeros(4, bool)
    )
    assert norms.shape == (3, 4, 1) and np.isnan(norms).all()
    assert means["factor_effect"].shape == (4, 2) and np.isnan(means["factor_effect"]).all()
    assert means["activation_delta.decoder.fc1"].shape == (4, 256)
    assert not [k for k in means if k.startswith("replicates.")]
