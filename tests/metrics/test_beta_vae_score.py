"""BetaVAE score known answers: aligned codes ~1, noise at chance, constant factors skipped."""

from __future__ import annotations

import numpy as np

from tests.metrics.synthetic import aligned_codes, grid_factors, noise_codes
from vaecausal.metrics.beta_vae_score import beta_vae_score

SMALL = {"n_train": 500, "n_eval": 300}


def test_aligned_codes_score_near_one():
    rng = np.random.default_rng(0)
    factors = grid_factors(1500, rng)
    result = beta_vae_score(aligned_codes(factors, rng), factors, seed=0, **SMALL)
    assert result.eval_accuracy > 0.98 and result.train_accuracy > 0.98


def test_noise_scores_at_chance():
    rng = np.random.default_rng(1)
    factors = grid_factors(1500, rng)
    result = beta_vae_score(noise_codes(1500, 6, rng), factors, seed=0, **SMALL)
    assert result.eval_accuracy < 1 / 3 + 0.1


def test_constant_factor_is_skipped_and_reported():
    rng = np.random.default_rng(2)
    factors = np.column_stack([np.full(1500, 1), grid_factors(1500, rng)])
    result = beta_vae_score(aligned_codes(factors[:, 1:], rng), factors, seed=0, **SMALL)
    assert result.skipped_factors == (0,) and result.eval_accuracy > 0.98


def test_reproducible_with_its_seed():
    rng = np.random.default_rng(3)
    factors = grid_factors(800, rng)
    codes = factors + rng.normal(scale=2.0, size=factors.shape)
    runs = [beta_vae_score(codes, factors, seed=s, **SMALL) for s in (4, 4, 5)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_points_drawn_with_replacement_are_counted():
    rng = np.random.default_rng(6)
    factors = grid_factors(3000, rng)
    codes = aligned_codes(factors, rng)
    assert beta_vae_score(codes, factors, seed=0, **SMALL).points_with_replacement == 0
    # A point needs 128 distinct rows, more than the 100 of this pool.
    small = beta_vae_score(codes[:100], factors[:100], seed=0, **SMALL)
    assert small.points_with_replacement == SMALL["n_train"] + SMALL["n_eval"]
