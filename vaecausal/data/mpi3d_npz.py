"""Conversion of the MPI3D files (``mpi3d_{toy,realistic,real}.npz``) without loading them.

Each file is an uncompressed ``np.savez`` archive with one member, ``images.npy``: (1036800, 64,
64, 3) uint8, about 12.7 GB, in C order of the factor grid (6, 6, 2, 3, 3, 40, 40). ``np.load``
cannot memory-map an npz member, so the member is located inside the zip by hand: the central
directory gives its local header offset, the local header gives where its data starts, the ``.npy``
header there gives shape and dtype, and the array is read from that offset and copied to the
store in chunks. An old toy release with 4 x 4 colours x shapes (460,800 images) still circulates;
its size does not match the grid and it is refused before anything is written.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.data.store import (
    IMAGE_SIZE,
    DatasetMeta,
    RawArrayReader,
    StorePaths,
    array_chunks,
    configured_sizes,
    finish_store,
    grid_factors,
    staged_images,
    write_chunks,
)

_CHUNK = 8192  # images per copied chunk: 100 MB of RGB images
_MEMBER = "images.npy"
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # zip local file header, 30 bytes
_LOCAL_SIGNATURE = b"PK\x03\x04"
_OLD_TOY_HINT = (
    "the likely cause is the old MPI3D toy release with 4 object colours x 4 object shapes "
    "(4, 4, 2, 3, 3, 40, 40: 460,800 images); remove it and download the current file from the "
    "configured URLs"
)


def member_data_offset(path: Path, member: str) -> tuple[int, int]:
    """(byte offset of ``member``'s data in the zip at ``path``, its size), refusing compression.

    The central directory's offset points at the member's local header, whose own name and extra
    field lengths (the extra field holds zip64 sizes, and differs from the central one) must be
    read to find where the stored bytes begin.
    """
    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo(member)
        except KeyError:
            raise ValueError(
                f"{path.name}: no member '{member}' (members: {archive.namelist()})"
            ) from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(
            f"{path.name}: member '{member}' is compressed (zip method {info.compress_type}), so "
            "it cannot be read in place; the MPI3D files are uncompressed np.savez archives: "
            "download the original file (a np.savez_compressed copy would have to be re-saved "
            "with np.savez)"
        )
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise ValueError(f"{path.name}: truncated zip local header of '{member}'")
    signature, _, _, method, _, _, _, _, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE or method != zipfile.ZIP_STORED:
        raise ValueError(f"{path.name}: bad zip local header for '{member}'")
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length, info.file_size


def read_npy_header(path: Path, start: int) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, offset of the array data) of the ``.npy`` stream starting at ``start``."""
    with open(path, "rb") as handle:
        handle.seek(start)
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise ValueError(f"{path.name}: unsupported .npy format version {version}")
        if fortran_order:
            raise ValueError(f"{path.name}: array stored in Fortran order, expected C order")
        return shape, dtype, handle.tell()


def images_member(path: Path, n_expected: int) -> RawArrayReader:
    """Memory-map the ``images`` member of an uncompressed npz, checking shape against the grid."""
    start, member_size = member_data_offset(path, _MEMBER)
    shape, dtype, offset = read_npy_header(path, start)
    if dtype != np.uint8 or len(shape) != 4 or shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
        raise ValueError(f"{path.name}: images {shape} {dtype}, expected (N, 64, 64, 3) uint8")
    if shape[0] != n_expected:
        raise ValueError(
            f"{path.name}: {shape[0]:,} images, but the configured factor sizes give "
            f"{n_expected:,}; {_OLD_TOY_HINT}"
        )
    if offset - start + int(np.prod(shape)) != member_size:
        raise ValueError(f"{path.name}: member '{_MEMBER}' size does not match its .npy header")
    return RawArrayReader(path, offset, shape, np.uint8)


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Convert the downloaded npz (``files[0]``) into the common store, chunk by chunk."""
    sizes = configured_sizes(dataset)
    source = images_member(files[0], int(np.prod(sizes)))
    with staged_images(out.images, len(source), 3) as images:
        write_chunks(array_chunks(source, _CHUNK), images)
    preprocessing = {"source": files[0].name, "layout": "C order of the factor sizes"}
    return finish_store(dataset, out, grid_factors(sizes), 3, preprocessing)
