"""Latent perturbation obeys the laws of any correct implementation."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.interventions.latent_perturbation import perturbed_codes, pixel_effect_norms
from vaecausal.models.network import GaussianVAE


def test_perturbed_codes_set_exactly_one_latent():
    z = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    values = torch.tensor([-1.0, 7.0])
    codes = perturbed_codes(z, values)
    assert codes.shape == (2, 3, 2, 3)
    for b in range(2):
        for i in range(3):
            for k in range(2):
                expected = z[b].clone()
                expected[i] = values[k]
                assert torch.equal(codes[b, i, k], expected)


def _model_ignoring_latent(ignored: int) -> GaussianVAE:
    torch.manual_seed(0)
    model = GaussianVAE(1, 4).eval()
    with torch.no_grad():
        model.decoder.fc1[0].weight[:, ignored] = 0.0
    return model


def test_ignored_latent_has_zero_effect_and_used_latents_do_not():
    model = _model_ignoring_latent(2)
    mu = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    norms = pixel_effect_norms(model, mu, [-3.0, 0.0, 3.0], decode_batch=7)
    assert norms.shape == (5, 4, 3)
    assert np.abs(norms[:, 2]).max() < 1e-6
    assert norms[:, [0, 1, 3]].mean(axis=(0, 2)).min() > 1e-3


def test_setting_a_latent_to_its_own_value_has_zero_effect():
    model = _model_ignoring_latent(0)
    mu = np.full((3, 4), 0.5, dtype=np.float32)
    norms = pixel_effect_norms(model, mu, [0.5], decode_batch=100)
    assert np.abs(norms).max() < 1e-6


def test_result_does_not_depend_on_decode_batch():
    model = _model_ignoring_latent(1)
    mu = np.random.default_rng(1).normal(size=(9, 4)).astype(np.float32)
    small = pixel_effect_norms(model, mu, [-1.0, 2.0], decode_batch=3)
    large = pixel_effect_norms(model, mu, [-1.0, 2.0], decode_batch=10_000)
    np.testing.assert_allclose(small, large, rtol=1e-4, atol=1e-6)
