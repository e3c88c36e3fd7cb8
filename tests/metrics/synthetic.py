"""Small synthetic pools with known answers for the metric tests."""

from __future__ import annotations

import numpy as np

SIZES = (3, 4, 5)


def grid_factors(n: int, rng: np.random.Generator, sizes: tuple[int, ...] = SIZES) -> np.ndarray:
    """Factor indices drawn uniformly from a grid with the given factor sizes."""
    return np.stack([rng.integers(0, size, n) for size in sizes], axis=1)


def aligned_codes(factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each code is one factor: permuted, rescaled (one flipped), shifted, plus tiny noise."""
    order = np.roll(np.arange(factors.shape[1]), 1)
    scales = np.resize([3.0, -0.7, 10.0], factors.shape[1])
    codes = factors[:, order] * scales + 1.0
    return codes + rng.normal(scale=0.01, size=codes.shape)


def noise_codes(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(n, d))
