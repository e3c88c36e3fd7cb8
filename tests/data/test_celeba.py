"""CelebA: images streamed from the zip, cropped and resized; attributes and split kept in order."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.data.fixtures import (
    CELEBA_CROP_BOX,
    celeba_attributes,
    celeba_partition,
    config_entry,
    decode_celeba,
    fetch_served,
    file_names,
    write_celeba,
)
from vaecausal.data import celeba
from vaecausal.data.store import StorePaths, open_images, read_factors, read_meta

N_IMAGES = 60


def test_served_files_are_fetched_and_prepared(http_root, tmp_path):
    served, base, _ = http_root
    entry = config_entry("celeba")  # the shipped entry: its 40 attribute names must match
    write_celeba(served, file_names(entry), list(entry["factors"]), N_IMAGES)
    files = fetch_served(served, base, file_names(entry), tmp_path / "downloads")
    meta = celeba.prepare(entry, files, StorePaths(tmp_path / "store"))

    images = np.asarray(open_images(tmp_path / "store"))
    number = decode_celeba(images)
    assert meta == read_meta(tmp_path / "store") and meta.n_images == N_IMAGES
    np.testing.assert_array_equal(number, np.arange(N_IMAGES))  # the attribute file's order
    expected = (celeba_attributes(N_IMAGES, 40)[number] + 1) // 2
    np.testing.assert_array_equal(read_factors(tmp_path / "store"), expected)
    partition = np.load(tmp_path / "store" / "partition.npy")
    np.testing.assert_array_equal(partition, celeba_partition(N_IMAGES)[number])
    red = images[..., 0].astype(int) - images[..., 1]
    assert red.max() < 40  # the red frame outside the 148 crop is gone
    assert "CenterCrop(148)" in meta.preprocessing["crop"] and "BILINEAR" in str(meta.preprocessing)
    with zipfile.ZipFile(files[0]) as archive, archive.open("img_align_celeba/000007.jpg") as jpeg:
        reference = Image.open(jpeg).convert("RGB").crop(CELEBA_CROP_BOX)
    resized = reference.resize((64, 64), Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(images[6], np.asarray(resized))


def test_attribute_names_must_match_the_config(tmp_path):
    entry = config_entry("celeba")
    names = list(entry["factors"])
    names[0], names[1] = names[1], names[0]
    write_celeba(tmp_path, file_names(entry), names, 6)
    with pytest.raises(ValueError, match="differ from the config's factors"):
        celeba.prepare(
            entry, [tmp_path / n for n in file_names(entry)], StorePaths(tmp_path / "store")
        )
    assert not (tmp_path / "store").exists()


def test_an_image_missing_from_the_zip_is_refused(tmp_path):
    entry = config_entry("celeba")
    write_celeba(tmp_path, file_names(entry), list(entry["factors"]), 6, skip=3)
    with pytest.raises(ValueError, match="lacks 1 listed images, e.g. img_align_celeba/000004"):
        celeba.prepare(
            entry, [tmp_path / n for n in file_names(entry)], StorePaths(tmp_path / "store")
        )
    assert not (tmp_path / "store").exists()
