"""A procedural dSprites on the real dataset's exact factor grid (labelled procedural everywhere).

Factors in C order (last fastest), as in the real file: shape 3 (square, ellipse, heart), scale 6
(linspace(0.5, 1, 6)), orientation 40 (linspace(0, 2 pi, 40), both ends included), posX 32 and
posY 32 (linspace(0, 1, 32)). Images are binary sprites on black, 64 x 64, one channel. The
original renderer's sprite sizes are not published; here a scale-1 sprite spans about 18 pixels and
its centre moves over pixels 14..50, so no sprite touches the border.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.data.procedural import prepare_generated, subsampled_grid
from vaecausal.data.store import DatasetMeta, StorePaths, grid_factors

FACTOR_NAMES = ("shape", "scale", "orientation", "posX", "posY")
FACTOR_SIZES = (3, 6, 40, 32, 32)
CHANNELS = 1
SHAPES = ("square", "ellipse", "heart")
_HALF_EXTENT = 9.0  # pixels, for scale 1
_CENTRE_RANGE = (14.0, 50.0)


def factor_values() -> dict[str, np.ndarray]:
    """The real dSprites factor values, per factor."""
    return {
        "shape": np.arange(3, dtype=np.float64),
        "scale": np.linspace(0.5, 1.0, 6),
        "orientation": np.linspace(0.0, 2 * np.pi, 40),
        "posX": np.linspace(0.0, 1.0, 32),
        "posY": np.linspace(0.0, 1.0, 32),
    }


def reduced_grid(subsample: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Indices into the real grid kept for each factor: every k-th value (k = subsample[name])."""
    return subsampled_grid(FACTOR_NAMES, FACTOR_SIZES, subsample)


def _inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether canonical coordinates (u, v), sprite half-extent 1, lie inside ``shape``."""
    if shape == 0:
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if shape == 1:
        return u**2 + (v / 0.5) ** 2 <= 1.0
    # Heart: (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, y pointing up, shrunk to fit the unit box.
    x, y = u / 0.85, -v / 0.85 + 0.12
    return (x**2 + y**2 - 1.0) ** 3 - x**2 * y**3 <= 0.0


def render(shape: int, scale: float, orientation: float, pos_x: np.ndarray, pos_y: np.ndarray):
    """Render sprites of one shape/scale/orientation at every (pos_x[j], pos_y[j]): (J, 64, 64)."""
    lo, hi = _CENTRE_RANGE
    centre_x = lo + (hi - lo) * np.asarray(pos_x)[:, None, None]
    centre_y = lo + (hi - lo) * np.asarray(pos_y)[:, None, None]
    grid = np.arange(64, dtype=np.float64) + 0.5
    dx = grid[None, None, :] - centre_x  # columns: x
    dy = grid[None, :, None] - centre_y  # rows: y
    cos, sin = np.cos(orientation), np.sin(orientation)
    radius = _HALF_EXTENT * scale
    u = (cos * dx + sin * dy) / radius
    v = (-sin * dx + cos * dy) / radius
    return _inside(shape, u, v).astype(np.uint8) * 255


def generate(images_out: np.ndarray, subsample: Mapping[str, int]) -> np.ndarray:
    """Fill ``images_out`` (N, 64, 64, 1) with the (reduced) grid in C order; return factor indices.

    The returned indices are positions in the reduced grid; ``reduced_grid`` maps them back to the
    real grid. Deterministic: the same grid always gives the same bytes.
    """
    grid = reduced_grid(subsample)
    sizes = [len(grid[name]) for name in FACTOR_NAMES]
    n = int(np.prod(sizes))
    if images_out.shape != (n, 64, 64, 1):
        raise ValueError(f"output has shape {images_out.shape}, the grid needs {(n, 64, 64, 1)}")
    values = factor_values()
    factors = grid_factors(sizes)
    block = sizes[3] * sizes[4]
    pos_x = values["posX"][grid["posX"]].repeat(sizes[4])
    pos_y = np.tile(values["posY"][grid["posY"]], sizes[3])
    for start in range(0, n, block):
        shape_i, scale_i, orient_i = factors[start, :3]
        images_out[start : start + block] = render(
            int(grid["shape"][shape_i]),
            float(values["scale"][grid["scale"][scale_i]]),
            float(values["orientation"][grid["orientation"][orient_i]]),
            pos_x,
            pos_y,
        )[..., None]
    return factors


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Generate the dataset's (reduced) grid into the common store; ``files`` is empty."""
    return prepare_generated(sys.modules[__name__], dataset, out)
