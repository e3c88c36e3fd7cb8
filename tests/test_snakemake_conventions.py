"""The Snakemake files follow Snakemake's conventions: no lint, and formatted by snakefmt.

Run as part of ``pytest`` so that CI (``.ci/run``, which runs the README's test command) keeps
both clean without a separate step.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.tiny_study import REPO


def test_snakemake_lint_is_clean(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "-s", str(REPO / "Snakefile")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Lints for" not in output, output


def test_snakefmt_would_change_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_conda_environments_pin_the_studys_versions():
    constraints = {
        name.lower(): version
        for name, version in re.findall(
            r"^([A-Za-z0-9_.-]+)==(\S+)$", (REPO / "constraints.txt").read_text(), re.M
        )
    }
    pinned = 0
    for env in (REPO / "envs").glob("*.yaml"):
        for name, version in re.findall(r"- ([A-Za-z0-9_.-]+)==(\S+)", env.read_text()):
            assert constraints.get(name.lower()) == version, f"{env.name}: {name}=={version}"
            pinned += 1
    assert pinned > 10
