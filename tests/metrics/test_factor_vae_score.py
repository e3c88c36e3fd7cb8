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


def _noisy_pool(rows_per_value: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes = three 20-valued factors (scaled to [0, 1)) plus heavy noise: a score near 0.67."""
    rng = np.random.default_rng(seed)
    factors = grid_factors(20 * rows_per_value, rng, sizes=(20, 20, 20))
    return factors / 20 + rng.normal(scale=0.6, size=factors.shape), factors


def _mean_score(rows_per_value: int, seeds: range) -> tuple[float, float]:
    """Mean FactorVAE score over seeds (pool and metric), with its squared standard error."""
    scores = [
        factor_vae_score(*_noisy_pool(rows_per_value, s), seed=s, n_train=2000, n_eval=4000)
        for s in seeds
    ]
    accuracy = np.array([result.eval_accuracy for result in scores])
    return float(accuracy.mean()), float(accuracy.var(ddof=1) / len(seeds))


def test_a_pool_of_100_rows_per_value_scores_as_one_of_3000():
    # Batches drawn with replacement scored 0.607 against 0.674 here: duplicate rows make the
    # within-batch variances noisier. The tolerance is 3 standard errors of the difference of
    # the means over seeds, and must stay below half that bias for the test to see it.
    small, small_error = _mean_score(100, range(8))
    large, large_error = _mean_score(3000, range(8))
    assert 0.55 < large < 0.8  # far from chance (1/3) and from 1
    tolerance = 3 * np.sqrt(small_error + large_error)
    assert tolerance < 0.03
    assert abs(small - large) < tolerance


def test_votes_drawn_with_replacement_are_counted():
    rng = np.random.default_rng(6)
    factors = grid_factors(3000, rng)  # 600 rows or more per value
    codes = aligned_codes(factors, rng)
    assert factor_vae_score(codes, factors, seed=0, **SMALL).votes_with_replacement == 0
    small = factor_vae_score(codes[:60], factors[:60], seed=0, **SMALL)  # under 64 rows in all
    assert small.votes_with_replacement == SMALL["n_train"] + SMALL["n_eval"]
    # Factor 0's values have 32 rows, factor 1's 160: only votes fixing factor 0 are counted.
    mixed = np.column_stack([np.arange(320) % 10, np.arange(320) // 160])
    result = factor_vae_score(mixed + rng.normal(size=mixed.shape), mixed, seed=0, **SMALL)
    assert abs(result.votes_with_replacement - 450) < 4 * np.sqrt(900 / 4)
