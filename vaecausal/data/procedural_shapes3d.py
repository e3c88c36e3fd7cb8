"""A procedural 3DShapes on the real dataset's exact factor grid (labelled procedural everywhere).

Factors in C order (last fastest), as in the real file: floor_hue 10, wall_hue 10, object_hue 10
(linspace(0, 1, 10) without the end point), scale 8 (linspace(0.75, 1.25, 8)), shape 4 (cube,
cylinder, sphere, capsule) and orientation 15 (linspace(-30, 30, 15) degrees). Images are 64 x 64
RGB uint8.

The scene is ray-cast, not drawn in 2D, so that the factors act as in the real renderer: a floor
(bottom) meets a back wall (top) at a horizon; an object stands on the floor in the middle, lit by
one fixed light and casting a shadow. Orientation turns the camera about the object's vertical
axis, so the object's apparent rotation, its shading and the tilt of the horizon all follow it.
Each hue colours one surface (HSV with fixed saturation and value), scaled by its shading.

Hues only recolour a fixed geometry, so each view (scale, shape, orientation) is ray-cast once, as
per-pixel weights of the three surfaces, and every hue triple is painted from those weights with a
few array operations; this keeps the full 480,000-image grid to minutes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.data.procedural import prepare_generated, subsampled_grid
from vaecausal.data.store import DatasetMeta, StorePaths, grid_factors

FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
FACTOR_SIZES = (10, 10, 10, 8, 4, 15)
CHANNELS = 3
SHAPES = ("cube", "cylinder", "sphere", "capsule")
_SIZE = 64
_SUPERSAMPLE = 3  # rays per pixel side: anti-aliased edges, as in the real renderings
_SATURATION, _VALUE = 0.8, 1.0
_CAMERA_DISTANCE, _CAMERA_HEIGHT, _TARGET_HEIGHT = 5.0, 1.8, 0.8
_TAN_HALF_FOV = 0.34
_WALL_Z = 2.2  # the back wall's plane; the object stands at the origin
_LIGHT = np.array([-0.45, 1.0, -0.75])  # towards the light: above, left, in front
_LIGHT /= np.linalg.norm(_LIGHT)
_SHADOW = 0.55  # light left in a shadow
_EPS = 1e-6
_CHUNK_IMAGES = 1024  # images painted per array operation in ``generate``

Hit = Callable[[np.ndarray, np.ndarray, float], np.ndarray]
Normal = Callable[[np.ndarray, float], np.ndarray]


def factor_values() -> dict[str, np.ndarray]:
    """The real 3DShapes factor values, per factor (orientation in degrees)."""
    hues = np.linspace(0.0, 1.0, 10, endpoint=False)
    return {
        "floor_hue": hues,
        "wall_hue": hues.copy(),
        "object_hue": hues.copy(),
        "scale": np.linspace(0.75, 1.25, 8),
        "shape": np.arange(4, dtype=np.float64),
        "orientation": np.linspace(-30.0, 30.0, 15),
    }


def reduced_grid(subsample: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Indices into the real grid kept for each factor: every k-th value (k = subsample[name])."""
    return subsampled_grid(FACTOR_NAMES, FACTOR_SIZES, subsample)


# --- Ray casting. Rays are (R, 3) arrays; a hit function returns the distance t (inf on a miss).


