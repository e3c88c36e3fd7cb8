"""The procedural dSprites copies the real interface: grid, C order, values, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.data import procedural_dsprites as pd_

SUBSAMPLE = {"scale": 5, "orientation": 13, "posX": 31, "posY": 31}


def _generate(subsample):
    grid = pd_.reduced_grid(subsample)
    n = int(np.prod([len(grid[k]) for k in pd_.FACTOR_NAMES]))
    images = np.zeros((n, 64, 64, 1), np.uint8)
    return images, pd_.generate(images, subsample)


def test_full_grid_is_the_real_dsprites_grid():
    grid = pd_.reduced_grid({})
    assert [len(grid[k]) for k in pd_.FACTOR_NAMES] == [3, 6, 40, 32, 32]
    values = pd_.factor_values()
    assert values["orientation"][0] == 0 and values["orientation"][-1] == pytest.approx(2 * np.pi)
    assert values["scale"][0] == 0.5 and values["scale"][-1] == 1.0


def test_factors_are_in_c_order_and_address_their_images():
    images, factors = _generate(SUBSAMPLE)
    sizes = [3, 2, 4, 2, 2]
    assert factors.shape == (int(np.prod(sizes)), 5)
    np.testing.assert_array_equal(factors, np.stack(np.unravel_index(np.arange(96), sizes), 1))
    grid, values = pd_.reduced_grid(SUBSAMPLE), pd_.factor_values()
    for row in (0, 17, 95):
        shape, scale, orient, x, y = factors[row]
        expected = pd_.render(
            int(grid["shape"][shape]),
            values["scale"][grid["scale"][scale]],
            values["orientation"][grid["orientation"][orient]],
            values["posX"][grid["posX"][[x]]],
            values["posY"][grid["posY"][[y]]],
        )[0]
        np.testing.assert_array_equal(images[row, :, :, 0], expected)


def test_images_are_binary_deterministic_and_never_touch_the_border():
    first, _ = _generate(SUBSAMPLE)
    second, _ = _generate(SUBSAMPLE)
    np.testing.assert_array_equal(first, second)
    assert set(np.unique(first)) == {0, 255}
    border = np.concatenate(
        [first[:, 0].ravel(), first[:, -1].ravel(), first[:, :, 0].ravel(), first[:, :, -1].ravel()]
    )
    assert border.max() == 0
    assert (first.reshape(len(first), -1).max(1) == 255).all()  # every sprite is drawn


def test_factors_change_the_image_as_named():
    values = pd_.factor_values()
    pos = np.array([0.5])
    square = pd_.render(0, 1.0, 0.0, pos, pos)[0]
    ellipse = pd_.render(1, 1.0, 0.0, pos, pos)[0]
    heart = pd_.render(2, 1.0, 0.0, pos, pos)[0]
    assert len({square.tobytes(), ellipse.tobytes(), heart.tobytes()}) == 3
    assert pd_.render(0, 0.5, 0.0, pos, pos).sum() < square.sum()  # smaller scale, fewer pixels
    # Orientation index 0 and 39 are the same angle modulo 2 pi: the same sprite.
    np.testing.assert_array_equal(
        pd_.render(2, 1.0, values["orientation"][0], pos, pos),
        pd_.render(2, 1.0, values["orientation"][39], pos, pos),
    )
    left = pd_.render(0, 1.0, 0.0, np.array([0.0]), pos)[0]
    columns = np.flatnonzero(left.max(0))
    assert columns.mean() < np.flatnonzero(square.max(0)).mean()  # posX moves horizontally


def test_generate_refuses_a_wrong_output_shape():
    with pytest.raises(ValueError, match="grid needs"):
        pd_.generate(np.zeros((5, 64, 64, 1), np.uint8), SUBSAMPLE)


def test_unknown_factor_in_subsample_is_refused():
    with pytest.raises(ValueError, match="colour"):
        pd_.reduced_grid({"colour": 2})
