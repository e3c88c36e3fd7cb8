"""Conversion of CelebA: the aligned-image zip, the attribute list and the official split.

``img_align_celeba.zip`` holds 202,599 aligned 178 x 218 JPEGs, ``img_align_celeba/000001.jpg``
...; ``list_attr_celeba.txt`` has the image count, the 40 attribute names, then one row of -1 / +1
per image; ``list_eval_partition.txt`` one ``name split`` line per image. Each image is read from
the archive on its own (the 1.4 GB archive is never extracted) and preprocessed as usual:
CenterCrop(148) then Resize(64), with torchvision's conventions (crop offsets rounded, bilinear
resampling, which Pillow antialiases when shrinking). CelebA has no ground-truth factors: its 40
binary attributes (-1 -> 0, +1 -> 1) serve as factors, in the attribute file's order, which must
match the config's factor names. The official split (0 train, 1 valid, 2 test) is kept in
``partition.npy`` beside the store. Images appear in the attribute file's order.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vaecausal.data.store import (
    IMAGE_SIZE,
    DatasetMeta,
    StorePaths,
    configured_sizes,
    finish_store,
    staged_images,
)

CROP = 148
FOLDER = "img_align_celeba"
_FILTER = Image.Resampling.BILINEAR


def read_attributes(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """(image names, attribute names, attributes as 0/1 int64) from ``list_attr_celeba.txt``.

    Parsed line by line into a preallocated array: 202,599 x 40 values as Python objects would
    take several hundred MB.
    """
    with open(path) as handle:
        count = int(handle.readline())
        names = handle.readline().split()
        images: list[str] = []
        values = np.empty((count, len(names)), dtype=np.int64)
        for line in handle:
            fields = line.split()
            if not fields:
                continue
            if len(images) == count or len(fields) != len(names) + 1:
                raise ValueError(f"{path.name}: bad row {len(images) + 3}: {line.strip()[:80]!r}")
            values[len(images)] = [int(v) for v in fields[1:]]
            images.append(fields[0])
    if len(images) != count:
        raise ValueError(f"{path.name}: line 1 announces {count} images, {len(images)} rows follow")
    if not np.isin(values, (-1, 1)).all():
        raise ValueError(f"{path.name}: attribute values other than -1 and +1")
    return images, names, (values > 0).astype(np.int64)


def read_partition(path: Path, images: list[str]) -> np.ndarray:
    """The split (0 train, 1 valid, 2 test) of each of ``images``, from ``list_eval_partition``."""
    with open(path) as handle:
        split = dict(line.split() for line in handle if line.strip())
    missing = [name for name in images if name not in split]
    if missing:
        raise ValueError(f"{path.name}: no split for {len(missing)} images, e.g. {missing[0]}")
    partition = np.array([int(split[name]) for name in images], dtype=np.int64)
    if not np.isin(partition, (0, 1, 2)).all():
        raise ValueError(f"{path.name}: split values other than 0, 1, 2")
    return partition


def check_names(names: list[str], dataset: Mapping[str, Any]) -> None:
    """Refuse attributes that differ (in name, order or size) from the config's factors."""
    if names != list(dataset["factors"]) or set(configured_sizes(dataset)) != {2}:
        raise ValueError(
            f"attributes of the file {names} differ from the config's factors "
            f"{dict(dataset['factors'])} (expected the same names in the same order, size 2 each)"
        )


def preprocess(jpeg: bytes) -> np.ndarray:
    """CenterCrop(148) then Resize(64) of one JPEG, as torchvision does on PIL images."""
    with Image.open(io.BytesIO(jpeg)) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    if width < CROP or height < CROP:
        raise ValueError(f"image of {width} x {height} pixels is smaller than the {CROP} crop")
    left, top = round((width - CROP) / 2), round((height - CROP) / 2)
    crop = rgb.crop((left, top, left + CROP, top + CROP))
    return np.asarray(crop.resize((IMAGE_SIZE, IMAGE_SIZE), _FILTER))


def listed_members(archive: zipfile.ZipFile, images: list[str]) -> list[str]:
    """The archive members of the listed images, refusing any that the archive lacks."""
    members = [f"{FOLDER}/{name}" for name in images]
    present = set(archive.namelist())
    missing = [member for member in members if member not in present]
    if missing:
        raise ValueError(f"the zip lacks {len(missing)} listed images, e.g. {missing[0]}")
    return members


def prepare(dataset: Mapping[str, Any], files: list[Path], out: StorePaths) -> DatasetMeta:
    """Convert the three downloaded files (zip, attributes, partition) into the common store."""
    zip_path, attributes_path, partition_path = files
    images, names, factors = read_attributes(attributes_path)
    check_names(names, dataset)
    partition = read_partition(partition_path, images)
    with zipfile.ZipFile(zip_path) as archive:
        members = listed_members(archive, images)
        with staged_images(out.images, len(members), 3) as rgb:
            for index, member in enumerate(members):
                rgb[index] = preprocess(archive.read(member))
    np.save(out.root / "partition.npy", partition)
    preprocessing = {
        "source": [path.name for path in files],
        "crop": f"CenterCrop({CROP}) of the 178 x 218 image (offsets rounded, as torchvision)",
        "resize": f"Resize({IMAGE_SIZE}), Pillow BILINEAR (antialiased when shrinking)",
        "factors": "the 40 attributes, -1 -> 0, +1 -> 1 (no ground-truth generative factors)",
        "partition": "official split saved as partition.npy (0 train, 1 valid, 2 test)",
    }
    return finish_store(dataset, out, factors, 3, preprocessing)
