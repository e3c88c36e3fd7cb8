"""Conversion of the real 3DShapes file (``3dshapes.h5``).

Keys ``images`` (480000, 64, 64, 3) uint8 and ``labels`` (480000, 6) float64. The labels are factor
VALUES (hues in [0, 1), scales, shape ids, orientation in degrees), not indices: a value's index is
its rank among that factor's sorted distinct values. The file is documented to be in C order of
the factor grid (floor_hue 10, wall_hue 10, object_hue 10, scale 8, shape 4, orientation 15); the
ranks are checked against that layout rather than trusted, since the store's factor indices are
what every metric relies on. Images are read in chunks (5.9 GB uncompressed); the labels (23 MB)
are read at once because ranking needs every value of a factor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from vaecausal.data.store import (
    IMAGE_SIZE,
    DatasetMeta,
    StorePaths,
    array_chunks,
    configured_sizes,
    finish_store,
    grid_factors,
    staged_images,
    write_chunks,
)

_CHUNK = 8192  # images per chunk read from the file: 100 MB


def factor_indices(
    labels: np.ndarray, names: Sequence[str], sizes: Sequence[int]
) -> tuple[np.ndarray, dict[str, list[float]]]:
    """Indices (rank of each value among its factor's distinct values) and those values."""
    indices = np.empty(labels.shape, dtype=np.int64)
    values: dict[str, list[float]] = {}
    for k, (name, size) in enumerate(zip(names, sizes, strict=True)):
        distinct = np.unique(labels[:, k])
        if len(distinct) != size:
            raise ValueError(
                f"labels column {k} ({name}) has {len(distinct)} distinct values, the config "
                f"says {size}"
            )
        indices[:, k] = np.searchsorted(distinct, labels[:, k])
        values[name] = distinct.tolist()
    return indices, values


def check_c_order(indices: np.ndarray, sizes: Sequence[int]) -> None:
    """Refuse labels that do not follow the C-order layout of the factor grid."""
    wrong = np.flatnonzero((indices != grid_factors(sizes)).any(axis=1))
    if wrong.size:
        raise ValueError(
            f"labels are not in C order of the factor sizes {list(sizes)}: image {wrong[0]} has "
            f"factor indices {indices[wrong[0]].tolist()} ({wrong.size} images differ)"
        )


def chunk_rows(images: h5py.Dataset) -> int:
    """Images per read: a multiple of the file's own chunking, so no HDF5 chunk is read twice."""
    stored = images.chunks[0] if images.chunks else 1
    return max(stored, _CHUNK // stored * stored)


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Convert the downloaded ``3dshapes.h5`` (``files[0]``) into the common store."""
    names, sizes = list(dataset["factors"]), configured_sizes(dataset)
    n_images = int(np.prod(sizes))
    with h5py.File(files[0], "r") as source:
        images, labels = source["images"], source["labels"]
        if images.dtype != np.uint8 or images.shape != (n_images, IMAGE_SIZE, IMAGE_SIZE, 3):
            raise ValueError(
                f"{files[0].name}: images {images.shape} {images.dtype}, expected "
                f"({n_images}, 64, 64, 3) uint8 for the factor sizes {sizes}"
            )
        if labels.shape != (n_images, len(sizes)):
            raise ValueError(
                f"{files[0].name}: labels {labels.shape}, expected {(n_images, len(sizes))}"
            )
        factors, values = factor_indices(labels[...], names, sizes)
        check_c_order(factors, sizes)
        with staged_images(out.images, n_images, 3) as writer:
            write_chunks(array_chunks(images, chunk_rows(images)), writer)
    preprocessing = {
        "source": files[0].name,
        "labels": "factor values -> rank among the factor's sorted distinct values",
    }
    return finish_store(dataset, out, factors, 3, preprocessing, values)
