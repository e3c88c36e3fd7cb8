"""The common on-disk format every dataset is converted to once, by the ``prepare`` stage.

A prepared dataset is a folder with ``images.npy`` (N, 64, 64, C) uint8 in [0, 255], memory
mappable; ``factors.npy`` (N, K) int64 factor indices; ``meta.json`` with factor names, sizes,
values and the preprocessing used. Every later stage reads only this format.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SIZE = 64


@dataclass(frozen=True)
class DatasetMeta:
    """What a prepared dataset holds; written beside the arrays as ``meta.json``."""

    name: str
    label: str
    procedural: bool
    channels: int
    n_images: int
    factor_names: list[str]
    factor_sizes: list[int]
    factor_values: dict[str, list[float]] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> DatasetMeta:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class StorePaths:
    """File names of a prepared dataset inside its folder."""

    root: Path

    @property
    def images(self) -> Path:
        return self.root / "images.npy"

    @property
    def factors(self) -> Path:
        return self.root / "factors.npy"

    @property
    def meta(self) -> Path:
        return self.root / "meta.json"


def open_image_writer(path: Path, n_images: int, channels: int) -> np.memmap:
    """A writable memory-mapped ``.npy`` so large datasets are converted without holding them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return np.lib.format.open_memmap(
        path, mode="w+", dtype=np.uint8, shape=(n_images, IMAGE_SIZE, IMAGE_SIZE, channels)
    )


def write_factors_and_meta(paths: StorePaths, factors: np.ndarray, meta: DatasetMeta) -> None:
    """Write factor indices and metadata, checking them against the images already written."""
    if factors.shape != (meta.n_images, len(meta.factor_sizes)):
        raise ValueError(
            f"factor array {factors.shape} does not match {meta.n_images} images x "
            f"{len(meta.factor_sizes)} factors"
        )
    too_big = factors.max(axis=0) >= np.asarray(meta.factor_sizes)
    if too_big.any():
        raise ValueError(f"factor indices exceed sizes {meta.factor_sizes}")
    np.save(paths.factors, factors.astype(np.int64))
    tmp = paths.meta.with_suffix(".json.tmp")
    tmp.write_text(meta.to_json())
    os.replace(tmp, paths.meta)


def read_meta(root: Path) -> DatasetMeta:
    return DatasetMeta.from_json(StorePaths(Path(root)).meta.read_text())


def read_factors(root: Path) -> np.ndarray:
    return np.load(StorePaths(Path(root)).factors)


def open_images(root: Path) -> np.ndarray:
    """The images as a read-only memory map (nothing is loaded until indexed)."""
    return np.load(StorePaths(Path(root)).images, mmap_mode="r")


def sample_indices(n_images: int, n: int, seed: int) -> np.ndarray:
    """``n`` image indices drawn with a fixed seed: identical for every model of a dataset.

    Drawn without replacement when the dataset is large enough, with replacement otherwise (as the
    reference metric protocols do).
    """
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_images, size=n, replace=n > n_images))
