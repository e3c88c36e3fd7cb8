"""A throwaway single-node SLURM cluster on 127.0.0.1, for tests that must go through real sbatch.

The cluster profile can only be proven by submitting to a real scheduler: a mocked ``sbatch``
would accept a resource name the plugin does not map, an impossible memory request or a GPU the
node does not have, and would never kill a job the way a time limit or a preemption does. This
module installs SLURM with apt when its binaries are missing, starts munge, slurmctld and slurmd
without systemd (as root) and stops exactly the daemons it started. Configuration, state and logs
live in a temporary folder; only ``/etc/slurm/slurm.conf`` and ``gres.conf`` are written in place,
because clients inside jobs read the default path, and whatever was there before is restored.

The node advertises two fake GPUs, so a job asking ``--gpus=1`` is scheduled and accounted as on
a GPU cluster. They set no ``CUDA_VISIBLE_DEVICES`` in jobs (``no_gpu_env``): a job keeps the
submitter's value, so a test can keep torch on the CPU even on a machine with a real GPU.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
DAEMONS = {
    "slurmctld": Path("/usr/sbin/slurmctld"),
    "slurmd": Path("/usr/sbin/slurmd"),
    "munged": Path("/usr/sbin/munged"),
}
CLIENTS = ("sbatch", "squeue", "scancel", "scontrol", "sinfo", "munge", "unmunge", "mungekey")
CONF_DIR = Path("/etc/slurm")
MUNGE_KEY = Path("/etc/munge/munge.key")
MUNGE_RUN = Path("/run/munge")
# slurmctld's and slurmd's default ports: a daemon already listening there belongs to a cluster
# this module must not reconfigure.
PORTS = (6817, 6818)
# Serialises test sessions on one machine: they would share /etc/slurm and the ports.
LOCK = Path("/run/lock/vaecausal-slurm-test.lock")
# slurmd drops a GPU without a device file, so each fake GPU borrows a harmless one; without
# cgroups nothing is actually restricted.
FAKE_GPU_FILES = ("/dev/null", "/dev/zero")


class ClusterUnavailable(RuntimeError):
    """This machine cannot host the test cluster; the message says why (the pytest skip reason)."""


@dataclass
class Cluster:
    """A running test cluster: its node, its folder and the daemons this module started."""

    node: str
    root: Path
    started: dict[str, subprocess.Popen] = field(default_factory=dict)
    startup_seconds: float = 0.0

    def job(self, job_id: str) -> dict[str, str]:
        """``scontrol show job`` fields of a job: JobState, TimeLimit, NumCPUs, TresPerJob, ..."""
        shown = _run("scontrol", "show", "job", "--oneliner", job_id)
        assert shown.returncode == 0, shown.stderr
        return dict(re.findall(r"(\w+)=(\S*)", shown.stdout))

    def log(self, daemon: str) -> str:
        """The end of a daemon's log, for failure messages ('' when it wrote none)."""
        path = self.root / f"{daemon}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def _missing_binaries() -> list[str]:
    missing = [str(path) for path in DAEMONS.values() if not path.exists()]
    return missing + [name for name in CLIENTS if shutil.which(name) is None]


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def check_machine() -> str:
    """The node's name; raises ClusterUnavailable when this machine cannot host the cluster."""
    if os.name != "posix" or os.geteuid() != 0:
        raise ClusterUnavailable("starting SLURM daemons needs root")
    node = socket.gethostname().split(".")[0]
    try:
        socket.gethostbyname(node)
    except OSError as error:
        raise ClusterUnavailable(f"host name {node!r} does not resolve ({error})") from None
    if _missing_binaries() and shutil.which("apt-get") is None:
        raise ClusterUnavailable("SLURM is not installed and there is no apt-get to install it")
    return node


def install() -> None:
    """apt-get install SLURM and munge when any binary is missing (8 packages, about 10 s)."""
    if not _missing_binaries():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
    ):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:
            raise ClusterUnavailable(f"{' '.join(command)} failed: {done.stderr[-500:]}")
    if missing := _missing_binaries():
        raise ClusterUnavailable(f"still missing after apt-get install: {', '.join(missing)}")


@contextlib.contextmanager
def _exclusive_machine(wait_s: float = 900) -> Iterator[None]:
    """Hold the machine-wide lock: a second test session waits instead of clobbering /etc/slurm."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ClusterUnavailable(f"{LOCK} stayed locked for {wait_s} s") from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _node_memory_mb() -> int:
    """The node's memory as slurmd measures it, less 512 MB for the daemons."""
    found = re.search(r"RealMemory=(\d+)", _run(str(DAEMONS["slurmd"]), "-C").stdout)
    if not found:
        raise RuntimeError("slurmd -C did not report RealMemory")
    return int(found[1]) - 512


