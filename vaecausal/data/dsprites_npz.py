"""Conversion of the real dSprites file (``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``).

Keys ``imgs`` (737280, 64, 64) uint8 in {0, 1} and ``latents_classes`` (737280, 6) int64, the
first column being the constant colour. The pickled ``metadata`` is never touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
