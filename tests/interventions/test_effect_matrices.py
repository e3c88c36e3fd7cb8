"""On a model whose latent i drives only factor i, every effect matrix is diagonal."""

from __future__ import annotations

import numpy as np
import torch

from tests.interventions.stripes import StripeModel, StripeOracle, stripe_images
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import grid_factors
from vaecausal.interventions.input_manipulation import input_effects
from vaecausal.interventions.latent_perturbation import latent_perturbation
from vaecausal.interventions.pairs import input_pairs

K, SIZE = 4, 3


def _off_diagonal(matrix: np.ndarray) -> np.ndarray:
    return matrix[~np.eye(len(matrix), dtype=bool)]


def test_input_manipulation_effect_matrix_is_diagonal():
    factors = grid_factors([SIZE] * K)
    images = BatchGatherer(stripe_images(factors, SIZE), torch.device("cpu"))
    families = input_pairs(images, factors, list("abcd"), [SIZE] * K, np.arange(len(factors)), 0)
    eval_latents = StripeModel(K).encoder(images.gather(np.arange(len(factors)))).numpy()
    effect = input_effects(StripeModel(K), families, eval_latents)
    assert effect.shape == (K, K)
    assert np.diag(effect).min() > 0.5
    assert np.abs(_off_diagonal(effect)).max() < 1e-6


def test_latent_perturbation_factor_effect_is_diagonal():
    z = np.random.default_rng(0).uniform(-1, 1, size=(16, K)).astype(np.float32)
    norms, means = latent_perturbation(
        StripeModel(K), z, [-2.0, 2.0], decode_batch=32, oracle=StripeOracle(K)
    )
    effect = means["factor_effect"]
    assert effect.shape == (K, K)
    assert np.diag(effect).min() > 0.05
    assert np.abs(_off_diagonal(effect)).max() < 1e-6
    assert norms.min() > 0
