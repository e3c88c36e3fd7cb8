"""The four findings' tables and verdicts on synthetic studies with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analysis.synthetic import study
from vaecausal.analysis.findings import Resampling, capacity, compute
from vaecausal.analysis.findings.capacity import capacity_table

FAST = {"n_boot": 500, "n_perm": 500}


def row(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.logical_and.reduce([table[k] == v for k, v in where.items()])
    (index,) = np.flatnonzero(mask)
    return table.iloc[index]


def test_capacity_difference_of_means_per_dataset():
    runs = study()
    table = capacity_table(runs, n_boot=500)
    assert len(table) == 5 and table["factors_per_latent"].is_monotonic_increasing
    celeba = row(table, dataset="celeba")
    assert celeba["factors_per_latent"] == 4.0 and celeba["vae_n"] == celeba["beta_vae_n"] == 3
    subset = runs[runs["dataset"] == "celeba"].groupby("architecture")["dci_disentanglement"]
    expected = subset.mean()["beta_vae"] - subset.mean()["vae"]
    assert celeba["difference"] == pytest.approx(expected)
    assert celeba["ci_low"] < expected < celeba["ci_high"]
    assert celeba["vae_std"] == pytest.approx(subset.std()["vae"])
    assert capacity.describe(table)[0].startswith("**Verdict: supported.**")


def test_capacity_sweep_gives_one_row_per_latent_size():
    sweep = pd.concat(
        [study(("dsprites", "3dshapes"), ("vae", "beta_vae"), n_latents=d) for d in (4, 6, 10)]
    )
    table = capacity_table(sweep, n_boot=500)
    assert len(table) == 6 and set(table["n_latents"]) == {4, 6, 10}
    assert row(table, dataset="dsprites", n_latents=4)["factors_per_latent"] == 1.25


def test_capacity_with_one_ratio_says_the_trend_is_untested():
    table = capacity_table(study(("dsprites",), ("vae", "beta_vae")), n_boot=500)
    assert "one factors-per-latent ratio" in capacity.describe(table)[0]
    only_vae = capacity_table(study(("dsprites",), ("vae", "vq_vae")), n_boot=500)
    assert only_vae["note"].tolist() == ["no beta_vae run with dci_disentanglement"]
    assert capacity.describe(only_vae)[0].startswith("**Verdict: insufficient data.**")
    assert capacity_table(study(("dsprites",), ("vq_vae",))).empty


def test_compute_returns_every_table_and_is_seeded():
    runs = study(("dsprites", "celeba"))
    resampling = Resampling(n_boot=200, n_perm=200, seed=1)
    first, second = compute(runs, resampling), compute(runs, resampling)
    for stem, table in first.tables().items():
        assert len(table) > 0, stem
        pd.testing.assert_frame_equal(table, second.tables()[stem])
