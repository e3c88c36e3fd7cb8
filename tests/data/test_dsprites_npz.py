"""dSprites: the real npz layout (binary imgs, latents_classes with a colour column, a pickled
metadata member never read) is fetched, verified and prepared; factors address their images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.data.fixtures import config_entry, fetch_served, file_names
from vaecausal.data import dsprites_npz
from vaecausal.data.store import StorePaths, open_images, read_factors, read_meta

SIZES = {"shape": 2, "scale": 2, "orientation": 3, "posX": 2, "posY": 2}
BITS = 8


def write_dsprites(path: Path, sizes: list[int]) -> None:
    """The real file's members; image i carries the bits of i in its first row (values 0/1)."""
    n = int(np.prod(sizes))
    classes = np.column_stack(
        [np.zeros(n, np.int64), *np.unravel_index(np.arange(n), sizes)]
    ).astype(np.int64)
    imgs = np.zeros((n, 64, 64), np.uint8)
    imgs[:, 0, :BITS] = (np.arange(n)[:, None] >> np.arange(BITS)) & 1
    metadata = np.array({"description": "pickled, never read"}, dtype=object)
    np.savez(
        path, imgs=imgs, latents_classes=classes, latents_values=classes * 0.5, metadata=metadata
    )


def test_served_file_is_fetched_and_prepared(http_root, tmp_path):
    root, base, _ = http_root
    entry = config_entry("dsprites", **SIZES)
    (name,) = file_names(entry)
    write_dsprites(root / name, list(SIZES.values()))
    files = fetch_served(root, base, [name], tmp_path / "downloads")
    out = StorePaths(tmp_path / "prepared")
    out.root.mkdir()
    meta = dsprites_npz.prepare({**entry, "name": "dsprites"}, files, out)
    images, factors = open_images(out.root), read_factors(out.root)
    assert meta.n_images == 48 and meta.factor_names == list(SIZES) and not meta.procedural
    assert set(np.unique(images)) == {0, 255}
    index = (images[:, 0, :BITS, 0] // 255 * (1 << np.arange(BITS))).sum(1)
    np.testing.assert_array_equal(np.ravel_multi_index(factors.T, list(SIZES.values())), index)
    assert read_meta(out.root).preprocessing["pixels"] == "{0,1} -> {0,255}"


def test_a_file_off_the_grid_is_refused_and_leaves_nothing(tmp_path):
    entry = config_entry("dsprites", **SIZES)
    write_dsprites(tmp_path / "d.npz", [2, 2, 3, 2, 1])
    out = StorePaths(tmp_path / "prepared")
    out.root.mkdir()
    with pytest.raises(ValueError, match="do not match the factor grid"):
        dsprites_npz.prepare({**entry, "name": "dsprites"}, [tmp_path / "d.npz"], out)
    assert list(out.root.iterdir()) == []
