"""Stale-lock recovery: a lock is removed only when the Snakemake process that held it is gone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import psutil
import pytest

from vaecausal.workflow_lock import OWNERS_DIR, Owner, claim


def _locked(snakemake_dir: Path) -> Path:
    """A lock as Snakemake writes it while running."""
    locks = snakemake_dir / "locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text("results/x\n")
    return locks


def _register(snakemake_dir: Path, owner: Owner) -> None:
    owners = snakemake_dir / OWNERS_DIR
    owners.mkdir(parents=True, exist_ok=True)
    (owners / owner.file_name).write_text(json.dumps(asdict(owner)))


@pytest.fixture
def live_process() -> Iterator[Owner]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield Owner(socket.gethostname(), process.pid, psutil.Process(process.pid).create_time())
    finally:
        process.kill()
        process.wait()


def _finished_process() -> Owner:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = Owner(socket.gethostname(), process.pid, psutil.Process(process.pid).create_time())
    process.wait()
    return owner


def test_lock_of_a_killed_process_is_removed(tmp_path: Path) -> None:
    locks = _locked(tmp_path)
    _register(tmp_path, _finished_process())
    lines: list[str] = []
    claim(tmp_path, lines.append)
    assert not locks.exists()
    assert any("removed the stale lock" in line for line in lines)
    registered = [p.name for p in (tmp_path / OWNERS_DIR).glob("*.json")]
    assert registered == [f"{socket.gethostname()}.{os.getpid()}.json"]  # the dead one is gone


def test_lock_of_a_live_process_is_kept(tmp_path: Path, live_process: Owner) -> None:
    locks = _locked(tmp_path)
    _register(tmp_path, _finished_process())
    _register(tmp_path, live_process)
    lines: list[str] = []
    claim(tmp_path, lines.append)
    assert (locks / "0.output.lock").exists()
    assert (tmp_path / OWNERS_DIR / live_process.file_name).exists()


def test_a_reused_pid_does_not_keep_a_stale_lock(tmp_path: Path, live_process: Owner) -> None:
    locks = _locked(tmp_path)
    _register(tmp_path, Owner(live_process.host, live_process.pid, live_process.started - 3600))
    claim(tmp_path, lambda line: None)
    assert not locks.exists()


def test_lock_held_from_another_host_is_kept_and_the_way_out_named(tmp_path: Path) -> None:
    locks = _locked(tmp_path)
    _register(tmp_path, _finished_process())
    other = Owner("login-node-elsewhere", 4242, 1.0)
    _register(tmp_path, other)
    lines: list[str] = []
    claim(tmp_path, lines.append)
    assert (locks / "0.output.lock").exists()
    message = lines[-1]
    assert "4242 on login-node-elsewhere" in message and "--unlock" in message
    assert str(tmp_path / OWNERS_DIR / other.file_name) in message


def test_lock_nobody_registered_is_kept(tmp_path: Path) -> None:
    """Locks of a Snakemake that did not run this workflow's Snakefile cannot be judged."""
    locks = _locked(tmp_path)
    claim(tmp_path, lambda line: None)
    assert (locks / "0.output.lock").exists()


def test_registration_ends_with_the_process_after_it_left_the_directory(tmp_path: Path) -> None:
    """Snakemake changes back out of its working directory before exit handlers run."""
    code = (
        "import os; from vaecausal.workflow_lock import claim; "
        f"os.chdir({str(tmp_path)!r}); claim('.snakemake', print); os.chdir('/')"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
    assert list((tmp_path / ".snakemake" / OWNERS_DIR).glob("*.json")) == []
