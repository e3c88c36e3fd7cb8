"""The intervention laws tested on the project's network hold on foreign models too, through the
generic hook path: a hand-written VAE with residual blocks and pythae models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.adapters.foreign import pythae_model, residual_vae
from vaecausal.adapters.module import ModuleAdapter
from vaecausal.adapters.pythae import PythaeAdapter, PythaeVQAdapter
from vaecausal.interventions.input_manipulation import as_slots
from vaecausal.interventions.latent_perturbation import latent_perturbation
from vaecausal.interventions.mediation import Outcome, mediate
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.patching import decoder_patching, encoder_restoration

# (adapter factory, the decoder's first weight (its column i reads latent i), a hook point every
# encoder path goes through, one that a skip connection bypasses or None)
MODELS = {
    "residual": (
        lambda: ModuleAdapter(residual_vae()),
        "expand.weight",
        "fc",
        "block.inner",
    ),
    "pythae_vae": (
        lambda: PythaeAdapter(pythae_model("VAE")),
        "decoder.layers.0.0.weight",
        "encoder.layers.0.0",
        None,
    ),
    "pythae_beta_tc_vae": (
        lambda: PythaeAdapter(pythae_model("BetaTCVAE")),
        "decoder.layers.0.0.weight",
        "encoder.layers.0.0",
        None,
    ),
}


def _family(same: bool = False, n: int = 6) -> PairFamily:
    generator = torch.Generator().manual_seed(1)
    control = torch.rand(n, 1, 64, 64, generator=generator)
    treated = control.clone() if same else torch.rand(n, 1, 64, 64, generator=generator)
    return PairFamily("f", control, treated)


@pytest.mark.parametrize("kind", [*MODELS, "pythae_vq_vae"])
def test_treatment_equal_to_control_has_no_effect(kind):
    if kind == "pythae_vq_vae":
        model = PythaeVQAdapter(pythae_model("VQVAE"))
    else:
        model = MODELS[kind][0]()
    family = _family(same=True)
    for name, r in encoder_restoration(model, family).ratios().items():
        assert np.abs(r).max() == 0.0, name
    slots = as_slots(model.encode_latents(family.control[:1]))[0]
    result = mediate(model, family, Outcome.of_latent(0, slots))
    assert result.total_effect.value == 0.0
    for name in model.encoder_hooks:
        assert np.abs(result.nie_units[name]).max() < 1e-6, name
        assert result.nie_layer[name] == 0.0 and result.nde_layer[name] == 0.0


@pytest.mark.parametrize("kind", MODELS)
def test_a_latent_the_decoder_ignores_has_no_effect(kind):
    make, weight, _, _ = MODELS[kind]
    model = make()
    with torch.no_grad():
        model.module.get_parameter(weight)[:, 3] = 0.0
    latents = torch.randn(4, 4, generator=torch.Generator().manual_seed(2))
    restored = decoder_patching(model, latents, torch.full((4,), 2.0), patched_latents=[0, 3])
    for name, r in restored.items():
        assert np.abs(r[:, 3]).max() == 0.0, name
    assert restored[model.decoder_hooks[0]][:, 0].max() > 0
    norms, means = latent_perturbation(model, latents.numpy(), [-1.0, 1.0], decode_batch=64)
    assert norms[:, 3].max() == 0.0 and norms[:, 0].max() > 0
    for key, delta in means.items():
        assert np.abs(delta[3]).max() == 0.0, key


@pytest.mark.parametrize("kind", MODELS)
def test_a_hook_point_every_path_goes_through_mediates_everything(kind):
    make, _, every_path, bypassed = MODELS[kind]
    model = make()
    slots = as_slots(model.encode_latents(_family().control[:1]))[0]
    result = mediate(model, _family(), Outcome.of_latent(1, slots))
    total = result.total_effect.value
    assert abs(total) > 1e-5
    assert result.nie_layer[every_path] == pytest.approx(total, rel=1e-4, abs=1e-7)
    assert result.nde_layer[every_path] == pytest.approx(0.0, abs=1e-7)
    if bypassed is not None:  # the skip path carries part of the effect past it
        assert result.nde_layer[bypassed] != pytest.approx(0.0, abs=1e-7)
