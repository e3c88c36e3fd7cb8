"""The SLURM cluster profile, proven against a real single-node SLURM cluster.

A tiny study is submitted with ``snakemake --profile profiles/slurm``. Every job must go through
sbatch asking for the CPUs, memory, time and GPUs that config.yaml gives its rule, every output
of the study must be produced, and the study's metrics and tables must equal those of a local
``snakemake --cores 2`` run of the same study, made alongside.

One training job is killed by the scheduler after its first checkpoint: ``scancel`` makes
slurmd send the job SIGTERM and, KillWait seconds later, SIGKILL, exactly as for a time limit or a
preemption, and SLURM reports it CANCELLED, which the SLURM plugin treats like TIMEOUT or
OUT_OF_MEMORY: the job failed. (A real time limit would be slower and less exact: SLURM's shortest
is one minute, enforced by a check every 30 s.)
Snakemake must resubmit it (the profile's ``retries``) and the new job must continue from the
checkpoint; that it continues exactly is shown by its losses and the study's metrics matching the
uninterrupted local run bit for bit.

The cluster tests need root (SLURM is installed with apt when missing and its daemons started)
and are skipped, with the reason, where the machine cannot host the cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tests.slurm_cluster import Cluster, ClusterUnavailable, running_cluster
from tests.tiny_study import REPO, TINY, declared_outputs, job_stats, snakemake, snakemake_command
from vaecausal.config import deep_merge, load_study

PROFILE = REPO / "profiles" / "slurm"
ARCHITECTURE = "beta_vae"
STEPS = 40  # about 4 s of training on a small CPU: the kill lands after step 10, before the end
RUN = f"results/tiny/runs/tiny_dsprites/{ARCHITECTURE}/seed3"
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())
# The tiny study on one architecture. Every job asks for 1 CPU and 1 GB, so it fits the one-node
# test cluster and two jobs share a 2-core machine; runtimes and GPUs stay config.yaml's defaults.
CLUSTER_STUDY = deep_merge(
    TINY,
    {
        "studies": {
            "tiny": {
                "architectures": [ARCHITECTURE],
                "overrides": {
                    "training": {"steps": STEPS},
                    "resources": {
                        rule: {"mem_mb": 1000, "threads": 1}
                        for rule in CONFIG["defaults"]["resources"]
                    },
                },
            }
        }
    },
)
# A failed job's logs, which Snakemake prints (show-failed-logs) between two lines of 80 '='.
PRINTED_LOG = re.compile(r"^Logfile .*:\n={80}\n.*?^={80}$", re.M | re.S)
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.$", re.M)
# Columns and keys that measure time: they legitimately differ between two runs.
TIMING = re.compile(r"seconds|per_second|duration")
# Both runs on the CPU, also where a GPU is present: this test is about dispatch, and GPU kernels
# need not be bitwise reproducible. (The test cluster's fake GPUs leave this variable alone.)
CPU_ONLY = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
CLUSTER_RUN_LIMIT_S = 480


@dataclass(frozen=True)
class ClusterRun:
    """The tiny study run through SLURM, and the same study run locally for comparison."""

    cluster: Cluster
    config: Path
    work: Path
    local: Path
    output: str
    cancelled: str
    seconds: float

    def submissions(self) -> list[tuple[str, str]]:
        """(SLURM job id, rule) of every sbatch submission, in submission order."""
        return [
            (job_id, next(p[5:] for p in Path(log).parts if p.startswith("rule_")))
            for job_id, log in SUBMITTED.findall(self.output)
        ]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with contextlib.ExitStack() as stack:
        try:
            started = stack.enter_context(running_cluster(tmp_path_factory.mktemp("slurm")))
        except ClusterUnavailable as reason:
            pytest.skip(f"no SLURM test cluster on this machine: {reason}")
        print(f"\nSLURM test cluster on {started.node} up in {started.startup_seconds:.1f} s")
        yield started


@contextlib.contextmanager
def _background(command: list[str], log: Path) -> Iterator[subprocess.Popen]:
    """Run ``command`` with its output in ``log``; interrupt it (SIGINT) if still running at exit.

    SIGINT, not SIGTERM: Snakemake ignores SIGTERM while jobs run, and on SIGINT it cancels its
    SLURM jobs before exiting.
    """
    with open(log, "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=CPU_ONLY)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _cancel_training_after_first_checkpoint(checkpoint: Path, snakemake: subprocess.Popen) -> str:
    """Wait for the training job's first checkpoint, then scancel the job; its SLURM id."""
    deadline = time.monotonic() + 300
    while not checkpoint.exists():
        assert snakemake.poll() is None, "Snakemake ended before training wrote a checkpoint"
        assert time.monotonic() < deadline, f"no {checkpoint} after 300 s"
        time.sleep(0.05)
    running = subprocess.run(
        ["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"], capture_output=True, text=True
    ).stdout.split("\n")
    training = [line.split()[0] for line in running if " rule_train_" in line]
    assert len(training) == 1, running
    cancelled = subprocess.run(["scancel", training[0]], capture_output=True, text=True)
    assert cancelled.returncode == 0, cancelled.stderr
    assert checkpoint.exists(), "training finished before it was killed: raise STEPS"
    return training[0]


