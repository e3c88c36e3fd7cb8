"""The common store: metadata round trip, factor checks, fixed index samples."""

from __future__ import annotations

import numpy as np
import pytest

from vaecausal.data.store import (
    DatasetMeta,
    StorePaths,
    open_images,
    read_factors,
    read_meta,
    sample_indices,
    staged_images,
    write_factors_and_meta,
)


def _meta(n: int) -> DatasetMeta:
    return DatasetMeta("toy", "toy", True, 1, n, ["a", "b"], [2, 3])


def test_round_trip(tmp_path):
    paths = StorePaths(tmp_path)
    with staged_images(paths.images, 6, 1) as images:
        images[:] = np.arange(6, dtype=np.uint8)[:, None, None, None]
        images[5] = np.full((64, 64, 1), 9, np.uint8)
    assert not paths.images.with_name("images.npy.tmp").exists()
    factors = np.stack(np.unravel_index(np.arange(6), (2, 3)), 1)
    write_factors_and_meta(paths, factors, _meta(6))
    assert read_meta(tmp_path) == _meta(6)
    np.testing.assert_array_equal(read_factors(tmp_path), factors)
    loaded = open_images(tmp_path)
    assert isinstance(loaded, np.memmap) and loaded.shape == (6, 64, 64, 1)
    assert loaded[4, 10, 10, 0] == 4 and loaded[5, 0, 0, 0] == 9


def test_mismatched_factors_are_refused(tmp_path):
    paths = StorePaths(tmp_path)
    with pytest.raises(ValueError, match="does not match"):
        write_factors_and_meta(paths, np.zeros((5, 2), np.int64), _meta(6))
    with pytest.raises(ValueError, match="exceed"):
        write_factors_and_meta(paths, np.full((6, 2), 2, np.int64), _meta(6))


def test_sample_indices_are_fixed_unordered_and_in_range():
    first = sample_indices(1000, 100, seed=3)
    np.testing.assert_array_equal(first, sample_indices(1000, 100, seed=3))
    assert not np.array_equal(first, sample_indices(1000, 100, seed=4))
    assert len(np.unique(first)) == 100
    # every prefix spreads over the whole dataset (a train split must see every factor value)
    assert first[:20].max() > 500 and first[:20].min() < 500
    more_than_there_are = sample_indices(10, 50, seed=0)
    assert len(more_than_there_are) == 50 and more_than_there_are.max() < 10


def test_a_failed_conversion_leaves_no_images(tmp_path):
    paths = StorePaths(tmp_path)
    with pytest.raises(RuntimeError, match="source broke"):
        with staged_images(paths.images, 4, 3) as images:
            images[0:2] = np.zeros((2, 64, 64, 3), np.uint8)
            raise RuntimeError("source broke")
    assert list(tmp_path.iterdir()) == []


def test_writer_refuses_rows_outside_the_array(tmp_path):
    with staged_images(StorePaths(tmp_path).images, 2, 1) as images:
        with pytest.raises(IndexError):
            images[1:5] = np.zeros((4, 64, 64, 1), np.uint8)
        images[0:2] = 0
