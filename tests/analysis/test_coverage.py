"""A partial study: what exists is aggregated, what is missing is named."""

from __future__ import annotations

import pandas as pd

from tests.analysis.synthetic import study, write_metrics
from vaecausal.analysis.coverage import load_available, metric_coverage
from vaecausal.analysis.findings import Resampling
from vaecausal.stages.logs import stage_log
from vaecausal.stages.tables import run

FAST = Resampling(n_boot=200, n_perm=200)


def plan(datasets, architectures, seeds):
    return [
        {"dataset": d, "architecture": a, "seed": s}
        for d in datasets
        for a in architectures
        for s in seeds
    ]


def test_missing_and_unreadable_runs_are_reported(tmp_path):
    paths = write_metrics(study(("dsprites",), ("vae", "vq_vae"), seeds=(0, 1)), tmp_path)
    broken = tmp_path / "dsprites_vq_vae_1.json"
    broken.write_text('{"dataset": "dsprites", ')
    available = load_available(paths, plan(["dsprites"], ["vae", "vq_vae"], [0, 1, 2]))
    assert len(available.runs) == 3 and available.n_expected == 6
    missing = available.missing.to_dict("records")
    assert missing == [
        {"dataset": "dsprites", "architecture": "vae", "seed": 2},
        {"dataset": "dsprites", "architecture": "vq_vae", "seed": 1},
        {"dataset": "dsprites", "architecture": "vq_vae", "seed": 2},
    ]
    assert available.unreadable["path"].tolist() == [str(broken)]
    assert "JSONDecodeError" in available.unreadable["error"].iloc[0]


def test_without_a_plan_nothing_is_missing(tmp_path):
    paths = write_metrics(study(("dsprites",), ("vae",), seeds=(0,)), tmp_path)
    available = load_available(paths)
    assert available.missing.empty and available.n_expected == 1


def test_metric_coverage_counts_discrete_metrics_over_vq_vae_runs_only():
    runs = study(("dsprites",), ("vae", "vq_vae"), seeds=(0, 1))
    runs.loc[0, "mig"] = float("nan")
    coverage = metric_coverage(runs.drop(columns=["sap"])).set_index("metric")
    assert coverage.loc["mig", ["runs_with_value", "eligible_runs", "status"]].tolist() == [
        3,
        4,
        "some runs",
    ]
    assert coverage.loc["sap", "status"] == "no run"
    assert coverage.loc["ces_discrete", ["runs_with_value", "eligible_runs"]].tolist() == [2, 2]
    assert coverage.loc["ces_discrete", "status"] == "all runs"


def test_tables_stage_on_a_partial_study_writes_everything_and_names_the_gaps(tmp_path):
    runs = study(("dsprites", "3dshapes"), ("vae", "beta_vae", "vq_vae"), seeds=(0, 1))
    runs = runs.drop(columns=["ces_discrete", "mig"])
    paths = write_metrics(runs.iloc[1:], tmp_path / "metrics")  # dsprites/vae/seed0 not done
    expected = plan(["dsprites", "3dshapes"], ["vae", "beta_vae", "vq_vae"], [0, 1])
    out = tmp_path / "tables"
    with stage_log(tmp_path / "log.txt") as log:
        run([*map(str, paths), str(tmp_path / "absent.json")], out, log, expected, FAST)
    assert len(pd.read_csv(out / "runs.csv")) == 11
    assert pd.read_csv(out / "missing_runs.csv").to_dict("records") == [
        {"dataset": "dsprites", "architecture": "vae", "seed": 0}
    ]
    findings = (out / "findings.md").read_text()
    assert "11 of 12 expected runs" in findings and "Missing runs: 1" in findings
    assert "dsprites/vae/seed0" in findings
    assert "MIG" in findings.split("Metrics no run reports")[1].split("\n")[0]
    assert "Discrete CES: no VQ-VAE run reports both CES values." in findings
    summary = (out / "summary.md").read_text()
    assert "MIG" not in summary and "DCI-D" in summary
    for stem in ("ces_dci_correlation", "capacity_bottleneck", "vq_discrete_ces"):
        assert (out / f"{stem}.md").read_text().startswith("|")
        assert len(pd.read_csv(out / f"{stem}.csv")) > 0
    assert "11 of 12 expected runs read; 1 missing" in (tmp_path / "log.txt").read_text()


def test_tables_stage_with_no_run_at_all(tmp_path):
    with stage_log(tmp_path / "log.txt") as log:
        run([], tmp_path / "tables", log, plan(["dsprites"], ["vae"], [0]), FAST)
    findings = (tmp_path / "tables" / "findings.md").read_text()
    assert "0 of 1 expected runs" in findings
    assert findings.count("**Verdict: insufficient data.**") == 4
    assert pd.read_csv(tmp_path / "tables" / "top_architectures.csv").empty
