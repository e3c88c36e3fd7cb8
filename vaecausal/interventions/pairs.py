"""Input manipulation pairs (x, x') that differ in exactly one factor.

On a dataset stored as a complete factor grid, x' is found by resampling factor k to another
value and looking the new factor tuple up in the grid (every model of a dataset gets the same
pairs: the draws are seeded by the dataset's split seed). Datasets without a complete grid
(CelebA) use a fixed family of input transforms instead, each treated as a "factor".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vaecausal.data.loader import BatchGatherer


class FactorGrid:
    """Lookup from factor tuples to image indices (the first image of a tuple that repeats)."""

    def __init__(self, factors: np.ndarray, sizes: Sequence[int]) -> None:
        self.sizes = tuple(int(s) for s in sizes)
        keys = np.ravel_multi_index(tuple(factors.T), self.sizes)
        self._keys, first = np.unique(keys, return_index=True)
        self._first = first
        self.complete = len(self._keys) == int(np.prod(self.sizes, dtype=np.float64))

    def index_of(self, factors: np.ndarray) -> np.ndarray:
        keys = np.ravel_multi_index(tuple(factors.T), self.sizes)
        position = np.searchsorted(self._keys, keys)
        if np.any(position >= len(self._keys)) or np.any(self._keys[position] != keys):
            raise KeyError("a factor combination is missing from the dataset")
        return self._first[position]

    def changed(self, factors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        """``factors`` with factor k of every row moved to a different, uniformly drawn value."""
        shift = rng.integers(1, self.sizes[k], size=len(factors))
        out = factors.copy()
        out[:, k] = (factors[:, k] + shift) % self.sizes[k]
        return out


def _shift(x: torch.Tensor) -> torch.Tensor:
    """Four pixels right, zero filled."""
    out = torch.zeros_like(x)
    out[..., 4:] = x[..., :-4]
    return out


def _contrast(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * 1.5 + mean).clamp(0, 1)


TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "flip": lambda x: x.flip(-1),
    "shift": _shift,
    "brightness": lambda x: (x + 0.2).clamp(0, 1),
    "contrast": _contrast,
}


@dataclass
class PairFamily:
    """Pairs for one factor (or transform): control images x and treated images x'."""

    name: str
    control: torch.Tensor  # (n, C, 64, 64)
    treated: torch.Tensor


def input_pairs(
    images: BatchGatherer,
    factors: np.ndarray,
    factor_names: Sequence[str],
    factor_sizes: Sequence[int],
    indices: np.ndarray,
    seed: int,
) -> list[PairFamily]:
    """One family of pairs per factor that varies (or per transform), controls = ``indices``."""
    control = images.gather(indices)
    grid = FactorGrid(factors, factor_sizes)
    if not grid.complete:
        return [PairFamily(name, control, t(control)) for name, t in TRANSFORMS.items()]
    families = []
    for k, name in enumerate(factor_names):
        if factor_sizes[k] < 2:
            continue
        rng = np.random.default_rng([seed, k])
        partners = grid.index_of(grid.changed(factors[indices], k, rng))
        families.append(PairFamily(name, control, images.gather(partners)))
    return families
