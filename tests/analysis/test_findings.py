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
