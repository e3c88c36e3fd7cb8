"""Causal mediation: laws of any correct implementation, known answers on a hand-built encoder,
and the total-effect test's error rate under the null and power under a real effect."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.interventions.stripes import StripeModel
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import grid_factors
from vaecausal.interventions.mediation import (
    Outcome,
    mediate,
    mediation_analysis,
    total_effect_test,
    unit_shares,
)
from vaecausal.interventions.pairs import PairFamily, mediation_pairs
from vaecausal.models.device import place_network
from vaecausal.models.network import ENCODER_HOOKS, GaussianVAE
from vaecausal.models.vq_vae import VQVAE

SIZE, STEP, LOW = 8, 30, 20  # stripe brightness LOW + STEP * value, on a grid of SIZE values


def _random_model(cls=GaussianVAE) -> torch.nn.Module:
    torch.manual_seed(0)
    network = cls(1, 4, embedding_dim=2, codebook_size=8) if cls is VQVAE else cls(1, 4)
    return place_network(network, torch.device("cpu")).eval()


def _family(same: bool = False, n: int = 6) -> PairFamily:
    generator = torch.Generator().manual_seed(1)
    control = torch.rand(n, 1, 64, 64, generator=generator)
    treated = control.clone() if same else torch.rand(n, 1, 64, 64, generator=generator)
    return PairFamily("f", control, treated)


@pytest.mark.parametrize("cls", [GaussianVAE, VQVAE])
def test_treatment_equal_to_control_has_no_effect_and_no_shares(cls):
    y = Outcome.of_latent(1, torch.ones(4, 2 if cls is VQVAE else 1))
    result = mediate(_random_model(cls), _family(same=True), y)
    assert result.total_effect.value == 0.0 and result.total_effect.p_value == 1.0
    assert not result.total_effect.distinguishable
    for name in ENCODER_HOOKS:  # zero up to float round-off of batched convolutions
        assert np.abs(result.nie_units[name]).max() < 1e-6
        assert np.abs(result.nde_units[name]).max() < 1e-6
        assert result.nie_layer[name] == 0.0 and result.nde_layer[name] == 0.0
        assert np.isnan(unit_shares(result.nie_units[name], result.total_effect)).all()


def test_a_whole_layer_mediates_everything_in_a_feed_forward_chain():
    result = mediate(_random_model(), _family(), Outcome.of_latent(2, torch.ones(4, 1)))
    total = result.total_effect.value
    assert abs(total) > 1e-4
    for name in ENCODER_HOOKS:
        assert result.nie_layer[name] == pytest.approx(total, rel=1e-4, abs=1e-6)
        assert result.nde_layer[name] == pytest.approx(0.0, abs=1e-6)
    # the last hidden layer feeds a linear head: unit effects add up exactly to the whole, pair
    # by pair, and TE is the mean of the pairs' changes
    assert result.nie_units["encoder.fc"].sum() == pytest.approx(total, rel=1e-3)
    np.testing.assert_allclose(
        result.pair_unit_nie_sums["encoder.fc"], result.pair_effects, rtol=1e-3, atol=1e-6
    )
    assert result.pair_effects.mean() == pytest.approx(total)


def _stripe_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A grid of 3 factors: a and b paint stripes 0 and 1 (brightness LOW + STEP * value), c
    paints nothing; every image gets its own brightness offset in [-15, 15], independent of the
    factors, so latents are noisy and a change of c moves them by noise alone."""
    factors = grid_factors([SIZE] * 3)
    offset = np.random.default_rng(seed).integers(-15, 16, size=len(factors))
    level = LOW + STEP * factors[:, :2] + offset[:, None]  # (N, 2), within 5..245
    images = np.repeat(level.astype(np.uint8), 32, axis=1)[:, None, :, None].repeat(64, axis=1)
    return images, factors


def _stripe_mediation(seed: int, names=("a", "b", "c"), categorical=()) -> tuple[dict, np.ndarray]:
    """Mediation results by treatment, and the latents' spread over the evaluation images."""
    images, factors = _stripe_data(seed)
    model = StripeModel(2)
    rows = np.random.default_rng(seed + 1).permutation(len(factors))[:400]
    gatherer = BatchGatherer(images, torch.device("cpu"))
    families = mediation_pairs(
        gatherer, factors, list(names), [SIZE] * 3, rows, seed, categorical=categorical
    )
    with torch.no_grad():
        latents = model.encoder(gatherer.gather(rows))
    results = mediation_analysis(model, families, latents, np.ones(2, bool), n_measure=64)
    return {r.name: r for r in results}, latents.std(0).numpy()


