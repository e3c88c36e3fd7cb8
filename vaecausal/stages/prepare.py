"""Stage ``prepare``: convert a dataset once to the common store (``vaecausal.data.store``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.data import dsprites_npz, procedural_dsprites
from vaecausal.data.store import DatasetMeta, StorePaths, open_image_writer, write_factors_and_meta
from vaecausal.stages.logs import Log


def _procedural_dsprites(dataset: dict[str, Any], paths: StorePaths) -> DatasetMeta:
    grid = procedural_dsprites.reduced_grid(dataset.get("subsample", {}))
    sizes = [len(grid[name]) for name in procedural_dsprites.FACTOR_NAMES]
    n_images = int(np.prod(sizes))
    images = open_image_writer(paths.images, n_images, 1)
    factors = procedural_dsprites.generate(images, dataset.get("subsample", {}))
    images.flush()
    values = procedural_dsprites.factor_values()
    meta = DatasetMeta(
        name=dataset["name"],
        label=dataset["label"],
        procedural=True,
        channels=1,
        n_images=n_images,
        factor_names=list(procedural_dsprites.FACTOR_NAMES),
        factor_sizes=sizes,
        factor_values={k: values[k][grid[k]].tolist() for k in procedural_dsprites.FACTOR_NAMES},
        preprocessing={
            "generator": "procedural_dsprites",
            "subsample": dataset.get("subsample", {}),
        },
    )
    write_factors_and_meta(paths, factors, meta)
    return meta


def _dsprites_npz(dataset: dict[str, Any], paths: StorePaths, files: list[Path]) -> DatasetMeta:
    sizes = list(dataset["factors"].values())
    n_images = int(np.prod(sizes))
    images = open_image_writer(paths.images, n_images, 1)
    factors = dsprites_npz.convert(files[0], images, sizes)
    images.flush()
    meta = DatasetMeta(
        name=dataset["name"],
        label=dataset["label"],
        procedural=False,
        channels=1,
        n_images=n_images,
        factor_names=list(dataset["factors"]),
        factor_sizes=sizes,
        preprocessing={"source": files[0].name, "pixels": "{0,1} -> {0,255}"},
    )
    write_factors_and_meta(paths, factors, meta)
    return meta


def run(dataset: dict[str, Any], files: list[str], out_dir: Path, log: Log) -> None:
    """Prepare ``dataset`` (its config entry plus ``name``) from its downloaded ``files``."""
    paths = StorePaths(Path(out_dir))
    source = dataset["source"]
    log(f"preparing {dataset['name']} ({dataset['label']}) from source '{source}'")
    if source == "procedural_dsprites":
        meta = _procedural_dsprites(dataset, paths)
    elif source == "dsprites_npz":
        meta = _dsprites_npz(dataset, paths, [Path(f) for f in files])
    else:
        raise NotImplementedError(
            f"converting source '{source}' is not implemented yet; datasets that can be prepared "
            "now: procedural_dsprites, dsprites_npz"
        )
    factors = dict(zip(meta.factor_names, meta.factor_sizes, strict=True))
    log(f"wrote {meta.n_images} images, factors {factors}")
