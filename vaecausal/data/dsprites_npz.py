"""Conversion of the real dSprites file (``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``).

Keys ``imgs`` (737280, 64, 64) uint8 in {0, 1} and ``latents_classes`` (737280, 6) int64, the
first column being the constant colour. The pickled ``metadata`` is never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.data.store import DatasetMeta, StorePaths, open_image_writer, write_factors_and_meta

_CHUNK = 65536


def convert(npz_path: Path, images_out: np.ndarray, factor_sizes: list[int]) -> np.ndarray:
    """Write images scaled to {0, 255} into ``images_out``; return factor indices sans colour."""
    with np.load(npz_path, allow_pickle=False) as archive:
        images = archive["imgs"]
        classes = archive["latents_classes"]
    expected = int(np.prod(factor_sizes))
    if images.shape != (expected, 64, 64) or classes.shape != (expected, len(factor_sizes) + 1):
        raise ValueError(
            f"{npz_path}: imgs {images.shape} / latents_classes {classes.shape} do not match the "
            f"factor grid {factor_sizes} ({expected} images)"
        )
    for start in range(0, expected, _CHUNK):
        chunk = images[start : start + _CHUNK]
        images_out[start : start + _CHUNK, :, :, 0] = chunk * np.uint8(255)
    return classes[:, 1:].astype(np.int64)


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Convert the downloaded npz (``files[0]``) into the common store."""
    sizes = list(dataset["factors"].values())
    n_images = int(np.prod(sizes))
    images = open_image_writer(out.images, n_images, 1)
    factors = convert(files[0], images, sizes)
    images.flush()
    meta = DatasetMeta(
        name=dataset["name"],
        label=dataset["label"],
        procedural=False,
        channels=1,
        n_images=n_images,
        factor_names=list(dataset["factors"]),
        factor_sizes=sizes,
        preprocessing={"source": files[0].name, "pixels": "{0,1} -> {0,255}"},
    )
    write_factors_and_meta(out, factors, meta)
    return meta
