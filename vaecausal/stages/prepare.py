"""Stage ``prepare``: convert a dataset once to the common store (``vaecausal.data.store``).

Each source format has one module in ``vaecausal.data`` with a ``prepare(dataset, files, out)``
function; this stage only picks it by the dataset's ``source``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vaecausal.data import (
    celeba,
    dsprites_npz,
    mpi3d_npz,
    procedural_dsprites,
    procedural_shapes3d,
    shapes3d_h5,
    smallnorb_mat,
)
from vaecausal.data.store import DatasetMeta, StorePaths
from vaecausal.stages.logs import Log

Preparer = Callable[[Mapping[str, Any], list[Path], StorePaths], DatasetMeta]

PREPARERS: dict[str, Preparer] = {
    "procedural_dsprites": procedural_dsprites.prepare,
    "procedural_shapes3d": procedural_shapes3d.prepare,
    "dsprites_npz": dsprites_npz.prepare,
    "shapes3d_h5": shapes3d_h5.prepare,
    "mpi3d_npz": mpi3d_npz.prepare,
    "smallnorb_mat": smallnorb_mat.prepare,
    "celeba": celeba.prepare,
}


def run(dataset: dict[str, Any], files: list[str], out_dir: Path, log: Log) -> None:
    """Prepare ``dataset`` (its config entry plus ``name``) from its downloaded ``files``."""
    source = dataset["source"]
    log(f"preparing {dataset['name']} ({dataset['label']}) from source '{source}'")
    meta = PREPARERS[source](dataset, [Path(f) for f in files], StorePaths(Path(out_dir)))
    factors = dict(zip(meta.factor_names, meta.factor_sizes, strict=True))
    log(f"wrote {meta.n_images} images, factors {factors}")
