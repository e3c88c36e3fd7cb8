"""vaecausal-metrics end to end on tiny .npy files, through a subprocess like a user would."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.metrics.synthetic import aligned_codes, grid_factors
from vaecausal.metrics.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "vaecausal.metrics.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture
def pool(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    factors = grid_factors(300, rng)
    np.save(tmp_path / "codes.npy", aligned_codes(factors, rng))
    np.save(tmp_path / "factors.npy", factors)
    return tmp_path / "codes.npy", tmp_path / "factors.npy"


def test_prints_chosen_metrics_with_settings_and_seed(pool):
    codes, factors = pool
    done = _run(
        "--codes", codes, "--factors", factors, "--metric", "mig", "factor_vae", "--seed", "4",
        "--mig-points", "200", "--factor-vae-train", "100", "--factor-vae-eval", "50",
        "--factor-vae-variance-points", "200",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["metrics"]) == {
        "mig",
        "factor_vae_train_accuracy",
        "factor_vae_eval_accuracy",
        "factor_vae_active_codes",
        "factor_vae_votes_with_replacement",
    }
    assert report["metrics"]["mig"] > 0.9
    assert report["seed"] == 4 and report["n_codes"] == 300 and report["constant_factors"] == []
    assert report["settings"]["mig_points"] == 200 and report["settings"]["n_train"] == 10_000


def test_missing_file_exits_2_naming_it(pool):
    codes, factors = pool
    codes.unlink()
    done = _run("--codes", codes, "--factors", factors)
    assert done.returncode == 2
    assert f"--codes {codes}: no such file" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("rows", "--factors {factors}: codes have 300 rows but factors have 299"),
        ("fractional", "--factors {factors}: factors must be integer grid indices"),
        ("not_npy", "--factors {factors}: not a readable .npy array"),
        ("too_many", "n_train + n_test = 15000 is more than the 300 codes"),
    ],
)
def test_bad_inputs_exit_2_with_a_message_naming_them(pool, capsys, change, message):
    codes, factors = pool
    if change == "rows":
        np.save(factors, np.load(factors)[:-1])
    elif change == "fractional":
        np.save(factors, np.load(factors) + 0.5)
    elif change == "not_npy":
        factors.write_text("0,1,2\n")
    with pytest.raises(SystemExit) as exit_:
        main(["--codes", str(codes), "--factors", str(factors), "--metric", "dci"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert message.format(factors=factors) in captured.err
    assert captured.out == ""


def test_console_script_is_registered():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["vaecausal-metrics"] == "vaecausal.metrics.cli:main"
