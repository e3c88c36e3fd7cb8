"""Conversion of the six SmallNORB files (``smallnorb-*-{training,testing}-{dat,cat,info}.mat.gz``).

Each file is a gzip-compressed binary matrix: little-endian int32 magic (its type), int32 ndim,
max(3, ndim) int32 dims (unused ones 1), then the data in C order. ``dat`` is (24300, 2, 96, 96)
uint8 stereo pairs (magic 0x1E3D4C55: unsigned bytes, not int8), ``cat`` (24300,) int32 categories,
``info`` (24300, 4) int32: instance, elevation 0-8, azimuth stored 0, 2, ..., 34, lighting 0-5.

The usual disentanglement protocol is followed: first camera only, 96 -> 64 with Pillow's LANCZOS
filter (antialiased; the filter disentanglement_lib uses), both splits joined (training first, each
in file order, 48,600 images), factors category, elevation, azimuth / 2, lighting. The instance is
a nuisance variable kept in ``instance.npy`` beside the store. Images are streamed through gzip;
only labels (a few hundred kB) are held in memory, and every header is checked before anything is
written.
"""

from __future__ import annotations

import gzip
import re
import struct
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

from vaecausal.data.store import (
    IMAGE_SIZE,
    DatasetMeta,
    StorePaths,
    configured_sizes,
    finish_store,
    staged_images,
    write_chunks,
)

FACTOR_NAMES = ("category", "elevation", "azimuth", "lighting")
CATEGORIES = ("animal", "human", "airplane", "truck", "car")
SPLITS = ("training", "testing")
MAGIC_DTYPES: dict[int, np.dtype] = {
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C55: np.dtype("u1"),
    0x1E3D4C56: np.dtype("<i2"),
}
_FILE_NAME = re.compile(r"-(training|testing)-(dat|cat|info)\.mat\.gz$")
_MAX_NDIM = 16
_SOURCE_SIDE = 96
_CHUNK = 1024  # stereo pairs per read: 19 MB
_EXPECTED = {  # kind: (dtype, shape of one row)
    "dat": (np.dtype("u1"), (2, _SOURCE_SIDE, _SOURCE_SIDE)),
    "cat": (np.dtype("<i4"), ()),
    "info": (np.dtype("<i4"), (4,)),
}
_FILTER = Image.Resampling.LANCZOS


def read_exact(stream: IO[bytes], size: int, name: str) -> bytes:
    """Exactly ``size`` bytes from ``stream``; a short read means a truncated file."""
    data = stream.read(size)
    if len(data) != size:
        raise ValueError(f"{name}: file ends early ({len(data)} of {size} bytes read)")
    return data


def read_header(stream: IO[bytes], name: str) -> tuple[np.dtype, tuple[int, ...]]:
    """(dtype, shape) from a binary matrix header, refusing unknown magic and implausible dims."""
    magic, ndim = struct.unpack("<Ii", read_exact(stream, 8, name))
    if magic not in MAGIC_DTYPES:
        raise ValueError(
            f"{name}: magic 0x{magic:08X} is not a SmallNORB binary matrix type (known: "
            f"{', '.join(f'0x{m:08X}' for m in MAGIC_DTYPES)})"
        )
    if not 1 <= ndim <= _MAX_NDIM:
        raise ValueError(f"{name}: header says {ndim} dimensions")
    count = max(3, ndim)
    dims = struct.unpack(f"<{count}i", read_exact(stream, 4 * count, name))
    if min(dims) < 1:
        raise ValueError(f"{name}: header has non-positive dimensions {dims}")
    return MAGIC_DTYPES[magic], dims[:ndim]


def checked_rows(stream: IO[bytes], name: str, kind: str) -> int:
    """Read the header of a ``kind`` matrix, refuse a wrong type or row shape; return its rows."""
    want_dtype, want_row = _EXPECTED[kind]
    dtype, shape = read_header(stream, name)
    if dtype != want_dtype or shape[1:] != want_row:
        raise ValueError(
            f"{name}: {dtype} matrix {shape}, expected {want_dtype} rows of shape {want_row} for "
            f"a '{kind}' file"
        )
    return shape[0]


def count_rows(path: Path, kind: str) -> int:
    """Rows of a ``kind`` matrix, from its checked header alone."""
    with gzip.open(path, "rb") as stream:
        return checked_rows(stream, path.name, kind)


@contextmanager
def open_matrix(path: Path, kind: str) -> Iterator[tuple[IO[bytes], int]]:
    """A gzip stream at the data of a checked ``kind`` matrix, and its row count.

    Leaving the block normally also refuses data past the size given in the header.
    """
    with gzip.open(path, "rb") as stream:
        yield stream, checked_rows(stream, path.name, kind)
        if stream.read(1):
            raise ValueError(f"{path.name}: data continues past the size in its header")


