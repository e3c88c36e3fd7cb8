"""Recovery of the lock that a hard-killed Snakemake leaves in its working directory.

Snakemake marks a working directory as in use with ``.snakemake/locks/*.lock`` and removes them
when it exits. A SIGKILL (a login node rebooted, a tmux session killed) leaves them behind, and
every later start is refused ("Directory cannot be locked") until ``snakemake --unlock``, which
clears the locks of live runs just as readily as stale ones. Snakemake's lock files do not say
who wrote them, so the workflow keeps that record itself: every main Snakemake process of this
workflow registers (host, pid, process start time) under ``.snakemake/vaecausal-owners/`` for as
long as it runs. At start-up, registrations of processes gone from this host are deleted, and the
locks are removed when one was found and no registered process is left. Locks stay whenever that
cannot be told: a registration from another host cannot be checked from here, and locks without a
registration come from a Snakemake that did not run this workflow's Snakefile. Snakemake's error
and ``--unlock`` then stand.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

OWNERS_DIR = "vaecausal-owners"


@dataclass(frozen=True)
class Owner:
    """A Snakemake process: the start time tells a live process from a later one reusing its pid."""

    host: str
    pid: int
    started: float

    @property
    def file_name(self) -> str:
        return f"{self.host}.{self.pid}.json"


def this_process() -> Owner:
    return Owner(socket.gethostname(), os.getpid(), psutil.Process().create_time())


def is_running(owner: Owner) -> bool:
    """Whether ``owner`` still runs; a process on another host is assumed to."""
    if owner.host != socket.gethostname():
        return True
    try:
        process = psutil.Process(owner.pid)
        # A second of slack: psutil derives start times from a boot time that can drift by one.
        same = abs(process.create_time() - owner.started) < 1.0
        return same and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists; whether it is the registered one cannot be told


@contextlib.contextmanager
def _exclusive(owners: Path) -> Iterator[None]:
    """Serialise registration and lock removal between Snakemake processes starting together.

    Without it, a process could find no live owner, and remove the locks after a second process
    registered and locked the directory in between.
    """
    with open(owners / ".mutex", "w") as mutex:
        fcntl.flock(mutex, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(mutex, fcntl.LOCK_UN)


def _registered(owners: Path) -> dict[Path, Owner]:
    found = {}
    for path in owners.glob("*.json"):
        try:
            found[path] = Owner(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            continue  # being written or unreadable: not evidence that the locks are stale
    return found


def claim(snakemake_dir: str | Path, report: Callable[[str], None]) -> None:
    """Register this process as a user of ``snakemake_dir`` until it exits, first removing
    ``snakemake_dir/locks`` when a registered process is gone and none is left that could hold
    them.

    ``report`` receives a line per stale registration removed, one when the locks go, and one
    per process on another host that keeps them, saying how to release it by hand.
    """
    # Absolute: Snakemake changes back out of its working directory before exit handlers run.
    snakemake_dir = Path(snakemake_dir).absolute()
    owners = snakemake_dir / OWNERS_DIR
    owners.mkdir(parents=True, exist_ok=True)
    me = this_process()
    mine = owners / me.file_name
    with _exclusive(owners):
        alive, gone = [], []
        for path, owner in _registered(owners).items():
            if is_running(owner):
                alive.append((path, owner))
            else:
                path.unlink(missing_ok=True)
                gone.append(owner)
                report(f"Snakemake process {owner.pid} on {owner.host} is gone")
        # Snakemake keeps an empty locks folder between runs; only lock files are a lock.
        locks = snakemake_dir / "locks"
        held = locks.is_dir() and any(locks.glob("*.lock"))
        if held and gone and not alive:
            shutil.rmtree(locks)
            report(f"removed the stale lock {locks}: no Snakemake process holds it any more")
        elif held:
            for path, owner in alive:
                if owner.host != me.host:
                    report(
                        f"{locks} may be held by Snakemake process {owner.pid} on {owner.host}, "
                        f"which cannot be checked from {me.host}; if it is gone, run "
                        f"`snakemake --unlock` and delete {path}"
                    )
        mine.write_text(json.dumps(asdict(me)))
    atexit.register(mine.unlink, missing_ok=True)
