"""The factors each dataset's oracle cannot read: in their table, in findings.md, and excluded
only where the run left them out of its oracle-based metrics."""

from __future__ import annotations

import json

import pandas as pd

from tests.analysis.synthetic import study, write_metrics
from vaecausal.analysis.findings import Resampling
from vaecausal.analysis.findings.summary import oracle_lines
from vaecausal.analysis.oracle_factors import excluded_factors, oracle_factors
from vaecausal.stages import tables
from vaecausal.stages.logs import stage_log

FLOOR = 0.8


def _record(dataset: str, seed: int, accuracy: dict[str, float], current: bool = True) -> dict:
    """A run's oracle keys; ``current=False``: a run written before factors were left out."""
    below = [name for name, value in accuracy.items() if value < FLOOR]
    record = {
        "dataset": dataset,
        "dataset_label": {"dsprites": "dSprites", "3dshapes": "3DShapes"}.get(dataset, dataset),
        "architecture": "vae",
        "seed": seed,
        "oracle_accuracy": accuracy,
        "oracle_below_floor": below,
    }
    if current:
        used = [name for name in accuracy if name not in below]
        record.update(oracle_factors_used=used, oracle_accuracy_floor=FLOOR)
    return record


def _write(folder, records: list[dict]) -> list:
    paths = []
    for index, record in enumerate(records):
        paths.append(folder / f"m{index}.json")
        paths[-1].write_text(json.dumps(record))
    return paths


DSPRITES = {"shape": 0.99, "scale": 0.95, "orientation": 0.41}


def test_excluded_factors_are_those_below_the_floor_that_the_run_left_out():
    assert excluded_factors(_record("dsprites", 0, DSPRITES)) == ["orientation"]
    assert excluded_factors(_record("dsprites", 0, DSPRITES, current=False)) == []
    assert excluded_factors(_record("3dshapes", 0, {"hue": 0.99})) == []
    assert excluded_factors({"dataset": "dsprites"}) == []


def test_one_row_per_dataset_and_factor_counting_the_runs_that_share_the_oracle(tmp_path):
    records = [
        _record("dsprites", 0, DSPRITES),
        _record("dsprites", 1, DSPRITES),
        _record("3dshapes", 0, {"hue": 0.99, "shape": 0.97}),
        _record("mpi3d", 0, {"colour": 0.5, "x": 0.9}, current=False),
        {"dataset": "celeba", "seed": 0},  # no oracle recorded: no rows
    ]
    paths = _write(tmp_path, records)
    (tmp_path / "broken.json").write_text("{")
    table = oracle_factors([*paths, tmp_path / "broken.json"])
    assert list(table["dataset"]) == ["3dshapes"] * 2 + ["dsprites"] * 3 + ["mpi3d"] * 2
    assert list(table.loc[table["dataset"] == "dsprites", "factor"]) == list(DSPRITES)
    orientation = table.set_index(["dataset", "factor"]).loc[("dsprites", "orientation")]
    assert orientation["runs"] == 2 and orientation["below_floor"]
    assert orientation["oracle_accuracy"] == 0.41 and orientation["accuracy_floor"] == FLOOR
    assert not orientation["used_in_specificity"]
    old = table[table["dataset"] == "mpi3d"]
    assert old["used_in_specificity"].isna().all() and old["accuracy_floor"].isna().all()
    assert list(old["below_floor"]) == [True, False]


def test_findings_lines_name_the_unread_factors_per_dataset_with_accuracy_and_floor(tmp_path):
    paths = _write(
        tmp_path,
        [
            _record("dsprites", 0, DSPRITES),
            _record("3dshapes", 0, {"hue": 0.99}),
            _record("mpi3d", 0, {"colour": 0.5, "x": 0.9}, current=False),
        ],
    )
    lines = "\n".join(oracle_lines(oracle_factors(paths)))
    assert "specificity and every other oracle-based metric leave out" in lines
    assert "  - dSprites: orientation (accuracy 0.41 < floor 0.80) left out." in lines
    assert "  - 3DShapes: none (every factor at or above the floor 0.80)." in lines
    assert (
        "  - mpi3d: colour (accuracy 0.50) below the floor but still in specificity (runs that "
        "predate the exclusion)." in lines
    )
    assert "scale" not in lines and "hue" not in lines
    assert oracle_lines(oracle_factors([])) == [
        "- Oracle: no run records its factors' held-out accuracies."
    ]


def test_tables_stage_writes_the_oracle_table_and_findings_name_the_exclusions(tmp_path):
    paths = write_metrics(
        study(("dsprites", "3dshapes"), ("vae", "beta_vae"), seeds=(0, 1)), tmp_path
    )
    for path in paths:
        record = json.loads(path.read_text())
        accuracy = DSPRITES if record["dataset"] == "dsprites" else {"hue": 0.99}
        record.update(_record(record["dataset"], record["seed"], accuracy))
        path.write_text(json.dumps(record))
    with stage_log(tmp_path / "log.txt") as log:
        tables.run(paths, tmp_path / "tables", log, resampling=Resampling(n_boot=50, n_perm=50))
    written = pd.read_csv(tmp_path / "tables" / "oracle_factors.csv")
    assert len(written) == 4 and list(written["runs"]) == [4] * 4
    assert (tmp_path / "tables" / "oracle_factors.md").exists()
    findings = (tmp_path / "tables" / "findings.md").read_text()
    rests_on = findings.split("## What the numbers rest on")[1].split("## (i)")[0]
    assert "  - dSprites: orientation (accuracy 0.41 < floor 0.80) left out." in rests_on
    assert "- `oracle_factors.csv` / `oracle_factors.md`" in findings
