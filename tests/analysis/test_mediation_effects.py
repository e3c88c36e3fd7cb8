"""The mediation table: one row per run and treatment, shares empty where TE is noise."""

from __future__ import annotations

import json

import numpy as np

from vaecausal.analysis.mediation_effects import COLLAPSED, UNDEFINED, mediation_effects


def _record(seed: int) -> dict:
    return {
        "dataset": "dsprites",
        "architecture": "vae",
        "seed": seed,
        "ces": 1.0,
        "mediation": {
            "treatments": ["shape 0->1", "posX up"],
            "outcome_latent": [3, 1],
            "pairs": [16, 16],
            "total_effect": [0.01, 0.9],
            "total_effect_se": [0.02, 0.05],
            "total_effect_p": [0.6, 1e-9],
            "total_effect_ci": [None, [0.8, 1.0]],
            "shares_defined": [False, True],
            "sum_of_unit_shares_by_layer": {
                "encoder.conv1": [None, 0.7],
                "encoder.fc": [None, 1.0],
            },
        },
    }


def test_rows_per_run_and_treatment_with_undefined_shares_said_so(tmp_path):
    paths = []
    for seed in (1, 0):
        paths.append(tmp_path / f"m{seed}.json")
        paths[-1].write_text(json.dumps(_record(seed)))
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "old.json").write_text(json.dumps({"dataset": "x", "seed": 0}))
    table = mediation_effects([*paths, tmp_path / "broken.json", tmp_path / "old.json"])
    assert list(table["seed"]) == [0, 0, 1, 1]
    undefined = table[table["treatment"] == "shape 0->1"]
    assert (undefined["note"] == UNDEFINED).all()
    assert undefined[["share_sum_conv1", "share_sum_fc"]].isna().all().all()
    defined = table[table["treatment"] == "posX up"].iloc[0]
    assert defined["note"] == "" and defined["share_sum_fc"] == 1.0 and defined["te"] == 0.9
    assert defined["outcome_latent"] == 1 and np.isclose(defined["te_se"], 0.05)


def test_a_collapsed_run_says_so(tmp_path):
    record = _record(0)
    record["mediation"]["outcome_latent"] = [-1, -1]
    (tmp_path / "m.json").write_text(json.dumps(record))
    assert (mediation_effects([tmp_path / "m.json"])["note"] == COLLAPSED).all()


def test_no_run_with_mediation_gives_an_empty_table_with_its_columns(tmp_path):
    assert {"treatment", "te", "te_ci_low", "note"} <= set(mediation_effects([]).columns)


def test_te_intervals_are_columns_and_empty_where_undefined_or_not_recorded(tmp_path):
    old = _record(1)
    del old["mediation"]["total_effect_ci"]  # written before the intervals existed
    for seed, record in ((0, _record(0)), (1, old)):
        (tmp_path / f"m{seed}.json").write_text(json.dumps(record))
    table = mediation_effects([tmp_path / "m0.json", tmp_path / "m1.json"])
    columns = list(table.columns)
    assert columns.index("te") < columns.index("te_ci_low") < columns.index("te_ci_high")
    assert table["te_ci_low"].dtype == float and table["te_ci_high"].dtype == float
    new = table[table["seed"] == 0].set_index("treatment")
    assert new.loc["posX up", "te_ci_low"] == 0.8 and new.loc["posX up", "te_ci_high"] == 1.0
    assert new.loc["shape 0->1", ["te_ci_low", "te_ci_high"]].isna().all()
    assert table.loc[table["seed"] == 1, ["te_ci_low", "te_ci_high"]].isna().all().all()
