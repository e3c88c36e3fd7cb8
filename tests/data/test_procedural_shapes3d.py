"""The procedural 3DShapes copies the real interface: grid, C order, values, determinism."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from vaecausal.data import procedural_shapes3d as ps
from vaecausal.data.store import StorePaths, open_images, read_factors, read_meta

# 2 x 2 x 2 x 2 x 4 x 3 = 192 images.
SUBSAMPLE = {"floor_hue": 5, "wall_hue": 5, "object_hue": 5, "scale": 7, "orientation": 7}
SIZES = [2, 2, 2, 2, 4, 3]
WALL_PIXEL, FLOOR_PIXEL, OBJECT_PIXEL = (3, 32), (61, 32), (38, 32)


def _generate(subsample):
    grid = ps.reduced_grid(subsample)
    n = int(np.prod([len(grid[k]) for k in ps.FACTOR_NAMES]))
    images = np.zeros((n, 64, 64, 3), np.uint8)
    return images, ps.generate(images, subsample)


def _one(floor=0.0, wall=0.5, obj=0.3, scale=1.0, shape=0, orientation=0.0):
    """A single image, as (64, 64, 3)."""
    hues = [np.array([h]) for h in (floor, wall, obj)]
    return ps.render(*hues, scale, shape, orientation)[0]


def _object_mask(**view):
    """Pixels the object covers: those that change with the object's hue alone."""
    return (_one(obj=0.0, **view) != _one(obj=0.5, **view)).any(axis=-1)


def _hue(pixel):
    return colorsys.rgb_to_hsv(*(pixel / 255.0))[0]


def _hue_distance(a, b):
    return min(abs(a - b), 1 - abs(a - b))


def test_full_grid_is_the_real_3dshapes_grid():
    grid = ps.reduced_grid({})
    assert [len(grid[k]) for k in ps.FACTOR_NAMES] == [10, 10, 10, 8, 4, 15]
    assert ps.FACTOR_NAMES == (
        "floor_hue",
        "wall_hue",
        "object_hue",
        "scale",
        "shape",
        "orientation",
    )
    values = ps.factor_values()
    for name in ("floor_hue", "wall_hue", "object_hue"):
        np.testing.assert_allclose(values[name], np.arange(10) / 10)
    assert values["scale"][0] == 0.75 and values["scale"][-1] == 1.25
    assert values["orientation"][0] == -30 and values["orientation"][-1] == 30
    assert values["orientation"][7] == 0
    np.testing.assert_array_equal(values["shape"], [0, 1, 2, 3])
    assert len(ps.SHAPES) == 4


def test_factors_are_in_c_order_and_address_their_images():
    images, factors = _generate(SUBSAMPLE)
    assert factors.shape == (192, 6) and factors.dtype == np.int64
    np.testing.assert_array_equal(factors, np.stack(np.unravel_index(np.arange(192), SIZES), 1))
    grid, values = ps.reduced_grid(SUBSAMPLE), ps.factor_values()
    for row in (0, 37, 100, 191):
        floor, wall, obj, scale, shape, orient = factors[row]
        expected = ps.render(
            values["floor_hue"][grid["floor_hue"][[floor]]],
            values["wall_hue"][grid["wall_hue"][[wall]]],
            values["object_hue"][grid["object_hue"][[obj]]],
            float(values["scale"][grid["scale"][scale]]),
            int(grid["shape"][shape]),
            float(values["orientation"][grid["orientation"][orient]]),
        )[0]
        np.testing.assert_array_equal(images[row], expected)


def test_images_are_deterministic_rgb_uint8_and_all_distinct():
    first, _ = _generate(SUBSAMPLE)
    second, _ = _generate(SUBSAMPLE)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (192, 64, 64, 3) and first.dtype == np.uint8
    assert first.max() > 200 and first.min() < 60  # uses the range: lit and shadowed surfaces
    # Every factor combination gives its own image: no factor is ever invisible.
    assert len({image.tobytes() for image in first}) == len(first)


@pytest.mark.parametrize(
    ("factor", "pixel"), [("floor", FLOOR_PIXEL), ("wall", WALL_PIXEL), ("obj", OBJECT_PIXEL)]
)
def test_each_hue_colours_its_own_surface(factor, pixel):
    for shape in range(4):
        base = _one(shape=shape)
        changed = _one(shape=shape, **{factor: 0.7})
        assert _hue_distance(_hue(changed[pixel]), 0.7) < 0.02
        others = [p for p in (FLOOR_PIXEL, WALL_PIXEL, OBJECT_PIXEL) if p != pixel]
        for other in others:
            np.testing.assert_array_equal(base[other], changed[other])


def test_larger_scale_draws_more_object_pixels():
    values = ps.factor_values()["scale"]
    for shape in range(4):
        counts = [_object_mask(scale=float(s), shape=shape).sum() for s in values]
        assert all(np.diff(counts) > 0), counts


def test_the_four_shapes_have_different_silhouettes():
    masks = [_object_mask(shape=shape) for shape in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert (masks[i] != masks[j]).sum() > 20, (ps.SHAPES[i], ps.SHAPES[j])


def test_orientation_turns_the_view():
    for shape in range(4):
        left, front, right = (_one(shape=shape, orientation=a) for a in (-30.0, 0.0, 30.0))
        assert not np.array_equal(left, front) and not np.array_equal(front, right)
    # The cube and the capsule are not round: their silhouette turns with the camera.
    for shape in (0, 3):
        assert (
            _object_mask(shape=shape, orientation=-30.0) != _object_mask(shape=shape)
        ).sum() > 20


def test_generate_refuses_a_wrong_output_shape():
    with pytest.raises(ValueError, match="grid needs"):
        ps.generate(np.zeros((192, 64, 64, 1), np.uint8), SUBSAMPLE)
    with pytest.raises(ValueError, match="grid needs"):
        ps.generate(np.zeros((5, 64, 64, 3), np.uint8), SUBSAMPLE)


def test_unknown_factor_in_subsample_is_refused():
    with pytest.raises(ValueError, match="colour"):
        ps.reduced_grid({"colour": 2})


def test_prepare_writes_the_store_labelled_procedural(tmp_path):
    spec = {"name": "tiny", "label": "3DShapes", "subsample": SUBSAMPLE}
    meta = ps.prepare(spec, [], StorePaths(tmp_path))
    assert meta.procedural and "procedural" in meta.label
    assert read_meta(tmp_path) == meta
    assert meta.channels == 3 and meta.n_images == 192 and meta.factor_sizes == SIZES
    assert meta.factor_values["scale"] == [0.75, 1.25]
    images, factors = _generate(SUBSAMPLE)
    np.testing.assert_array_equal(open_images(tmp_path), images)
    np.testing.assert_array_equal(read_factors(tmp_path), factors)
