"""The common on-disk format every dataset is converted to once, by the ``prepare`` stage.

A prepared dataset is a folder with ``images.npy`` (N, 64, 64, C) uint8 in [0, 255], memory
mappable; ``factors.npy`` (N, K) int64 factor indices; ``meta.json`` with factor names, sizes,
values and the preprocessing used. Every later stage reads only this format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.outputs import naming, replacing

IMAGE_SIZE = 64


@dataclass(frozen=True)
class DatasetMeta:
    """What a prepared dataset holds; written beside the arrays as ``meta.json``."""

    name: str
    label: str
    procedural: bool
    channels: int
    n_images: int
    factor_names: list[str]
    factor_sizes: list[int]
    factor_values: dict[str, list[float]] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> DatasetMeta:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class StorePaths:
    """File names of a prepared dataset inside its folder."""

    root: Path

    @property
    def images(self) -> Path:
        return self.root / "images.npy"

    @property
    def factors(self) -> Path:
        return self.root / "factors.npy"

    @property
    def meta(self) -> Path:
        return self.root / "meta.json"


class ImageWriter:
    """Writes rows of an (N, 64, 64, C) uint8 ``.npy`` file with ordinary file writes.

    Not a memory map: a mapped output keeps every written page resident (12.7 GB for MPI3D) until
    the kernel gets round to it; plain writes leave that to the page cache, so converting a
    dataset needs only the memory of the rows in hand. Rows are assigned by index or slice.
    """

    def __init__(self, path: Path, n_images: int, channels: int) -> None:
        self.path = path
        self.shape = (n_images, IMAGE_SIZE, IMAGE_SIZE, channels)
        self._row_bytes = IMAGE_SIZE * IMAGE_SIZE * channels
        with naming(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "wb+")  # noqa: SIM115 (closed by close())
            header = {"descr": "|u1", "fortran_order": False, "shape": self.shape}
            np.lib.format.write_array_header_2_0(self._file, header)
            self._offset = self._file.tell()
            self._file.truncate(self._offset + n_images * self._row_bytes)

    def __len__(self) -> int:
        return self.shape[0]

    def __setitem__(self, rows: int | slice, values: np.ndarray) -> None:
        if isinstance(rows, slice):
            start = 0 if rows.start is None else rows.start
            stop = len(self) if rows.stop is None else rows.stop
            contiguous = rows.step in (None, 1)
        else:
            start, stop, contiguous = rows, rows + 1, True
        if not contiguous or not 0 <= start <= stop <= len(self):
            raise IndexError(f"rows {rows} outside the {len(self)} images or not contiguous")
        block = np.broadcast_to(np.asarray(values, dtype=np.uint8), (stop - start, *self.shape[1:]))
        with naming(self.path):
            self._file.seek(self._offset + start * self._row_bytes)
            self._file.write(np.ascontiguousarray(block).tobytes())

    def close(self) -> None:
        with naming(self.path):  # buffered rows reach the disk here
            self._file.close()


def write_factors_and_meta(paths: StorePaths, factors: np.ndarray, meta: DatasetMeta) -> None:
    """Write factor indices and metadata, checking them against the images already written."""
    if factors.shape != (meta.n_images, len(meta.factor_sizes)):
        raise ValueError(
            f"factor array {factors.shape} does not match {meta.n_images} images x "
            f"{len(meta.factor_sizes)} factors"
        )
    too_big = factors.max(axis=0) >= np.asarray(meta.factor_sizes)
    if too_big.any():
        raise ValueError(f"factor indices exceed sizes {meta.factor_sizes}")
    with replacing(paths.factors) as partial, open(partial, "wb") as handle:
        np.save(handle, factors.astype(np.int64))
    with replacing(paths.meta) as partial:
        partial.write_text(meta.to_json())


def read_meta(root: Path) -> DatasetMeta:
    return DatasetMeta.from_json(StorePaths(Path(root)).meta.read_text())


def read_factors(root: Path) -> np.ndarray:
    return np.load(StorePaths(Path(root)).factors)


def open_images(root: Path) -> np.ndarray:
    """The images as a read-only memory map (nothing is loaded until indexed)."""
    return np.load(StorePaths(Path(root)).images, mmap_mode="r")


def sample_indices(n_images: int, n: int, seed: int) -> np.ndarray:
    """``n`` image indices drawn with a fixed seed: identical for every model of a dataset.

    Drawn without replacement when the dataset is large enough, with replacement otherwise (as the
    reference metric protocols do). The draw stays in random order: datasets are stored factor by
    factor, so any prefix of a sorted draw (a train split, the first pairs) would cover only the
    first values of the slowest factor.
    """
    rng = np.random.default_rng(seed)
    return rng.choice(n_images, size=n, replace=n > n_images)


# Helpers every converter shares: staged image writing, chunked copies, C-order grids, meta.


def configured_sizes(dataset: Mapping[str, Any]) -> list[int]:
    """Factor sizes of a config entry, in its (C) order."""
    return [int(size) for size in dataset["factors"].values()]


def grid_factors(sizes: Sequence[int]) -> np.ndarray:
    """Factor indices (N, K) of a complete grid stored in C order (last factor fastest)."""
    positions = np.arange(int(np.prod(sizes)))
    return np.stack(np.unravel_index(positions, tuple(sizes)), axis=1).astype(np.int64)


def array_chunks(array: Any, step: int) -> Iterator[np.ndarray]:
    """Consecutive slices of a sliceable array (h5py dataset, raw reader), each read when due."""
    for start in range(0, len(array), step):
        yield np.asarray(array[start : start + step])


def write_chunks(chunks: Iterable[np.ndarray], images_out: ImageWriter) -> None:
    """Write consecutive image chunks into ``images_out``, checking they fill it exactly."""
    start = 0
    for chunk in chunks:
        stop = start + len(chunk)
        if stop > len(images_out):
            raise ValueError(f"source holds more than the {len(images_out)} images expected")
        images_out[start:stop] = chunk
        start = stop
    if start != len(images_out):
        raise ValueError(f"source ended after {start} of {len(images_out)} images (truncated?)")


@contextmanager
def staged_images(path: Path, n_images: int, channels: int) -> Iterator[ImageWriter]:
    """An image writer on a temporary file beside ``path``, renamed to ``path`` only when the
    block succeeds (``outputs.replacing``).

    A conversion that fails half way (a truncated source, a bad image) leaves nothing under the
    final name, so a later stage never mistakes a partial array for a prepared one.
    """
    with replacing(path) as partial:
        writer = ImageWriter(partial, n_images, channels)
        try:
            yield writer
        finally:
            writer.close()


def finish_store(
    dataset: Mapping[str, Any],
    out: StorePaths,
    factors: np.ndarray,
    channels: int,
    preprocessing: dict[str, Any],
    factor_values: dict[str, list[float]] | None = None,
) -> DatasetMeta:
    """Write factors and meta of a real (not procedural) dataset whose images are in place."""
    meta = DatasetMeta(
        name=dataset["name"],
        label=dataset["label"],
        procedural=False,
        channels=channels,
        n_images=len(factors),
        factor_names=list(dataset["factors"]),
        factor_sizes=configured_sizes(dataset),
        factor_values=factor_values or {},
        preprocessing=preprocessing,
    )
    write_factors_and_meta(out, factors, meta)
    return meta


class RawArrayReader:
    """Rows of a C-order array stored raw at ``offset`` in a file, read with ordinary reads.

    The read-side twin of :class:`ImageWriter`: slicing reads exactly the requested rows, so a
    12.7 GB source is streamed instead of memory-mapped and left resident.
    """

    def __init__(self, path: Path, offset: int, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.path, self.offset, self.shape, self.dtype = path, offset, shape, np.dtype(dtype)
        self._row_items = int(np.prod(shape[1:]))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(len(self))
        count = max(stop - start, 0) * self._row_items
        offset = self.offset + start * self._row_items * self.dtype.itemsize
        data = np.fromfile(self.path, dtype=self.dtype, count=count, offset=offset)
        return data.reshape(-1, *self.shape[1:])
