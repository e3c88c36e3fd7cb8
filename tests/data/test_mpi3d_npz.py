"""MPI3D: the npz member is read in place inside the zip; wrong files are refused before writing."""

from __future__ import annotations

import numpy as np
import pytest

from tests.data.fixtures import config_entry, decode_index, fetch_served, index_images
from vaecausal.data import mpi3d_npz
from vaecausal.data.store import StorePaths, open_images, read_factors, read_meta

SIZES = {
    "object_color": 2,
    "object_shape": 3,
    "object_size": 2,
    "camera_height": 1,
    "background_color": 2,
    "horizontal_axis": 3,
    "vertical_axis": 4,
}
N_IMAGES = 288
NAME = "mpi3d_toy.npz"


def test_served_file_is_fetched_and_prepared(http_root, tmp_path, monkeypatch):
    served, base, _ = http_root
    np.savez(served / NAME, images=index_images(N_IMAGES))
    files = fetch_served(served, base, [NAME], tmp_path / "downloads")
    monkeypatch.setattr(mpi3d_npz, "_CHUNK", 100)  # three chunks, the last one short
    meta = mpi3d_npz.prepare(config_entry("mpi3d", **SIZES), files, StorePaths(tmp_path / "store"))

    images = open_images(tmp_path / "store")
    assert meta == read_meta(tmp_path / "store") and meta.n_images == N_IMAGES
    assert meta.factor_names == list(SIZES) and meta.channels == 3 and not meta.procedural
    np.testing.assert_array_equal(images, index_images(N_IMAGES))
    expected = np.stack(np.unravel_index(decode_index(np.asarray(images)), list(SIZES.values())), 1)
    np.testing.assert_array_equal(read_factors(tmp_path / "store"), expected)
    assert not (tmp_path / "store" / "images.npy.tmp").exists()


def test_member_is_found_past_the_zip64_extra_field(tmp_path):
    array = index_images(5)
    np.savez(tmp_path / NAME, images=array, other=np.zeros(3))
    start, size = mpi3d_npz.member_data_offset(tmp_path / NAME, "images.npy")
    with open(tmp_path / NAME, "rb") as handle:
        handle.seek(start - len("images.npy") - 20)  # np.savez writes a 20-byte zip64 extra
        assert handle.read(len("images.npy")) == b"images.npy"
        handle.seek(start)
        assert handle.read(6) == b"\x93NUMPY"
    member = mpi3d_npz.images_member(tmp_path / NAME, 5)
    assert size == member.offset - start + array.nbytes
    np.testing.assert_array_equal(member[0:5], array)
    np.testing.assert_array_equal(member[2:4], array[2:4])


@pytest.mark.parametrize(
    ("save", "n_images", "message"),
    [
        (np.savez, N_IMAGES // 2, "460,800 images"),
        (np.savez_compressed, N_IMAGES, "is compressed"),
    ],
    ids=["wrong-count", "compressed-member"],
)
def test_wrong_files_are_refused_and_leave_nothing(tmp_path, save, n_images, message):
    save(tmp_path / NAME, images=index_images(n_images))
    with pytest.raises(ValueError, match=message):
        mpi3d_npz.prepare(
            config_entry("mpi3d", **SIZES), [tmp_path / NAME], StorePaths(tmp_path / "store")
        )
    assert not (tmp_path / "store").exists()


def test_a_failed_copy_leaves_no_image_file(tmp_path):
    target = tmp_path / "images.npy"
    with pytest.raises(ValueError, match="ended after 2 of 3"):
        with mpi3d_npz.staged_images(target, 3, 1) as images:
            mpi3d_npz.write_chunks([np.zeros((2, 64, 64, 1), np.uint8)], images)
    assert list(tmp_path.iterdir()) == []