@pytest.fixture(scope="module")
def cluster_run(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> ClusterRun:
    root = tmp_path_factory.mktemp("slurm_study")
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump(CLUSTER_STUDY))
    work, local = root / "cluster", root / "local"
    submit = snakemake_command(
        REPO,
        work,
        "--profile",
        str(PROFILE),
        # No accounting database on the test cluster: job states come from squeue.
        "--slurm-status-command",
        "squeue",
        # First status check after 3 s (default 40 s); the plugin adds 10 s to each later wait.
        "--slurm-init-seconds-before-status-checks",
        "3",
        # Keep every job's SLURM log, the evidence that it ran under SLURM.
        "--slurm-keep-successful-logs",
        "--configfile",
        str(config),
    )
    clock = time.monotonic()
    with (
        _background(
            snakemake_command(REPO, local, "--cores", "2", "--configfile", str(config)),
            root / "local.log",
        ) as local_run,
        _background(
            ["timeout", "-k", "10", str(CLUSTER_RUN_LIMIT_S), *submit], root / "cluster.log"
        ) as cluster_snakemake,
    ):
        cancelled = _cancel_training_after_first_checkpoint(
            work / RUN / "checkpoint.pt", cluster_snakemake
        )
        returncode = cluster_snakemake.wait(CLUSTER_RUN_LIMIT_S + 30)
        output = (root / "cluster.log").read_text()
        assert returncode == 0, output[-5000:]
        seconds = time.monotonic() - clock
        assert local_run.wait(600) == 0, (root / "local.log").read_text()[-5000:]
    run = ClusterRun(cluster, config, work, local, output, cancelled, seconds)
    print(f"tiny study through SLURM in {seconds:.0f} s; sbatch submissions (job id, rule):")
    for job_id, rule in run.submissions():
        job = cluster.job(job_id)
        print(f"  {job_id:>4} {rule:<20} {job['JobState']:<10} ran {job['RunTime']}")
    return run


def _minutes(limit: str) -> int:
    """SLURM's [days-]hours:minutes:seconds time limit in minutes."""
    days, _, clock = limit.rpartition("-")
    hours, minutes, _ = (int(part) for part in clock.split(":"))
    return int(days or 0) * 24 * 60 + hours * 60 + minutes