def test_a_latent_that_reads_a_factor_exactly_has_the_expected_directed_total_effect():
    results, spread = _stripe_mediation(seed=0)
    a = results["a up"]
    assert a.outcome_latent == 0 and a.outcome_weights[0] > 0.99
    # mu_0 = (LOW + STEP * a + offset) / 255; over distinct value pairs E[high - low] is
    # STEP * (SIZE + 1) / 3 / 255 (offsets differ between the two images, mean zero), and mu_1
    # does not move on average: y = w_0 mu_0 / std_0 + w_1 mu_1 / std_1 moves by w_0 / std_0 that
    w0 = a.outcome_weights[0]
    expected = w0 * STEP * (SIZE + 1) / 3 / 255 / spread[0]
    total = a.total_effect
    assert abs(total.value - expected) < 3 * total.standard_error
    assert total.distinguishable and total.n_pairs == 64
    shares = unit_shares(a.nie_units["encoder.fc"], total)
    assert shares.sum() == pytest.approx(1.0, rel=1e-5)
    assert shares[0] == pytest.approx(1.0, abs=0.05) and abs(shares[1]) < 0.05


def test_a_factor_no_latent_reads_has_a_total_effect_within_noise_and_undefined_shares():
    c = _stripe_mediation(seed=0)[0]["c up"]
    total = c.total_effect
    assert not total.distinguishable and abs(total.value) < 3 * total.standard_error
    assert total.standard_error > 0  # noise, not nothing
    for name in ENCODER_HOOKS:
        assert np.isnan(unit_shares(c.nie_units[name], total)).all()


def test_categorical_factors_get_one_contrast_per_value():
    results, spread = _stripe_mediation(seed=0, categorical=("b",))
    assert list(results) == ["a up", *(f"b 0->{v}" for v in range(1, SIZE)), "c up"]
    b3 = results["b 0->3"]
    assert b3.outcome_latent == 1
    # every pair moves b from 0 to 3: mu_1 moves 3 steps exactly, up to the images' offsets
    expected = b3.outcome_weights[1] * 3 * STEP / 255 / spread[1]
    assert abs(b3.total_effect.value - expected) < 3 * b3.total_effect.standard_error


def test_the_ignored_factor_is_told_apart_from_noise_at_most_at_the_nominal_rate():
    """The outcome latent and its direction are chosen on other pairs than those that measure
    TE, so the test keeps its level although the choice favours the largest move."""
    rejections = [
        _stripe_mediation(seed, names=("a", "b", "c"))[0]["c up"].total_effect.distinguishable
        for seed in range(60)
    ]
    # 60 draws at a true rate of 0.05: 8 or more rejections has probability < 0.5%
    assert sum(rejections) < 8


def test_total_effect_test_has_its_level_under_the_null_and_power_under_an_effect():
    rng = np.random.default_rng(0)
    n, draws = 64, 2000
    for null in (rng.normal(size=(draws, n)), rng.exponential(size=(draws, n)) - 1.0):
        rate = np.mean([total_effect_test(d).distinguishable for d in null])
        assert 0.03 < rate < 0.07  # 2000 draws: sd of the rate 0.005
    shifted = rng.normal(loc=0.5, size=(draws, n))
    assert np.mean([total_effect_test(d).distinguishable for d in shifted]) > 0.95


def test_total_effect_test_edge_cases():
    assert total_effect_test(np.zeros(5)).p_value == 1.0
    assert total_effect_test(np.full(5, 0.3)).p_value == 0.0
    assert np.isnan(total_effect_test(np.array([0.2])).p_value)


def test_a_model_without_active_latents_has_nothing_to_mediate():
    """A collapsed model's latents still jitter with the input, deterministically: a test on
    them could call that jitter an effect, so there is no outcome and nothing is measured."""
    images, factors = _stripe_data(seed=0)
    model = StripeModel(2)
    gatherer = BatchGatherer(images, torch.device("cpu"))
    rows = np.arange(0, len(factors), 2)
    families = mediation_pairs(gatherer, factors, ["a", "b", "c"], [SIZE] * 3, rows, 0)
    results = mediation_analysis(model, families, torch.rand(8, 2), np.zeros(2, bool), 64)
    for result in results:
        assert result.outcome_latent == -1 and not result.total_effect.distinguishable
        assert np.isnan(result.total_effect.value) and result.total_effect.n_pairs == 64
        assert result.nie_units["encoder.fc"].shape == (2,)
        assert np.isnan(result.nie_units["encoder.fc"]).all()


def test_mediation_refuses_too_few_pairs():
    model = StripeModel(2)
    family = _family(n=3)
    with pytest.raises(ValueError, match="at least 2 pairs to measure"):
        mediation_analysis(model, [family], torch.rand(5, 2), np.ones(2, bool), n_measure=64)
