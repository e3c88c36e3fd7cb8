"""Conversion of the real dSprites file (``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``).

Keys ``imgs`` (737280, 64, 64) uint8 in {0, 1} and ``latents_classes`` (737280, 6) int64, the
first column being the constant colour. The pickled ``metadata`` is never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.data.store import (
    DatasetMeta,
    StorePaths,
    array_chunks,
    configured_sizes,
    finish_store,
    staged_images,
    write_chunks,
)

_CHUNK = 65536


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Convert the downloaded npz (``files[0]``) into the common store, pixels scaled to 255."""
    sizes = configured_sizes(dataset)
    expected = int(np.prod(sizes))
    with np.load(files[0], allow_pickle=False) as archive:
        images, classes = archive["imgs"], archive["latents_classes"]
    if images.shape != (expected, 64, 64) or classes.shape != (expected, len(sizes) + 1):
        raise ValueError(
            f"{files[0]}: imgs {images.shape} / latents_classes {classes.shape} do not match the "
            f"factor grid {sizes} ({expected} images)"
        )
    with staged_images(out.images, expected, 1) as images_out:
        scaled = (chunk[..., None] * np.uint8(255) for chunk in array_chunks(images, _CHUNK))
        write_chunks(scaled, images_out)
    preprocessing = {"source": files[0].name, "pixels": "{0,1} -> {0,255}"}
    return finish_store(dataset, out, classes[:, 1:].astype(np.int64), 1, preprocessing)
