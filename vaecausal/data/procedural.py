"""What the procedural generators share: reduced grids and writing a generated grid to the store.

A generator module (``procedural_dsprites``, ``procedural_shapes3d``) describes its real factor
grid and fills an image array in C order; this module turns that into a prepared dataset whose
metadata marks it procedural, so it is never mistaken for the real data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from vaecausal.data.store import DatasetMeta, StorePaths, staged_images, write_factors_and_meta


class Generator(Protocol):
    """The module-level interface of a procedural generator."""

    FACTOR_NAMES: tuple[str, ...]
    FACTOR_SIZES: tuple[int, ...]
    CHANNELS: int

    def factor_values(self) -> dict[str, np.ndarray]: ...

    def generate(self, images_out: np.ndarray, subsample: Mapping[str, int]) -> np.ndarray: ...


def subsampled_grid(
    names: Sequence[str], sizes: Sequence[int], subsample: Mapping[str, int]
) -> dict[str, np.ndarray]:
    """Indices into the real grid kept for each factor: every k-th value (k = subsample[name])."""
    unknown = set(subsample) - set(names)
    if unknown:
        raise ValueError(f"unknown factors in subsample: {sorted(unknown)} (factors: {names})")
    return {
        name: np.arange(0, size, int(subsample.get(name, 1)))
        for name, size in zip(names, sizes, strict=True)
    }


def procedural_label(label: str) -> str:
    """The configured label, marked procedural if it does not say so."""
    return label if "procedural" in label.lower() else f"{label} (procedural)"


def prepare_generated(
    generator: Generator, dataset: Mapping[str, Any], out: StorePaths
) -> DatasetMeta:
    """Generate ``dataset``'s (reduced) grid with ``generator`` into the common store."""
    subsample = dict(dataset.get("subsample", {}))
    grid = subsampled_grid(generator.FACTOR_NAMES, generator.FACTOR_SIZES, subsample)
    sizes = [len(grid[name]) for name in generator.FACTOR_NAMES]
    with staged_images(out.images, int(np.prod(sizes)), generator.CHANNELS) as images:
        factors = generator.generate(images, subsample)
    values = generator.factor_values()
    meta = DatasetMeta(
        name=dataset["name"],
        label=procedural_label(dataset["label"]),
        procedural=True,
        channels=generator.CHANNELS,
        n_images=len(factors),
        factor_names=list(generator.FACTOR_NAMES),
        factor_sizes=sizes,
        factor_values={k: values[k][grid[k]].tolist() for k in generator.FACTOR_NAMES},
        preprocessing={"generator": generator.__name__.rsplit(".", 1)[-1], "subsample": subsample},
    )
    write_factors_and_meta(out, factors, meta)
    return meta