def slurm_conf(node: str, root: Path, cpus: int, memory_mb: int) -> str:
    """slurm.conf of the test cluster.

    Why the less obvious settings: no cgroups (a container or CI machine has none usable), hence
    linuxproc process tracking; DefMemPerCPU, else a job without --mem takes the whole node;
    MinJobAge of 10 minutes, so ``squeue`` (Snakemake's status command without accounting) and
    ``scontrol show job`` still list a finished job; KillWait of 2 s between a killed job's
    SIGTERM and SIGKILL (default 30 s), so a cancelled job is gone quickly.
    """
    gpus = len(FAKE_GPU_FILES)
    return f"""\
ClusterName=vaecausaltest
SlurmctldHost={node}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MinJobAge=600
KillWait=2
ReturnToService=2
MpiDefault=none
GresTypes=gpu
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} Gres=gpu:{gpus}
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def gres_conf(node: str) -> str:
    return "".join(
        f"NodeName={node} Name=gpu File={device} Flags=no_gpu_env\n" for device in FAKE_GPU_FILES
    )


@contextlib.contextmanager
def _replaced(path: Path, text: str) -> Iterator[None]:
    """Write ``path`` for the duration; restore the previous file (or its absence) afterwards."""
    before = path.read_bytes() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    try:
        yield
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)


def _munge_works() -> bool:
    credential = _run("munge", "-n")
    if credential.returncode != 0:
        return False
    decoded = subprocess.run(["unmunge"], input=credential.stdout, capture_output=True, text=True)
    return decoded.returncode == 0


def _start(cluster: Cluster, name: str, command: list[str], **options: str) -> None:
    """Start a daemon in the foreground (``-D``/``--foreground``): its pid is the one we stop."""
    with open(cluster.root / f"{name}.out", "wb") as output:
        cluster.started[name] = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, **options
        )


def _wait_for(
    check: Callable[[], bool], what: str, cluster: Cluster, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        for name, process in cluster.started.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode} while waiting for {what}:\n"
                    + cluster.log(name)
                )
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}:\n" + cluster.log("slurmctld"))
        time.sleep(0.2)


def _cancel_all_jobs(timeout_s: float = 30) -> None:
    """Cancel every job of the test cluster and wait until none is left running.

    A job's processes hang off slurmstepd, not slurmd: stopping slurmd first would orphan them.
    """
    _run("scancel", "--user", "root")
    deadline = time.monotonic() + timeout_s
    while _run("squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING").stdout.strip():
        if time.monotonic() > deadline:
            return
        time.sleep(0.5)


def _stop(process: subprocess.Popen, grace_s: float = 10) -> None:
    """TERM, then KILL after ``grace_s``: this one process, by its pid."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace_s)


@contextlib.contextmanager
def running_cluster(root: Path) -> Iterator[Cluster]:
    """Start munged (unless one already answers), slurmctld and slurmd; stop them on exit.

    Raises ClusterUnavailable, before changing anything on the machine, when it cannot host the
    cluster; on exit (also after a failure) cancels the cluster's jobs, stops the daemons it
    started, by pid, and restores /etc/slurm and the munge key.
    """
    node = check_machine()
    with _exclusive_machine():
        if busy := [port for port in PORTS if _port_in_use(port)]:
            raise ClusterUnavailable(f"a SLURM daemon already listens on port(s) {busy}")
        install()
        clock = time.monotonic()
        for folder in ("state", "spool"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        cluster = Cluster(node=node, root=root)
        conf = slurm_conf(node, root, os.cpu_count() or 1, _node_memory_mb())
        created_key = False
        with (
            _replaced(CONF_DIR / "slurm.conf", conf),
            _replaced(CONF_DIR / "gres.conf", gres_conf(node)),
        ):
            try:
                if not _munge_works():
                    if not MUNGE_KEY.exists():
                        _run("mungekey", "--create", f"--keyfile={MUNGE_KEY}").check_returncode()
                        shutil.chown(MUNGE_KEY, "munge", "munge")
                        created_key = True
                    MUNGE_RUN.mkdir(parents=True, exist_ok=True)
                    shutil.chown(MUNGE_RUN, "munge", "munge")
                    # --force: start even if a previous munged died and left its socket behind.
                    munged = [str(DAEMONS["munged"]), "--foreground", "--force"]
                    _start(cluster, "munged", munged, user="munge", group="munge")
                    _wait_for(_munge_works, "munged", cluster)
                _start(cluster, "slurmctld", [str(DAEMONS["slurmctld"]), "-D", "-c", "-i"])
                _wait_for(lambda: "UP" in _run("scontrol", "ping").stdout, "slurmctld", cluster)
                _start(cluster, "slurmd", [str(DAEMONS["slurmd"]), "-D", "-N", node])
                _wait_for(
                    lambda: _run("sinfo", "-h", "-N", "-o", "%T").stdout.strip() == "idle",
                    "the node to come up idle",
                    cluster,
                )
                cluster.startup_seconds = time.monotonic() - clock
                yield cluster
            finally:
                if "slurmd" in cluster.started:
                    _cancel_all_jobs()
                for name in ("slurmd", "slurmctld", "munged"):
                    if name in cluster.started:
                        _stop(cluster.started[name])
                if created_key:
                    MUNGE_KEY.unlink()
