"""Tiny files in the exact formats of the real datasets, and helpers to fetch and check them.

Every fixture image encodes in its pixels what the store must say about it (its index in a grid
file, its factors in SmallNORB, its number in CelebA), so tests can prove that the prepared factors
address the right images. CelebA images are drawn here: real ones may never be shipped.
"""

from __future__ import annotations

import functools
import gzip
import io
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml
from PIL import Image

from vaecausal.config import FileSpec, load_study
from vaecausal.data.download import fetch, file_digest

REPO = Path(__file__).resolve().parents[2]

# 3DShapes factor values (from the dataset's README), in C order.
SHAPES3D_VALUES = (
    np.linspace(0.0, 0.9, 10),
    np.linspace(0.0, 0.9, 10),
    np.linspace(0.0, 0.9, 10),
    np.linspace(0.75, 1.25, 8),
    np.arange(4.0),
    np.linspace(-30.0, 30.0, 15),
)
NORB_MAGIC = {"u1": 0x1E3D4C55, "i4": 0x1E3D4C54}
NORB_BANDS = 6  # category, elevation, azimuth, lighting, instance, camera marker
CELEBA_SIZE = (178, 218)  # width, height
CELEBA_CROP_BOX = (15, 35, 163, 183)  # CenterCrop(148) of 178 x 218


@functools.cache
def _paper_datasets() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    return {name: asdict(spec) for name, spec in load_study(config, "paper").datasets.items()}


def config_entry(name: str, **sizes: int) -> dict[str, Any]:
    """The shipped config's entry (as the prepare rule passes it), some factor sizes reduced."""
    entry = dict(_paper_datasets()[name])
    entry["factors"] = {**entry["factors"], **sizes}
    return entry


def file_names(entry: dict[str, Any]) -> list[str]:
    return [spec["name"] for spec in entry["files"]]


def fetch_served(served: Path, base: str, names: Sequence[str], destination: Path) -> list[Path]:
    """Fetch each served file with the real downloader, verified by the fixture's md5."""
    return [
        fetch(
            FileSpec(name=name, urls=(f"{base}/{name}",), md5=file_digest(served / name, "md5")),
            destination / name,
            log=lambda _: None,
        )
        for name in names
    ]


def index_images(n_images: int) -> np.ndarray:
    """(N, 64, 64, 3) uint8 images, image i filled with (i % 256, i // 256, 255 - i % 256)."""
    index = np.arange(n_images)
    colours = np.stack([index % 256, index // 256, 255 - index % 256], axis=1).astype(np.uint8)
    return np.broadcast_to(colours[:, None, None, :], (n_images, 64, 64, 3)).copy()


def decode_index(images: np.ndarray) -> np.ndarray:
    """The index each ``index_images`` image encodes."""
    return images[:, 0, 0, 0].astype(np.int64) + 256 * images[:, 0, 0, 1].astype(np.int64)


def shapes3d_labels(sizes: Sequence[int]) -> np.ndarray:
    """The float64 label values (not indices) of a C-order grid of ``sizes``."""
    grid = np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), tuple(sizes)), axis=1)
    return np.stack([SHAPES3D_VALUES[k][grid[:, k]] for k in range(6)], axis=1)


def write_shapes3d(path: Path, labels: np.ndarray) -> None:
    """A ``3dshapes.h5`` (gzip-chunked like the real one): index images and float64 labels."""
    with h5py.File(path, "w") as handle:
        handle.create_dataset(
            "images", data=index_images(len(labels)), chunks=(10, 64, 64, 3), compression="gzip"
        )
        handle.create_dataset("labels", data=labels.astype(np.float64))


def write_norb_matrix(path: Path, array: np.ndarray, magic: int | None = None) -> None:
    """A gzipped SmallNORB binary matrix: magic, ndim, max(3, ndim) dims, C-order data."""
    if magic is None:
        magic = NORB_MAGIC[array.dtype.str.lstrip("<|")]
    dims = list(array.shape) + [1] * (3 - array.ndim)
    header = struct.pack(f"<Ii{len(dims)}i", magic, array.ndim, *dims)
    with gzip.open(path, "wb") as handle:
        handle.write(header + np.ascontiguousarray(array).tobytes())