def read_labels(path: Path, kind: str) -> np.ndarray:
    """The whole (small) ``cat`` or ``info`` matrix as int64."""
    dtype, row = _EXPECTED[kind]
    with open_matrix(path, kind) as (stream, rows):
        data = read_exact(stream, rows * int(np.prod(row)) * dtype.itemsize, path.name)
    return np.frombuffer(data, dtype=dtype).reshape((rows, *row)).astype(np.int64)


def first_camera_chunks(path: Path) -> Iterator[np.ndarray]:
    """The first camera's images, resized to 64 x 64, streamed from a ``dat`` file in chunks."""
    pair = 2 * _SOURCE_SIDE * _SOURCE_SIDE
    with open_matrix(path, "dat") as (stream, rows):
        for start in range(0, rows, _CHUNK):
            count = min(_CHUNK, rows - start)
            pairs = np.frombuffer(read_exact(stream, count * pair, path.name), dtype=np.uint8)
            left = pairs.reshape(count, 2, _SOURCE_SIDE, _SOURCE_SIDE)[:, 0]
            yield np.stack([resize(image) for image in left])[..., None]


def resize(image: np.ndarray) -> np.ndarray:
    """One 96 x 96 grey image to 64 x 64 with the recorded antialiasing filter."""
    return np.asarray(Image.fromarray(image).resize((IMAGE_SIZE, IMAGE_SIZE), _FILTER))


def find_files(files: Sequence[Path]) -> dict[tuple[str, str], Path]:
    """The six files by (split, kind), from their names, whatever the order they come in."""
    found = {}
    for path in files:
        match = _FILE_NAME.search(path.name)
        if match:
            found[(match[1], match[2])] = path
    missing = [f"{s}-{k}" for s in SPLITS for k in _EXPECTED if (s, k) not in found]
    if missing:
        raise ValueError(f"SmallNORB files missing: {', '.join(missing)}")
    return found


def check_grid(factors: np.ndarray, instance: np.ndarray, sizes: Sequence[int]) -> None:
    """Refuse labels outside the grid, repeated images, or an unevenly covered grid."""
    for k, (name, size) in enumerate(zip(FACTOR_NAMES, sizes, strict=True)):
        low, high = int(factors[:, k].min()), int(factors[:, k].max())
        if low < 0 or high >= size:
            raise ValueError(f"{name} indices span {low}..{high}, the config says size {size}")
    if len(np.unique(np.column_stack([factors, instance]), axis=0)) != len(factors):
        raise ValueError("some (factors, instance) combinations occur more than once")
    counts = np.bincount(np.ravel_multi_index(factors.T, sizes), minlength=int(np.prod(sizes)))
    if counts.min() != counts.max():
        raise ValueError(
            f"the images do not cover the factor grid {list(sizes)} evenly: between "
            f"{counts.min()} and {counts.max()} images per combination"
        )


def read_split(paths: Mapping[tuple[str, str], Path], split: str) -> tuple[np.ndarray, np.ndarray]:
    """(factors, instance) of one split, checked against its image count."""
    cat = read_labels(paths[(split, "cat")], "cat")
    info = read_labels(paths[(split, "info")], "info")
    images = count_rows(paths[(split, "dat")], "dat")
    if not len(cat) == len(info) == images:
        raise ValueError(f"{split}: {images} images, {len(cat)} categories, {len(info)} info rows")
    if (info[:, 2] % 2).any():
        raise ValueError(f"{split}: odd azimuth values; they are stored as 0, 2, ..., 34")
    factors = np.stack([cat, info[:, 1], info[:, 2] // 2, info[:, 3]], axis=1)
    return factors, info[:, 0]


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Convert the six downloaded files into the common store, plus ``instance.npy``."""
    if tuple(dataset["factors"]) != FACTOR_NAMES:
        raise ValueError(
            f"SmallNORB factors must be {FACTOR_NAMES}, not {tuple(dataset['factors'])}"
        )
    sizes = configured_sizes(dataset)
    paths = find_files(files)
    splits = [read_split(paths, split) for split in SPLITS]
    factors = np.concatenate([f for f, _ in splits])
    instance = np.concatenate([i for _, i in splits])
    check_grid(factors, instance, sizes)
    with staged_images(out.images, len(factors), 1) as images:
        write_chunks((c for s in SPLITS for c in first_camera_chunks(paths[(s, "dat")])), images)
    np.save(out.root / "instance.npy", instance)
    preprocessing = {
        "source": [paths[(s, k)].name for s in SPLITS for k in _EXPECTED],
        "camera": "first (left) image of each stereo pair",
        "resize": "96 -> 64, Pillow LANCZOS (antialiased)",
        "order": "training then testing, each in file order",
        "azimuth": "stored value / 2",
        "categories": list(CATEGORIES),
        "nuisance": "instance (per image) saved as instance.npy beside the store",
    }
    values = {
        "elevation": [30.0 + 5.0 * e for e in range(sizes[1])],
        "azimuth": [20.0 * a for a in range(sizes[2])],
    }
    return finish_store(dataset, out, factors, 1, preprocessing, values)