def _study_resources(overlay: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per-rule requests of a study as the workflow resolves them (config.yaml + overlay)."""
    return load_study(deep_merge(CONFIG, overlay)).settings["resources"]


def test_every_job_went_through_sbatch_asking_its_study_resources(cluster_run: ClusterRun):
    submissions = cluster_run.submissions()
    # Rules Snakemake ran itself (the target rule `all`); the printed log of the killed job shows
    # its own Snakemake running `localrule train` inside the allocation, hence the logs' removal.
    messages = PRINTED_LOG.sub("", cluster_run.output)
    local_rules = set(re.findall(r"^localrule (\w+):", messages, re.M))
    expected = Counter(
        {r: n for r, n in job_stats(cluster_run.output).items() if r not in local_rules}
    )
    expected["train"] += 1  # the cancelled attempt
    assert Counter(rule for _, rule in submissions) == expected

    requests = _study_resources(CLUSTER_STUDY)
    assert requests["train"]["gpus"] > 0, "the study should exercise a GPU request"
    for job_id, rule in submissions:
        assert list(cluster_run.work.glob(f".snakemake/slurm_logs/rule_{rule}/**/{job_id}.log"))
        job = cluster_run.cluster.job(job_id)
        assert job["JobState"] == ("CANCELLED" if job_id == cluster_run.cancelled else "COMPLETED")
        assert job["Comment"].startswith(f"rule_{rule}")
        if rule in requests:
            request = requests[rule]
            assert _minutes(job["TimeLimit"]) == request["runtime"], (rule, job)
            assert job["MinMemoryNode"] == f"{request['mem_mb']}M", (rule, job)
            assert int(job["NumCPUs"]) == request["threads"], (rule, job)
            gpus = request.get("gpus", 0)
            assert job.get("TresPerJob") == (f"gres:gpu:{gpus}" if gpus else None), (rule, job)


def test_every_output_exists_and_metrics_equal_the_local_run(cluster_run: ClusterRun):
    for output in declared_outputs(REPO, cluster_run.work, cluster_run.config):
        assert (cluster_run.work / output).stat().st_size > 0, output

    study = Path("results/tiny")
    metrics = sorted(
        p.relative_to(cluster_run.work) for p in (cluster_run.work / study).rglob("metrics.json")
    )
    tables = sorted(
        p.relative_to(cluster_run.work) for p in (cluster_run.work / study).glob("tables/*.csv")
    )
    assert metrics and tables
    for path in metrics:
        ours, theirs = (
            json.loads((w / path).read_text()) for w in (cluster_run.work, cluster_run.local)
        )
        assert {k: v for k, v in ours.items() if not TIMING.search(k)} == {
            k: v for k, v in theirs.items() if not TIMING.search(k)
        }, path
    for path in tables:
        ours, theirs = (pd.read_csv(w / path) for w in (cluster_run.work, cluster_run.local))
        timing = [c for c in ours.columns if TIMING.search(c)]
        pd.testing.assert_frame_equal(
            ours.drop(columns=timing), theirs.drop(columns=timing), check_exact=True, obj=str(path)
        )


def test_killed_training_job_is_retried_and_resumes_from_its_checkpoint(cluster_run: ClusterRun):
    training = [job_id for job_id, rule in cluster_run.submissions() if rule == "train"]
    assert training[0] == cluster_run.cancelled and len(training) == 2
    assert cluster_run.cluster.job(cluster_run.cancelled)["JobState"] == "CANCELLED"

    run = cluster_run.work / RUN
    summary = json.loads((run / "train_summary.json").read_text())
    assert summary["steps"] == STEPS and 0 < summary["resumed_from_step"] < STEPS
    log = cluster_run.work / f"results/tiny/logs/train/tiny_dsprites/{ARCHITECTURE}/seed3.log"
    assert f"resuming from checkpoint at step {summary['resumed_from_step']}" in log.read_text()
    assert not (run / "checkpoint.pt").exists()
    print(
        f"training job {training[0]} killed, job {training[1]} resumed at step "
        f"{summary['resumed_from_step']} of {STEPS}"
    )

    # The uninterrupted local run took the same steps: the resumed run continued exactly.
    reference = cluster_run.local / RUN
    assert json.loads((reference / "train_summary.json").read_text())["resumed_from_step"] == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(run / "losses.csv"), pd.read_csv(reference / "losses.csv"), check_exact=True
    )


@pytest.mark.parametrize("study", ["default", "paper"])
def test_cluster_profile_asks_each_rule_for_its_study_resources(study: str, tmp_path: Path):
    """The profile's dry run: the paper study's training asks a GPU, the default study none.

    A dry run caps threads at --cores (1 unless given); a cluster run does not, hence --cores.
    """
    planned = snakemake(
        REPO,
        tmp_path,
        "-n",
        "--profile",
        str(PROFILE),
        "--config",
        f"study={study}",
        "--cores",
        "64",
    )
    output = planned.stdout + planned.stderr
    assert planned.returncode == 0, output[-3000:]
    jobs = re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", output, re.M)
    assert len(jobs) == sum(job_stats(output).values())
    requests = _study_resources({"study": study})
    asking_gpus = Counter()
    for rule, listed in jobs:
        resources = dict(item.split("=", 1) for item in listed.split(", "))
        asking_gpus[rule] += int(resources.get("gpu", 0)) > 0
        if rule in requests:
            request = requests[rule]
            assert int(resources["mem_mb"]) == request["mem_mb"], rule
            assert int(resources["runtime"]) == request["runtime"], rule
            assert int(resources["cpus_per_task"]) == request["threads"], rule
            assert int(resources.get("gpu", 0)) == request.get("gpus", 0), rule
    if study == "default":
        assert sum(asking_gpus.values()) == 0
    else:
        assert asking_gpus["train"] == job_stats(output)["train"]