def norb_pair(codes: Sequence[int]) -> np.ndarray:
    """A (2, 96, 96) stereo pair: camera 0 in horizontal bands of 30 * code + 15, camera 1 its
    negative, so a converter taking the wrong camera decodes nonsense."""
    levels = np.repeat(30 * np.asarray([*codes, 7]) + 15, 96 // NORB_BANDS).astype(np.uint8)
    left = np.broadcast_to(levels[:, None], (96, 96))
    return np.stack([left, 255 - left])


def decode_norb(images: np.ndarray) -> np.ndarray:
    """(N, 6) band codes of prepared 64 x 64 SmallNORB images (the last is the camera marker)."""
    rows = ((np.arange(NORB_BANDS) + 0.5) * 64 / NORB_BANDS).astype(int)
    return np.rint((images[:, rows, 32, 0].astype(float) - 15) / 30).astype(np.int64)


def write_smallnorb(
    root: Path, names: Sequence[str], sizes: Sequence[int], instances: Sequence[Sequence[int]]
) -> dict[str, np.ndarray]:
    """The six files (training, testing x dat, cat, info) in ``names``'s order, shuffled rows.

    Returns the (factors + instance) rows of each split in file order, keyed by split.
    """
    rng = np.random.default_rng(0)
    rows = {}
    for split, split_instances, split_names in zip(
        ("training", "testing"), instances, (names[:3], names[3:]), strict=True
    ):
        grid = np.stack(np.meshgrid(*map(np.arange, sizes), split_instances, indexing="ij"))
        codes = rng.permutation(grid.reshape(5, -1).T)  # category, elev, azim, light, instance
        pairs = np.stack([norb_pair(c) for c in codes])
        info = np.stack([codes[:, 4], codes[:, 1], 2 * codes[:, 2], codes[:, 3]], axis=1)
        write_norb_matrix(root / split_names[0], pairs)
        write_norb_matrix(root / split_names[1], codes[:, 0].astype(np.int32))
        write_norb_matrix(root / split_names[2], info.astype(np.int32))
        rows[split] = codes
    return rows


def celeba_attributes(n_images: int, n_attributes: int) -> np.ndarray:
    """(N, K) attributes in {-1, +1}, a fixed pattern of the image number."""
    index, attribute = np.arange(n_images)[:, None], np.arange(n_attributes)[None, :]
    return np.where((index // (attribute + 1)) % 2 == 1, 1, -1)


def celeba_partition(n_images: int) -> np.ndarray:
    """Contiguous train / valid / test blocks like the real split (2/3, 1/6, 1/6)."""
    return np.digitize(np.arange(n_images), [n_images * 2 // 3, n_images * 5 // 6])


def celeba_image(index: int) -> bytes:
    """A 178 x 218 JPEG: inside the crop, two grey halves code index // 8 and index % 8 (30 * d +
    15); a red frame lies outside the crop (with a 6-pixel grey margin against JPEG bleeding)."""
    left, top, right, bottom = CELEBA_CROP_BOX
    middle = (left + right) // 2
    pixels = np.zeros((CELEBA_SIZE[1], CELEBA_SIZE[0], 3), dtype=np.uint8)
    pixels[:, :middle] = 30 * (index // 8) + 15
    pixels[:, middle:] = 30 * (index % 8) + 15
    frame = np.ones(pixels.shape[:2], dtype=bool)
    frame[top - 6 : bottom + 6, left - 6 : right + 6] = False
    pixels[frame] = (255, 0, 0)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95, subsampling=0)
    return buffer.getvalue()


def decode_celeba(images: np.ndarray) -> np.ndarray:
    """The image number each prepared CelebA fixture image encodes."""
    digits = np.rint((images[:, 32, [16, 48], 1].astype(float) - 15) / 30).astype(np.int64)
    return 8 * digits[:, 0] + digits[:, 1]


def write_celeba(
    root: Path, names: Sequence[str], attributes: Sequence[str], n_images: int, skip: int = -1
) -> None:
    """The zip (members in shuffled order, image ``skip`` left out), attribute and split lists."""
    images = [f"{i + 1:06d}.jpg" for i in range(n_images)]
    with zipfile.ZipFile(root / names[0], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("img_align_celeba/", b"")
        for i in np.random.default_rng(0).permutation(n_images):
            if i != skip:
                archive.writestr(f"img_align_celeba/{images[i]}", celeba_image(int(i)))
    values = celeba_attributes(n_images, len(attributes))
    rows = [
        f"{image} " + " ".join(f"{v:2d}" for v in row)
        for image, row in zip(images, values, strict=True)
    ]
    header = [str(n_images), " ".join(attributes) + " "]
    (root / names[1]).write_text("\n".join(header + rows) + "\n")
    split = celeba_partition(n_images)
    lines = [f"{image} {s}\n" for image, s in zip(images, split, strict=True)]
    (root / names[2]).write_text("".join(lines))
