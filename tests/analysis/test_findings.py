"""The four findings' tables and verdicts on synthetic studies with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.analysis.synthetic import study
from vaecausal.analysis.findings import Hypotheses, Resampling, compute

FAST = {"n_boot": 500, "n_perm": 500}


def row(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.logical_and.reduce([table[k] == v for k, v in where.items()])
    (index,) = np.flatnonzero(mask)
    return table.iloc[index]


def test_compute_returns_every_table_and_is_seeded():
    runs = study(("dsprites", "celeba"))
    resampling = Resampling(n_boot=200, n_perm=200, seed=1)
    first, second = compute(runs, resampling), compute(runs, resampling)
    for stem, table in first.tables().items():
        assert len(table) > 0, stem
        pd.testing.assert_frame_equal(table, second.tables()[stem])


def test_size_variants_enter_the_capacity_finding_only():
    from tests.analysis.test_finding_capacity import sweep_runs

    variants = sweep_runs((0.1, 0.0, -0.1), dataset="dsprites", n_latents=(8, 5, 3))
    runs = pd.concat([study(("dsprites", "3dshapes")), variants], ignore_index=True)
    findings = compute(runs, Resampling(n_boot=200, n_perm=200))
    variant_names = set(variants["architecture"])
    assert variant_names.isdisjoint(findings.ranks["architecture"])
    assert variant_names.isdisjoint(
        set(findings.top["top"]) | set(findings.top["runner_up"].dropna())
    )
    pooled = findings.correlations[findings.correlations["dataset"] == "pooled"]
    assert set(pooled["n_architectures"]) <= {5, 6}  # the reference architectures only
    assert findings.discrete["n_other_architectures"].max() == 5
    # the sweep's levels (8, 5, 3 latents) plus the reference runs at 10
    dsprites = findings.capacity[findings.capacity["dataset"] == "dsprites"]
    assert sorted(dsprites["n_latents"]) == [3, 5, 8, 10]
    assert findings.verdicts.set_index("finding").loc["(iii) No single winner", "n_runs"] == 36


def strength_variants(runs: pd.DataFrame, link: float) -> pd.DataFrame:
    """One seed of five strength variants per dataset, named as in config.yaml, whose CES falls
    with DCI (``link`` = -1, as the synthetic study's architectures) or rises (+1)."""
    names = {
        "beta_vae_b2": "beta_vae",
        "beta_vae_b8": "beta_vae",
        "factor_vae_g40": "factor_vae",
        "beta_tc_vae_b2": "beta_tc_vae",
        "dip_vae_ii_l2": "dip_vae_ii",
    }
    rows = []
    for dataset in runs["dataset"].unique():
        for k, (name, of) in enumerate(names.items()):
            template = runs[(runs["dataset"] == dataset) & (runs["architecture"] == of)].iloc[0]
            dci = 0.1 + 0.15 * k
            # the synthetic study's own CES scale on this dataset: CES = scale x (1.2 - DCI)
            scale = template["ces"] / (1.2 - template["dci_disentanglement"])
            rows.append(
                template.to_dict()
                | {
                    "architecture": name,
                    "strength_of": of,
                    "seed": 0,
                    "dci_disentanglement": dci,
                    "ces": scale * (1.2 + link * dci),
                }
            )
    return pd.DataFrame(rows)


def test_strength_variants_enter_the_trade_off_only():
    reference = study(("dsprites", "3dshapes"))
    runs = pd.concat([reference, strength_variants(reference, -1.0)], ignore_index=True)
    findings = compute(runs, Resampling(n_boot=200, n_perm=500))
    variants = {"beta_vae_b2", "beta_vae_b8", "factor_vae_g40", "beta_tc_vae_b2", "dip_vae_ii_l2"}
    assert variants.isdisjoint(findings.ranks["architecture"])
    assert findings.discrete["n_other_architectures"].max() == 5
    assert findings.capacity["beta_vae_n"].max() == 3  # the reference beta-VAE's seeds only
    table = findings.correlations
    pooled = {"runs": "continuous latents only", "dataset": "pooled", "method": "spearman"}
    primary = row(table, unit="model means", **pooled)
    secondary = row(table, unit="architecture means", **pooled)
    assert primary["n_architectures"] == 10 and secondary["n_architectures"] == 5
    assert primary["estimate"] < -0.8 and primary["p_value"] < 0.01
    assert findings.verdicts.set_index("finding").loc["(i) CES–DCI trade-off", "verdict"] == (
        "supported"
    )


def test_the_declared_direction_decides_which_sign_supports_the_trade_off():
    reference = study(("dsprites", "3dshapes"))
    runs = pd.concat([reference, strength_variants(reference, -1.0)], ignore_index=True)
    resampling = Resampling(n_boot=200, n_perm=500)
    positive = compute(runs, resampling, Hypotheses(tradeoff_direction="positive"))
    word = positive.verdicts.set_index("finding").loc["(i) CES–DCI trade-off", "verdict"]
    assert word == "contradicted"  # a negative correlation, where a positive one was declared


def test_tables_stage_records_strength_variants_and_the_declared_direction(tmp_path):
    from tests.analysis.synthetic import write_metrics
    from vaecausal.stages import tables
    from vaecausal.stages.logs import stage_log

    reference = study(("dsprites", "3dshapes"))
    variants = strength_variants(reference, -1.0)
    runs = pd.concat([reference, variants], ignore_index=True)
    paths = write_metrics(runs.drop(columns=["strength_of"]), tmp_path / "metrics")
    strength_of = dict(zip(variants["architecture"], variants["strength_of"], strict=True))
    with stage_log(tmp_path / "log.txt") as log:
        tables.run(
            paths,
            tmp_path / "tables",
            log,
            strength_of=strength_of,
            hypotheses={"tradeoff_direction": "positive"},
        )
    written = pd.read_csv(tmp_path / "tables" / "runs.csv")
    recorded = written.dropna(subset=["strength_of"])
    assert set(recorded["architecture"]) == set(strength_of) and len(recorded) == 10
    correlations = pd.read_csv(tmp_path / "tables" / "ces_dci_correlation.csv")
    assert set(correlations["alternative"].dropna()) == {"greater"}
    text = (tmp_path / "tables" / "findings.md").read_text()
    assert "one-sided in the direction declared before the runs (positive)" in text
