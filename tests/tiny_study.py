"""The tiny study the end-to-end tests run, and how they call the Snakemake command line.

Shared by the local end-to-end test and the SLURM test, so both exercise the same study and the
cluster's results can be compared with a local run of it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# What a user's checkout holds of the workflow, its default profile included (restarts after an
# interruption rely on its rerun-incomplete).
WORKFLOW_PARTS = (
    "Snakefile",
    "rules",
    "workflow_scripts",
    "vaecausal",
    "config.yaml",
    "envs",
    "report",
    "profiles",
)

# Every architecture goes through every stage.
ARCHITECTURES = ["vae", "beta_vae", "factor_vae", "beta_tc_vae", "dip_vae_ii", "vq_vae"]
TINY: dict[str, Any] = {
    "study": "tiny",
    "datasets": {
        "tiny_dsprites": {
            "label": "dSprites (procedural, tiny grid)",
            "source": "procedural_dsprites",
            "procedural": True,
            "channels": 1,
            "factors": {"shape": 3, "scale": 6, "orientation": 40, "posX": 32, "posY": 32},
            "categorical": ["shape"],
            "subsample": {"scale": 3, "orientation": 10, "posX": 8, "posY": 8},
        }
    },
    "studies": {
        "tiny": {
            "datasets": ["tiny_dsprites"],
            "architectures": ARCHITECTURES,
            "seeds": [3],
            "overrides": {
                "model": {"n_latents": 4},
                "training": {
                    "steps": 20,
                    "batch_size": 32,
                    "checkpoint_every": 10,
                    "log_every": 10,
                },
                "evaluation": {"n_eval": 16, "n_activations": 4},
                "oracle": {"steps": 30},
                "interventions": {
                    "latent_values": [-2.0, 0.0, 2.0],
                    "input_pairs": 16,
                    "patching": {"n_pairs": 2},
                    "mediation": {"n_pairs": 4},
                    "code_swaps": 2,
                },
                # 20 steps leave posteriors near the prior: count every latent as active.
                "metrics": {
                    "active_kl_threshold": 0.0,
                    "dci": {"n_train": 200, "n_test": 100},
                    "mig": {"points": 300},
                    "factor_vae": {"train": 100, "eval": 50, "variance_points": 300},
                    "beta_vae": {"train": 100, "eval": 50},
                },
                "resources": {rule: {"threads": 1} for rule in ("train", "metrics")},
            },
        }
    },
}


def copy_workflow(destination: Path) -> Path:
    """A copy of the workflow in ``destination``, which tests may edit without touching the repo."""
    destination.mkdir()
    for part in WORKFLOW_PARTS:
        source = REPO / part
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, destination / part, ignore=ignore)
        else:
            shutil.copy(source, destination / part)
    return destination


def snakemake_command(workflow: Path, workdir: Path, *args: str) -> list[str]:
    """The Snakemake CLI on ``workflow``'s Snakefile, writing into ``workdir``."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(workflow / "Snakefile"),
        "-d",
        str(workdir),
        *args,
    ]


def snakemake(workflow: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        snakemake_command(workflow, workdir, *args), capture_output=True, text=True, timeout=600
    )


def declared_outputs(workflow: Path, workdir: Path, config: Path) -> list[str]:
    """Every output file of the study's DAG (``snakemake --summary``), relative to ``workdir``."""
    summary = snakemake(workflow, workdir, "--summary", "--configfile", str(config))
    assert summary.returncode == 0, summary.stderr[-3000:]
    return [line.split("\t")[0] for line in summary.stdout.splitlines()[1:] if "\t" in line]


def job_stats(output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table Snakemake prints before running or planning."""
    table = output.split("Job stats:")[1].split("total")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Rule -> job count from a dry run ({} when nothing is to be done)."""
    assert result.returncode == 0, result.stderr + result.stdout
    text = result.stdout + result.stderr
    return {} if "Nothing to be done" in text else job_stats(text)
