"""Stage ``download`` on a re-hosted MPI3D file: refused with the key that accepts it, accepted
through the user's own config file, and still checked by the converter once accepted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.data.fixtures import REPO, config_entry, index_images
from vaecausal.config import AcceptedCopies, deep_merge, load_study
from vaecausal.data.download import DownloadError
from vaecausal.stages import download, prepare

SIZES = {"object_color": 2, "object_shape": 3, "object_size": 2, "camera_height": 1}
SIZES |= {"background_color": 2, "horizontal_axis": 3, "vertical_axis": 4}
N_IMAGES = 288
NAME = "mpi3d_toy.npz"
KEY = f"accepted_digests.mpi3d.{NAME}"


def _rehosted(served: Path, base: str, n_images: int) -> tuple[dict, str]:
    """The shipped config's MPI3D file entry pointing at a served copy that is not the 2019 file
    (the configured md5): a re-upload, as the Hugging Face copy may be. Returns (entry, md5)."""
    np.savez(served / NAME, images=index_images(n_images))
    entry = {**config_entry("mpi3d")["files"][0], "urls": [f"{base}/{NAME}"]}
    return entry, hashlib.md5((served / NAME).read_bytes()).hexdigest()


def _accepting(md5: str) -> AcceptedCopies:
    """What the workflow resolves from a user's own config file, passed with --configfile (which
    Snakemake merges key by key over config.yaml, as deep_merge does)."""
    user = yaml.safe_load(f"accepted_digests:\n  mpi3d:\n    {NAME}: [{md5}]\n")
    shipped = yaml.safe_load((REPO / "config.yaml").read_text())
    return load_study(deep_merge(shipped, user), "paper").accepted_copies("mpi3d", NAME)


def test_a_rehosted_file_is_refused_then_accepted_and_prepared(http_root, tmp_path):
    served, base, _ = http_root
    entry, md5 = _rehosted(served, base, N_IMAGES)
    destination = tmp_path / "downloads" / NAME
    with pytest.raises(DownloadError) as caught:
        download.run(entry, destination, lambda _: None, AcceptedCopies("mpi3d", NAME))
    size = (served / NAME).stat().st_size
    assert f"has {size} bytes and md5 {md5}" in str(caught.value) and KEY in str(caught.value)
    assert not destination.exists()

    messages: list[str] = []
    download.run(entry, destination, messages.append, _accepting(md5))
    assert any(m.startswith("WARNING") and KEY in m for m in messages)
    dataset = config_entry("mpi3d", **SIZES)
    prepare.run(dataset, [str(destination)], tmp_path / "store", lambda _: None)
    assert (tmp_path / "store" / "images.npy").exists()


def test_an_accepted_file_of_the_wrong_structure_is_still_refused(http_root, tmp_path):
    served, base, _ = http_root
    entry, md5 = _rehosted(served, base, N_IMAGES // 2)  # like the old 4 x 4 toy release
    destination = tmp_path / "downloads" / NAME
    download.run(entry, destination, lambda _: None, _accepting(md5))
    dataset = config_entry("mpi3d", **SIZES)
    with pytest.raises(ValueError, match="460,800 images"):
        prepare.run(dataset, [str(destination)], tmp_path / "store", lambda _: None)
    assert not (tmp_path / "store" / "images.npy").exists()