def _quadratic_near(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The nearer root beyond _EPS of a t^2 + 2 b t + c = 0 (inf where none)."""
    disc = b * b - a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (-b - np.sqrt(np.maximum(disc, 0.0))) / a
    return np.where((disc >= 0) & (a > _EPS) & (t > _EPS), t, np.inf)


def _hit_sphere(
    origin: np.ndarray, direction: np.ndarray, centre: np.ndarray, radius: float
) -> np.ndarray:
    """Distance along unit ``direction`` to a sphere."""
    offset = origin - centre
    b = np.sum(offset * direction, axis=-1)
    c = np.sum(offset * offset, axis=-1) - radius**2
    return _quadratic_near(np.ones_like(b), b, c)


def _hit_cube(origin: np.ndarray, direction: np.ndarray, scale: float) -> np.ndarray:
    """Slab test against the axis-aligned cube [-h, h] x [0, 2h] x [-h, h], h = scale / 2."""
    half = 0.5 * scale
    low, high = np.array([-half, 0.0, -half]), np.array([half, 2 * half, half])
    safe = np.where(np.abs(direction) < _EPS, _EPS, direction)
    t1, t2 = (low - origin) / safe, (high - origin) / safe
    near = np.minimum(t1, t2).max(axis=-1)
    far = np.maximum(t1, t2).min(axis=-1)
    return np.where((near <= far) & (near > _EPS), near, np.inf)


def _normal_cube(point: np.ndarray, scale: float) -> np.ndarray:
    """Outward normal of the cube face a point lies on: its dominant axis from the centre."""
    local = (point - np.array([0.0, 0.5 * scale, 0.0])) / (0.5 * scale)
    axis = np.abs(local).argmax(axis=-1)
    return np.eye(3)[axis] * np.sign(np.take_along_axis(local, axis[:, None], axis=-1))


def _hit_cylinder(origin: np.ndarray, direction: np.ndarray, scale: float) -> np.ndarray:
    """An upright cylinder, radius scale / 2 and height scale: its side, then its top cap."""
    radius, height = 0.5 * scale, scale
    ox, oy, oz = origin[..., 0], origin[..., 1], origin[..., 2]
    dx, dy, dz = direction[..., 0], direction[..., 1], direction[..., 2]
    side = _quadratic_near(dx * dx + dz * dz, ox * dx + oz * dz, ox * ox + oz * oz - radius**2)
    side = np.where(np.abs(oy + side * dy - 0.5 * height) <= 0.5 * height, side, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        top = (height - oy) / dy
    top_x, top_z = ox + top * dx, oz + top * dz
    top_ok = (top > _EPS) & (top_x * top_x + top_z * top_z <= radius**2)
    return np.minimum(side, np.where(top_ok, top, np.inf))


def _normal_cylinder(point: np.ndarray, scale: float) -> np.ndarray:
    """Up on the top cap, radial on the side."""
    radial = point * np.array([1.0, 0.0, 1.0]) / (0.5 * scale)
    on_top = point[:, 1:2] >= scale - 1e-4
    return np.where(on_top, np.array([0.0, 1.0, 0.0]), radial)


def _sphere_radius(scale: float) -> float:
    """Radius of the sphere: about as tall as the cube of the same scale."""
    return 0.55 * scale


def _hit_ball(origin: np.ndarray, direction: np.ndarray, scale: float) -> np.ndarray:
    """A sphere resting on the floor."""
    radius = _sphere_radius(scale)
    return _hit_sphere(origin, direction, np.array([0.0, radius, 0.0]), radius)


def _normal_ball(point: np.ndarray, scale: float) -> np.ndarray:
    """Away from the sphere's centre."""
    radius = _sphere_radius(scale)
    return (point - np.array([0.0, radius, 0.0])) / radius


def _capsule_size(scale: float) -> tuple[float, float]:
    """(radius, half length of the axis) of the capsule, lying along the x axis."""
    return 0.36 * scale, 0.5 * scale


def _hit_capsule(origin: np.ndarray, direction: np.ndarray, scale: float) -> np.ndarray:
    """A capsule lying on the floor along x: a clipped cylinder between two end spheres."""
    radius, half = _capsule_size(scale)
    oy, oz = origin[..., 1] - radius, origin[..., 2]
    dy, dz = direction[..., 1], direction[..., 2]
    side = _quadratic_near(dy * dy + dz * dz, oy * dy + oz * dz, oy * oy + oz * oz - radius**2)
    side = np.where(np.abs(origin[..., 0] + side * direction[..., 0]) <= half, side, np.inf)
    ends = [
        _hit_sphere(origin, direction, np.array([x, radius, 0.0]), radius) for x in (-half, half)
    ]
    return np.minimum(side, np.minimum(*ends))


def _normal_capsule(point: np.ndarray, scale: float) -> np.ndarray:
    """Away from the nearest point of the capsule's axis."""
    radius, half = _capsule_size(scale)
    axis_point = np.stack(
        [np.clip(point[:, 0], -half, half), np.full(len(point), radius), np.zeros(len(point))], 1
    )
    return (point - axis_point) / radius


_OBJECTS: tuple[tuple[Hit, Normal], ...] = (
    (_hit_cube, _normal_cube),
    (_hit_cylinder, _normal_cylinder),
    (_hit_ball, _normal_ball),
    (_hit_capsule, _normal_capsule),
)


def _camera_rays(orientation: float) -> tuple[np.ndarray, np.ndarray]:
    """Camera position (3,) and unit rays (R, 3), R = (64 * _SUPERSAMPLE)^2 in row-major order.

    The camera circles the object's vertical axis by ``orientation`` degrees, looking at it.
    """
    angle = np.deg2rad(orientation)
    origin = np.array(
        [_CAMERA_DISTANCE * np.sin(angle), _CAMERA_HEIGHT, -_CAMERA_DISTANCE * np.cos(angle)]
    )
    forward = np.array([0.0, _TARGET_HEIGHT, 0.0]) - origin
    forward /= np.linalg.norm(forward)
    right = np.cross([0.0, 1.0, 0.0], forward)
    right /= np.linalg.norm(right)
    up = np.cross(forward, right)
    n = _SIZE * _SUPERSAMPLE
    steps = (np.arange(n) + 0.5) / n * 2.0 - 1.0  # -1..1, left to right / top to bottom
    across, down = np.meshgrid(steps, steps)
    direction = forward + _TAN_HALF_FOV * (across[..., None] * right - down[..., None] * up)
    direction = direction.reshape(-1, 3)
    return origin, direction / np.linalg.norm(direction, axis=-1, keepdims=True)


def _background(origin: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the floor or the wall, and whether the floor (y = 0, z < wall) is hit first."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = -origin[1] / direction[:, 1]
        t_wall = (_WALL_Z - origin[2]) / direction[:, 2]
    floor_z = origin[2] + t_floor * direction[:, 2]
    on_floor = (direction[:, 1] < 0) & (floor_z < _WALL_Z)
    return np.where(on_floor, t_floor, t_wall), on_floor


def _background_shade(point: np.ndarray, on_floor: np.ndarray) -> np.ndarray:
    """Floor lighter towards the camera, wall darker near the floor: depth cues, as in a room."""
    floor = 0.72 + 0.25 * np.clip((_WALL_Z - point[:, 2]) / 6.0, 0.0, 1.0)
    wall = 0.7 + 0.2 * np.clip(point[:, 1] / 2.5, 0.0, 1.0)
    return np.where(on_floor, floor, wall)


def _geometry(scale: float, shape: int, orientation: float) -> np.ndarray:
    """Per-pixel weights (64, 64, 3) of floor, wall and object: pixel coverage times shading.

    A pixel's colour is the sum over surfaces of weight times the surface's RGB, so one view
    serves every hue triple.
    """
    hit, normal = _OBJECTS[shape]
    origin, direction = _camera_rays(orientation)
    t_back, on_floor = _background(origin, direction)
    t_object = hit(origin, direction, scale)
    is_object = t_object < t_back
    object_point = origin + np.where(is_object, t_object, 0.0)[:, None] * direction
    lambert = np.clip((normal(object_point, scale) * _LIGHT).sum(axis=-1), 0.0, 1.0)
    back_point = origin + t_back[:, None] * direction
    shadowed = np.isfinite(hit(back_point, np.broadcast_to(_LIGHT, direction.shape), scale))
    back_shade = _background_shade(back_point, on_floor) * np.where(shadowed, _SHADOW, 1.0)
    weights = np.zeros((len(direction), 3))
    weights[:, 0] = np.where(on_floor & ~is_object, back_shade, 0.0)
    weights[:, 1] = np.where(~on_floor & ~is_object, back_shade, 0.0)
    weights[:, 2] = np.where(is_object, 0.3 + 0.7 * lambert, 0.0)
    blocks = weights.reshape(_SIZE, _SUPERSAMPLE, _SIZE, _SUPERSAMPLE, 3)
    return blocks.mean(axis=(1, 3)).astype(np.float32)


# --- Colour.


def _hsv_to_rgb(hue: np.ndarray) -> np.ndarray:
    """RGB in [0, 255] (..., 3) of hues at the fixed saturation and value."""
    k = (np.asarray(hue, dtype=np.float64)[..., None] * 6.0 + np.array([5.0, 3.0, 1.0])) % 6.0
    ramp = np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return 255.0 * _VALUE * (1.0 - _SATURATION * ramp)


def _palette(floor_hue: np.ndarray, wall_hue: np.ndarray, object_hue: np.ndarray) -> np.ndarray:
    """(J, 3 surfaces, 3 channels) float32 colours for J hue triples."""
    hues = np.stack(np.broadcast_arrays(floor_hue, wall_hue, object_hue), axis=-1)
    return _hsv_to_rgb(hues.reshape(-1, 3)).astype(np.float32)


def _paint(weights: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Images (J, G, 64, 64, 3) uint8 of G views (G, 64, 64, 3) in J colourings (J, 3, 3).

    Element-wise only (no BLAS), so a view's bytes do not depend on how many are painted at once.
    """
    total = np.zeros((len(palette), *weights.shape), np.float32)
    for surface in range(3):
        total += weights[None, ..., surface, None] * palette[:, None, None, None, surface, :]
    np.clip(total, 0.0, 255.0, out=total)
    return np.rint(total, out=total).astype(np.uint8)


def render(
    floor_hue: np.ndarray,
    wall_hue: np.ndarray,
    object_hue: np.ndarray,
    scale: float,
    shape: int,
    orientation: float,
) -> np.ndarray:
    """Render one view in every hue triple (floor_hue[j], wall_hue[j], object_hue[j]).

    Returns (J, 64, 64, 3) uint8; ``orientation`` is in degrees.
    """
    weights = _geometry(scale, shape, orientation)[None]
    return _paint(weights, _palette(floor_hue, wall_hue, object_hue))[:, 0]


def _views(grid: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Weights (G, 64, 64, 3) of every kept (scale, shape, orientation), in C order."""
    return np.stack(
        [
            _geometry(float(values["scale"][scale]), int(shape), float(values["orientation"][turn]))
            for scale in grid["scale"]
            for shape in grid["shape"]
            for turn in grid["orientation"]
        ]
    )


def _hue_triples(grid: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Colours (H, 3, 3) of every kept (floor_hue, wall_hue, object_hue), in C order."""
    names = FACTOR_NAMES[:3]
    mesh = np.meshgrid(*[values[k][grid[k]] for k in names], indexing="ij")
    return _palette(*[m.ravel() for m in mesh])


def generate(images_out: np.ndarray, subsample: Mapping[str, int]) -> np.ndarray:
    """Fill ``images_out`` (N, 64, 64, 3) with the (reduced) grid in C order; return factor indices.

    The returned indices are positions in the reduced grid; ``reduced_grid`` maps them back to the
    real grid. Deterministic: the same grid always gives the same bytes. Hues are the slowest
    factors, so each hue triple fills one contiguous block of all views.
    """
    grid = reduced_grid(subsample)
    sizes = [len(grid[name]) for name in FACTOR_NAMES]
    n = int(np.prod(sizes))
    if images_out.shape != (n, _SIZE, _SIZE, 3):
        raise ValueError(f"output has shape {images_out.shape}, the grid needs {(n, 64, 64, 3)}")
    values = factor_values()
    views = _views(grid, values)
    palettes = _hue_triples(grid, values)
    per_chunk = max(1, _CHUNK_IMAGES // len(views))
    for start in range(0, len(palettes), per_chunk):
        chunk = _paint(views, palettes[start : start + per_chunk])
        first = start * len(views)
        images_out[first : first + chunk.shape[0] * len(views)] = chunk.reshape(-1, 64, 64, 3)
    return grid_factors(sizes)


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Generate the dataset's (reduced) grid into the common store; ``files`` is empty."""
    return prepare_generated(sys.modules[__name__], dataset, out)
