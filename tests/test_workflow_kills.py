"""Hard kills of the whole workflow: Snakemake and all its jobs SIGKILLed at every stage.

What a user sees when the login node reboots or the tmux session is killed: no process gets to
clean up. The tiny study is started, killed with SIGKILL to its whole process group as soon as a
stage shows it is running (its log or checkpoint appears), and started again with the same
command, as the README says, six times over. The final results must equal the undisturbed run
of the same study (the session's ``tiny_study``) file by file, which they cannot if any
half-written file had been taken as finished.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
import torch

from tests.tiny_study import snakemake_command

STUDY = Path("results/tiny")
# (stage, files whose appearance shows the stage running), in the order the study reaches them.
KILL_POINTS = (
    ("prepare", "logs/prepare/*.log"),
    ("train", "logs/train/*/*/*.log"),
    ("train, after a checkpoint", "runs/*/*/*/checkpoint.pt"),
    ("intervene", "logs/intervene/*/*/*.log"),
    ("metrics", "logs/metrics/*/*/*.log"),
    ("tables", "logs/tables/*.log"),
)
LIMIT_S = 900  # for one start of the study, killed or not
# Keys and columns that measure time (effects.npz's "timings" among them): they legitimately
# differ between two runs.
TIMING = re.compile(r"seconds|per_second|duration|timing")
# Files that print the training time alone among their numbers (their CSVs are compared).
TIMED_RENDERINGS = ("summary.md", "summary.tex")


def _start(workflow: Path, work: Path, config: Path, log: Path) -> subprocess.Popen:
    """The study as a user starts it, in its own process group like a terminal's job."""
    command = snakemake_command(workflow, work, "--cores", "2", "--configfile", str(config))
    return subprocess.Popen(
        command, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _kill_when_running(process: subprocess.Popen, study: Path, pattern: str) -> bool:
    """SIGKILL the process group once a file matching ``pattern`` appears that was not there
    when polling began; False if the workflow finished first."""
    before = set(study.glob(pattern))
    deadline = time.monotonic() + LIMIT_S
    while process.poll() is None and time.monotonic() < deadline:
        if set(study.glob(pattern)) - before:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.01)
    if process.poll() is None:  # stuck past the deadline
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return False


def _survivors(work: Path) -> list[str]:
    """Processes still working in ``work`` a few seconds after the kill: there must be none."""
    deadline = time.monotonic() + 10
    while True:
        found = []
        for process in psutil.process_iter(["cmdline", "cwd", "status"]):
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            where = " ".join(process.info["cmdline"] or []) + " " + (process.info["cwd"] or "")
            if str(work) in where:
                found.append(where)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _assert_same_files(ours: Path, theirs: Path) -> None:
    """Every result of one run equals the other's, timings aside."""
    compared = 0
    for path in sorted(theirs.rglob("*")):
        mine = ours / path.relative_to(theirs)
        if path.suffix == ".npy":
            assert np.array_equal(np.load(mine), np.load(path)), mine
        elif path.suffix == ".npz":
            with np.load(mine) as a, np.load(path) as b:
                assert sorted(a) == sorted(b), mine
                timed = [k for k in b if TIMING.search(k)]
                assert all(np.array_equal(a[k], b[k]) for k in b if k not in timed), mine
        elif path.suffix == ".pt":
            a, b = (torch.load(p, weights_only=False)["state_dict"] for p in (mine, path))
            assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in b), mine
        elif path.suffix == ".parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(mine), pd.read_parquet(path))
        elif path.name == "metrics.json":
            a, b = (json.loads(p.read_text()) for p in (mine, path))
            assert {k: v for k, v in a.items() if not TIMING.search(k)} == {
                k: v for k, v in b.items() if not TIMING.search(k)
            }, mine
        elif path.suffix == ".csv":
            a, b = (pd.read_csv(p) for p in (mine, path))
            timing = [c for c in b.columns if TIMING.search(c)]
            pd.testing.assert_frame_equal(
                a.drop(columns=timing), b.drop(columns=timing), check_exact=True, obj=str(mine)
            )
        elif path.suffix == ".md" and path.name not in TIMED_RENDERINGS:
            assert mine.read_text() == path.read_text(), mine
        else:
            continue
        compared += 1
    runs = list(theirs.glob("runs/*/*/*/metrics.json"))
    assert runs and compared > 5 * len(runs)  # data, tables, and each run's model to metrics


def test_study_killed_at_every_stage_resumes_to_the_undisturbed_results(
    tiny_study: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    workflow, undisturbed, config = tiny_study
    work = tmp_path / "work"
    study = work / STUDY
    killed_at = []
    for stage, pattern in KILL_POINTS:
        log = tmp_path / f"start{len(killed_at)}.log"
        process = _start(workflow, work, config, log)
        if not _kill_when_running(process, study, pattern):
            pytest.fail(f"the study finished before it could be killed during {stage}")
        killed_at.append(stage)
        assert _survivors(work) == []
        restart = log.read_text()
        if len(killed_at) > 1:  # each restart found the lock its killed predecessor left
            assert "removed the stale lock" in restart and "cannot be locked" not in restart
    final = tmp_path / "final.log"
    finished = _start(workflow, work, config, final).wait(timeout=LIMIT_S)
    assert finished == 0, final.read_text()[-5000:]
    assert "removed the stale lock" in final.read_text()
    print(f"killed during: {', '.join(killed_at)}; resumed each time")

    assert [p for p in study.rglob("*") if p.suffix in (".tmp", ".part")] == []
    assert not list(study.glob("runs/*/*/*/checkpoint.pt"))
    resumed = [
        p for p in study.glob("logs/train/*/*/*.log") if "resuming from checkpoint" in p.read_text()
    ]
    assert resumed, "no training job was killed after a checkpoint and resumed from it"
    _assert_same_files(study, undisturbed / STUDY)
