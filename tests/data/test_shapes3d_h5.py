"""3DShapes: label values become C-order indices, images are copied in chunks, bad labels fail."""

from __future__ import annotations

import numpy as np
import pytest

from tests.data.fixtures import (
    SHAPES3D_VALUES,
    config_entry,
    decode_index,
    fetch_served,
    file_names,
    index_images,
    shapes3d_labels,
    write_shapes3d,
)
from vaecausal.data import shapes3d_h5
from vaecausal.data.store import StorePaths, open_images, read_factors, read_meta

SIZES = {"floor_hue": 2, "wall_hue": 2, "object_hue": 3, "scale": 2, "shape": 2, "orientation": 3}


def test_served_file_is_fetched_and_prepared(http_root, tmp_path, monkeypatch):
    served, base, _ = http_root
    entry = config_entry("3dshapes", **SIZES)
    sizes = list(SIZES.values())
    write_shapes3d(served / "3dshapes.h5", shapes3d_labels(sizes))
    files = fetch_served(served, base, file_names(entry), tmp_path / "downloads")
    monkeypatch.setattr(shapes3d_h5, "_CHUNK", 32)  # several chunks of 30 (3 HDF5 chunks of 10)
    meta = shapes3d_h5.prepare(entry, files, StorePaths(tmp_path / "store"))

    images, factors = open_images(tmp_path / "store"), read_factors(tmp_path / "store")
    assert meta == read_meta(tmp_path / "store") and meta.n_images == 144 and meta.channels == 3
    np.testing.assert_array_equal(images, index_images(144))
    index = decode_index(np.asarray(images))
    np.testing.assert_array_equal(factors, np.stack(np.unravel_index(index, sizes), axis=1))
    assert meta.factor_values["orientation"] == SHAPES3D_VALUES[5][:3].tolist()  # -30, ...
    assert meta.factor_names == list(SIZES) and meta.factor_sizes == sizes and not meta.procedural


def _swap_first_rows(labels: np.ndarray) -> None:
    labels[[0, 1]] = labels[[1, 0]]


def _add_a_fourth_orientation(labels: np.ndarray) -> None:
    labels[0, 5] = 7.0


@pytest.mark.parametrize(
    ("damage", "message"),
    [(_swap_first_rows, "not in C order"), (_add_a_fourth_orientation, "4 distinct values")],
)
def test_bad_labels_are_refused_and_leave_nothing(tmp_path, damage, message):
    labels = shapes3d_labels(list(SIZES.values()))
    damage(labels)
    write_shapes3d(tmp_path / "3dshapes.h5", labels)
    with pytest.raises(ValueError, match=message):
        shapes3d_h5.prepare(
            config_entry("3dshapes", **SIZES),
            [tmp_path / "3dshapes.h5"],
            StorePaths(tmp_path / "store"),
        )
    assert not (tmp_path / "store").exists()
