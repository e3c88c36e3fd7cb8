"""Input manipulation pairs (x, x') that differ in exactly one factor.

On a dataset stored as a complete factor grid, x' is found by resampling factor k to another
value and looking the new factor tuple up in the grid (every model of a dataset gets the same
pairs: the draws are seeded by the dataset's split seed). Datasets without a complete grid
(CelebA) use a fixed family of input transforms instead, each treated as a "factor".

Two kinds of pairs. ``input_pairs`` are symmetric: x' has factor k moved to a uniformly drawn
other value, so (x, x') and (x', x) are equally likely. They measure how much a latent moves
(the effect matrix A, restoration), never in which direction: for any outcome y, E[y(x') - y(x)]
is 0 by symmetry. ``mediation_pairs`` are directed treatments, as in causal mediation analysis
(a control value to a treated value): an ordered factor moves up (the lower of two distinct
values to the higher, so every pair moves the same way), and a categorical factor (a shape, a
colour) gets one fixed contrast per value b: its first value to b. Input transforms are directed
by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
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

    def moved_up(
        self, factors: np.ndarray, k: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """(lower, higher): each row's factor k and a uniformly drawn other value, sorted.

        Every unordered pair of distinct values is equally likely, so the treatment is "factor
        k goes up", averaged over all pairs of values, and every row of the sample is used.
        """
        changed = self.changed(factors, k, rng)
        lower, higher = factors.copy(), factors.copy()
        lower[:, k] = np.minimum(factors[:, k], changed[:, k])
        higher[:, k] = np.maximum(factors[:, k], changed[:, k])
        return lower, higher

    @staticmethod
    def contrast(factors: np.ndarray, k: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """(control, treated): ``factors`` with factor k set to value a and to value b."""
        control, treated = factors.copy(), factors.copy()
        control[:, k], treated[:, k] = a, b
        return control, treated


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
    # Dataset rows of (control, treated), (n, 2), where the images are dataset images: pairs
    # built on a small grid share images, and samples that must be independent must not.
    sources: np.ndarray | None = None

    def subset(self, pairs: np.ndarray) -> PairFamily:
        """The same family over the pairs at positions ``pairs``."""
        index = torch.as_tensor(pairs, dtype=torch.long, device=self.control.device)
        sources = None if self.sources is None else self.sources[pairs]
        return PairFamily(self.name, self.control[index], self.treated[index], sources)


def transform_families(images: BatchGatherer, indices: np.ndarray) -> list[PairFamily]:
    """One family per input transform, the images ``indices`` as controls (off a grid)."""
    control = images.gather(indices)
    return [PairFamily(name, control, t(control)) for name, t in TRANSFORMS.items()]


def input_pairs(
    images: BatchGatherer,
    factors: np.ndarray,
    factor_names: Sequence[str],
    factor_sizes: Sequence[int],
    indices: np.ndarray,
    seed: int,
) -> list[PairFamily]:
    """One family of pairs per factor that varies (or per transform), controls = ``indices``."""
    grid = FactorGrid(factors, factor_sizes)
    if not grid.complete:
        return transform_families(images, indices)
    control = images.gather(indices)
    families = []
    for k, name in enumerate(factor_names):
        if factor_sizes[k] < 2:
            continue
        rng = np.random.default_rng([seed, k])
        partners = grid.index_of(grid.changed(factors[indices], k, rng))
        families.append(PairFamily(name, control, images.gather(partners)))
    return families


def directed_treatments(
    factor_names: Sequence[str], factor_sizes: Sequence[int], categorical: Collection[str] = ()
) -> list[tuple[str, int, int | None]]:
    """(name, factor, contrast value) of mediation's treatments on a complete grid: per ordered
    factor that varies, "<factor> up" (value None); per categorical factor and value b > 0,
    "<factor> 0->b"."""
    treatments: list[tuple[str, int, int | None]] = []
    for k, name in enumerate(factor_names):
        if factor_sizes[k] < 2:
            continue
        if name in categorical:
            treatments += [(f"{name} 0->{b}", k, b) for b in range(1, factor_sizes[k])]
        else:
            treatments.append((f"{name} up", k, None))
    return treatments


def family_and_treatment_names(
    factors: np.ndarray,
    factor_names: Sequence[str],
    factor_sizes: Sequence[int],
    categorical: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """The names of input manipulation's families and of mediation's treatments, known before
    any image is gathered (for the cost plan): factors and directed treatments on a complete
    grid, the input transforms off one."""
    if not FactorGrid(factors, factor_sizes).complete:
        return list(TRANSFORMS), list(TRANSFORMS)
    varying = [name for name, size in zip(factor_names, factor_sizes, strict=True) if size >= 2]
    return varying, [t[0] for t in directed_treatments(factor_names, factor_sizes, categorical)]


def mediation_pairs(
    images: BatchGatherer,
    factors: np.ndarray,
    factor_names: Sequence[str],
    factor_sizes: Sequence[int],
    indices: np.ndarray,
    seed: int,
    categorical: Collection[str] = (),
) -> Iterator[PairFamily]:
    """Directed treatments, each a family of pairs built on the rows ``indices``: per ordered
    factor that varies, "<factor> up" (lower value -> higher value); per categorical factor
    (named in ``categorical``) and value b > 0, "<factor> 0->b". Off a complete grid, the
    input transforms (directed as they are).

    The factor tables are checked and built at once; each family's images are gathered only
    when the iterator reaches it, so a consumer holds one treatment's images at a time (MPI3D's
    16 treatments of 1,000 pairs would otherwise hold 1.5 GB).
    """
    grid = FactorGrid(factors, factor_sizes)
    if not grid.complete:
        return iter(transform_families(images, indices))
    unknown = set(categorical) - set(factor_names)
    if unknown:
        raise ValueError(f"categorical factors {sorted(unknown)} are not factors of the dataset")
    rows = factors[indices]
    treatments = [
        (
            name,
            grid.moved_up(rows, k, np.random.default_rng([seed, k]))
            if b is None
            else grid.contrast(rows, k, 0, b),
        )
        for name, k, b in directed_treatments(factor_names, factor_sizes, categorical)
    ]
    sources = [
        (name, np.stack([grid.index_of(control), grid.index_of(treated)], axis=1))
        for name, (control, treated) in treatments
    ]
    return (
        PairFamily(name, images.gather(pairs[:, 0]), images.gather(pairs[:, 1]), pairs)
        for name, pairs in sources
    )
