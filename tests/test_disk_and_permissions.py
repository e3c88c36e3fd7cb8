"""A full disk or an unwritable results folder through the real Snakemake command line.

Each case ends the job with an error naming the file it could not write, leaves no half-written
output under its final name, and finishes when run again after the space or permission is back.
A full disk is a tmpfs of a few MB (needs root and mount) or, anywhere, a file-size limit
(RLIMIT_FSIZE, with SIGXFSZ ignored so that a write past it fails with EFBIG like a full disk).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.tiny_study import REPO, TINY, snakemake_command

DATA = "results/tiny/data/tiny_dsprites"
RUN = "results/tiny/runs/tiny_dsprites/vae/seed3"
PREPARED = [f"{DATA}/{name}" for name in ("images.npy", "factors.npy", "meta.json")]
TRAINED = [f"{RUN}/{name}" for name in ("model.pt", "losses.csv", "train_summary.json")]


def _run(work: Path, config: Path, target: str, file_limit: int | None = None) -> str:
    """Run Snakemake on ``target``; its output if it failed, '' if it succeeded."""

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited by the jobs across exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    result = subprocess.run(
        snakemake_command(REPO, work, target, "--cores", "1", "--configfile", str(config)),
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=limit_file_size if file_limit else None,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


def _tmpfs(path: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(
            "mounting a small tmpfs needs root; the file-size limit case covers a full disk"
        )
    path.mkdir(parents=True, exist_ok=True)
    mounted = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")


@pytest.fixture
def study(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(working directory, config file) of the tiny study; unmounts whatever a test mounted."""
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    work = tmp_path / "work"
    work.mkdir()
    yield work, config
    for mount in sorted(work.rglob("*"), reverse=True):
        if mount.is_dir() and os.path.ismount(mount):
            subprocess.run(["umount", str(mount)], check=True)


def _assert_failed_cleanly(output: str, named: str, work: Path, outputs: list[str]) -> None:
    assert output, "the job should have failed"
    assert f"could not write {named}" in output, output[-3000:]
    for path in outputs:
        assert not (work / path).exists(), f"{path} left under its final name"
    leftovers = [p for p in work.joinpath("results").rglob("*") if p.suffix in (".tmp", ".part")]
    assert leftovers == []


@pytest.fixture(params=["tmpfs", "file_size_limit"])
def full_disk(request: pytest.FixtureRequest, study: tuple[Path, Path]) -> tuple[str, Path, Path]:
    return request.param, *study


def _fill(kind: str, folder: Path, size: str, limit: int) -> int | None:
    """Make ``folder`` a full disk of ``size`` (tmpfs) or return the file-size limit to run with."""
    if kind == "tmpfs":
        _tmpfs(folder, size)
        return None
    return limit


def _free(kind: str, folder: Path) -> None:
    if kind == "tmpfs":
        assert _mount("-o", "remount,size=64m", str(folder)).returncode == 0


def test_disk_full_during_prepare(full_disk: tuple[str, Path, Path]) -> None:
    kind, work, config = full_disk
    results = work / "results"
    limit = _fill(kind, results, "1m", 1_000_000)  # images.npy is 1.57 MB
    output = _run(work, config, PREPARED[-1], limit)
    _assert_failed_cleanly(output, f"{DATA}/images.npy", work, PREPARED)

    _free(kind, results)
    assert _run(work, config, PREPARED[-1]) == ""
    assert np.load(work / PREPARED[0], mmap_mode="r").shape == (384, 64, 64, 1)


def test_disk_full_during_training(full_disk: tuple[str, Path, Path]) -> None:
    kind, work, config = full_disk
    assert _run(work, config, PREPARED[-1]) == ""
    runs = work / "results/tiny/runs"
    limit = _fill(kind, runs, "1m", 1_000_000)  # the checkpoint and model are 2.8 MB
    output = _run(work, config, TRAINED[0], limit)
    _assert_failed_cleanly(output, f"{RUN}/checkpoint.pt", work, TRAINED)

    _free(kind, runs)
    assert _run(work, config, TRAINED[0]) == ""
    assert all((work / path).stat().st_size > 0 for path in TRAINED)


def test_unwritable_results_folder(study: tuple[Path, Path]) -> None:
    """Root writes through permissions, so there the folder is a read-only mount instead."""
    work, config = study
    assert _run(work, config, PREPARED[-1]) == ""
    runs = work / "results/tiny/runs"
    if os.geteuid() == 0:
        _tmpfs(runs, "64m")
        assert _mount("-o", "remount,ro", str(runs)).returncode == 0
    else:
        runs.mkdir()
        runs.chmod(0o500)
    output = _run(work, config, TRAINED[0])
    assert output and "results/tiny/runs" in output, output[-3000:]
    assert not any((work / path).exists() for path in TRAINED)

    if os.geteuid() == 0:
        assert _mount("-o", "remount,rw", str(runs)).returncode == 0
    else:
        runs.chmod(0o700)
    assert _run(work, config, TRAINED[0]) == ""
    assert all((work / path).stat().st_size > 0 for path in TRAINED)
