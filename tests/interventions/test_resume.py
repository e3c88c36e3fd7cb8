"""The generic hook path gives the fast path's numbers on the project's own network."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.adapters.module import ModuleAdapter
from vaecausal.interventions.input_manipulation import input_effects
from vaecausal.interventions.latent_perturbation import latent_perturbation
from vaecausal.interventions.mediation import Outcome, mediate
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.patching import decoder_patching, encoder_restoration
from vaecausal.models.device import place_network
from vaecausal.models.network import DECODER_HOOKS, ENCODER_HOOKS, GaussianVAE


def _both() -> tuple[GaussianVAE, ModuleAdapter]:
    torch.manual_seed(0)
    model = place_network(GaussianVAE(1, 4), torch.device("cpu")).eval()
    generic = ModuleAdapter(
        model,
        output="logits",
        encoder_hooks=ENCODER_HOOKS,
        decoder_hooks=DECODER_HOOKS,
        neuron_hooks=sorted(model.neuron_hooks),
    )
    return model, generic


def _family(n: int = 4) -> PairFamily:
    generator = torch.Generator().manual_seed(1)
    control = torch.rand(n, 1, 64, 64, generator=generator)
    return PairFamily("f", control, torch.rand(n, 1, 64, 64, generator=generator))


def _close(fast: dict, generic: dict) -> None:
    assert list(fast) == list(generic)
    for name in fast:
        np.testing.assert_allclose(generic[name], fast[name], rtol=1e-4, atol=1e-5, err_msg=name)


def test_the_generic_view_has_the_networks_hook_points_and_units():
    model, generic = _both()
    assert generic.encoder_hooks == model.encoder_hooks
    assert generic.decoder_hooks == model.decoder_hooks
    assert generic.neuron_hooks == model.neuron_hooks
    assert generic.n_latents == 4 and generic.channels == 1


def test_encoder_restorations_agree():
    model, generic = _both()
    family = _family()
    _close(
        encoder_restoration(model, family).ratios(), encoder_restoration(generic, family).ratios()
    )


def test_decoder_restorations_agree():
    model, generic = _both()
    latents = torch.randn(3, 4, generator=torch.Generator().manual_seed(2))
    targets = torch.full((4,), 2.0)
    _close(
        decoder_patching(model, latents, targets, [0, 2, 3]),
        decoder_patching(generic, latents, targets, [0, 2, 3]),
    )


def test_mediation_values_agree():
    model, generic = _both()
    family = _family(6)
    y = Outcome.of_latent(1, torch.ones(4, 1))
    fast, slow = (mediate(m, family, y) for m in (model, generic))
    assert slow.total_effect == fast.total_effect
    _close(fast.nie_units, slow.nie_units)
    _close(fast.nde_units, slow.nde_units)
    _close(fast.nie_layer, slow.nie_layer)
    _close(fast.nde_layer, slow.nde_layer)


def test_effect_matrices_agree():
    model, generic = _both()
    families = [_family()]
    latents = torch.randn(5, 4, generator=torch.Generator().manual_seed(3)).numpy()
    np.testing.assert_allclose(
        input_effects(generic, families, latents), input_effects(model, families, latents)
    )
    fast = latent_perturbation(model, latents, [-1.0, 1.0], decode_batch=64)
    slow = latent_perturbation(generic, latents, [-1.0, 1.0], decode_batch=64)
    np.testing.assert_allclose(slow[0], fast[0], rtol=1e-5)
    _close(fast[1], slow[1])
