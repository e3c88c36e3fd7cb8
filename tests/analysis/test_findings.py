"""The four findings' tables and verdicts on synthetic studies with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.analysis.synthetic import study
from vaecausal.analysis.findings import Resampling, compute

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
