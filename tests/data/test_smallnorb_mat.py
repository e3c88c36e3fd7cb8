"""SmallNORB: binary matrices streamed through gzip, first camera, both splits, checked headers."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.data.fixtures import (
    config_entry,
    decode_norb,
    fetch_served,
    file_names,
    norb_pair,
    write_norb_matrix,
    write_smallnorb,
)
from vaecausal.data import smallnorb_mat
from vaecausal.data.store import StorePaths, open_images, read_factors, read_meta

SIZES = {"category": 2, "elevation": 3, "azimuth": 4, "lighting": 2}
INSTANCES = ((2, 3), (0, 1))  # training, testing: as in the real files, the splits differ
N_IMAGES = 2 * 2 * 3 * 4 * 2 * 2


def test_served_files_are_fetched_and_prepared(http_root, tmp_path, monkeypatch):
    served, base, _ = http_root
    entry = config_entry("smallnorb", **SIZES)
    rows = write_smallnorb(served, file_names(entry), list(SIZES.values()), INSTANCES)
    files = fetch_served(served, base, file_names(entry), tmp_path / "downloads")
    monkeypatch.setattr(smallnorb_mat, "_CHUNK", 40)  # per split: chunks of 40, 40, 16
    meta = smallnorb_mat.prepare(entry, files, StorePaths(tmp_path / "store"))

    images = np.asarray(open_images(tmp_path / "store"))
    codes = decode_norb(images)
    assert meta == read_meta(tmp_path / "store") and meta.n_images == N_IMAGES == len(images)
    assert (codes[:, 5] == 7).all()  # the first camera's marker band: not the second camera
    np.testing.assert_array_equal(codes[:, :5], np.concatenate([rows["training"], rows["testing"]]))
    np.testing.assert_array_equal(read_factors(tmp_path / "store"), codes[:, :4])
    np.testing.assert_array_equal(np.load(tmp_path / "store" / "instance.npy"), codes[:, 4])
    assert meta.factor_values["azimuth"] == [0.0, 20.0, 40.0, 60.0]
    assert "LANCZOS" in meta.preprocessing["resize"] and "instance.npy" in str(meta.preprocessing)
    first = rows["training"][0]
    resized = Image.fromarray(norb_pair(first)[0]).resize((64, 64), Image.Resampling.LANCZOS)
    np.testing.assert_array_equal(images[0, :, :, 0], np.asarray(resized))


def _bad_magic(path: Path) -> None:
    write_norb_matrix(path, np.zeros((4, 2, 96, 96), np.uint8), magic=0x1E3D4C50)


def _signed_images(path: Path) -> None:
    write_norb_matrix(path, np.zeros((4, 2, 96, 96), np.uint8), magic=0x1E3D4C54)


def _truncated(path: Path) -> None:
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[: len(data) - 100]))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_bad_magic, "magic 0x1E3D4C50 is not a SmallNORB"),
        (_signed_images, "expected uint8"),
        (_truncated, "file ends early"),
    ],
)
def test_bad_image_files_are_refused_and_leave_nothing(tmp_path, damage, message):
    entry = config_entry("smallnorb", **SIZES)
    write_smallnorb(tmp_path, file_names(entry), list(SIZES.values()), INSTANCES)
    damage(tmp_path / file_names(entry)[3])  # testing-dat: converted last
    files = [tmp_path / name for name in file_names(entry)]
    with pytest.raises(ValueError, match=message):
        smallnorb_mat.prepare(entry, files, StorePaths(tmp_path / "store"))
    assert not (tmp_path / "store").exists() or list((tmp_path / "store").iterdir()) == []


def test_labels_off_the_configured_grid_are_refused(tmp_path):
    entry = config_entry("smallnorb", **SIZES)
    write_smallnorb(tmp_path, file_names(entry), list(SIZES.values()), INSTANCES)
    files = [tmp_path / name for name in file_names(entry)]
    with pytest.raises(ValueError, match="evenly"):
        smallnorb_mat.prepare(
            config_entry("smallnorb", **{**SIZES, "lighting": 3}), files, StorePaths(tmp_path)
        )
