"""FactorVAE score known answers: aligned codes ~1, noise at chance, pruning of collapsed codes."""

from __future__ import annotations

import numpy as np

from tests.metrics.synthetic import aligned_codes, grid_factors, noise_codes
from vaecausal.metrics.factor_vae_score import factor_vae_score

SMALL = {"n_train": 600, "n_eval": 300, "n_variance": 1000}


def test_aligned_codes_score_near_one():
    rng = np.random.default_rng(0)
    factors = grid_factors(1500, rng)
    result = factor_vae_score(aligned_codes(factors, rng), factors, seed=0, **SMALL)
    assert result.eval_accuracy > 0.98 and result.train_accuracy > 0.98
    assert result.active_codes == 3 and result.skipped_factors == ()


def test_noise_scores_at_chance():
    rng = np.random.default_rng(1)
    factors = grid_factors(1500, rng)
    result = factor_vae_score(noise_codes(1500, 6, rng), factors, seed=0, **SMALL)
    assert result.eval_accuracy < 1 / 3 + 0.1


def test_pruning_compares_the_standard_deviation_with_the_threshold():
    rng = np.random.default_rng(2)
    factors = grid_factors(1500, rng)
    aligned = aligned_codes(factors, rng)
    small = rng.normal(size=(1500, 2)) * np.array([0.04, 0.06])  # variances 0.0016 and 0.0036
    codes = np.column_stack([aligned, small, np.zeros(1500)])
    pruned = factor_vae_score(codes, factors, seed=0, **SMALL)
    assert pruned.active_codes == 4 and pruned.eval_accuracy > 0.98  # std 0.06 kept
    unpruned = factor_vae_score(codes, factors, seed=0, prune_std=0.0, **SMALL)
    assert unpruned.active_codes == 5  # all but the constant code


def test_constant_factor_is_skipped_and_reported():
    rng = np.random.default_rng(3)
    factors = np.column_stack([grid_factors(1500, rng), np.full(1500, 2)])
    codes = aligned_codes(factors[:, :3], rng)
    result = factor_vae_score(codes, factors, seed=0, **SMALL)
    assert result.skipped_factors == (3,) and result.eval_accuracy > 0.98


def test_no_code_left_scores_zero():
    rng = np.random.default_rng(4)
    factors = grid_factors(300, rng)
    result = factor_vae_score(np.zeros((300, 3)), factors, seed=0, **SMALL)
    assert (result.train_accuracy, result.eval_accuracy, result.active_codes) == (0.0, 0.0, 0)


def test_reproducible_with_its_seed():
    rng = np.random.default_rng(5)
    factors = grid_factors(800, rng)
    codes = factors + rng.normal(scale=1.5, size=factors.shape)
    runs = [factor_vae_score(codes, factors, seed=s, **SMALL) for s in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0].eval_accuracy != runs[2].eval_accuracy
