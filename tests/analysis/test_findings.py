"""The four findings' tables and verdicts on synthetic studies with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analysis.synthetic import study
from vaecausal.analysis.findings import Resampling, capacity, compute, discrete
from vaecausal.analysis.findings.capacity import capacity_table
from vaecausal.analysis.findings.discrete import discrete_comparison

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


def test_discrete_comparison_arithmetic():
    runs = pd.DataFrame(
        {
            "dataset": "d",
            "dataset_label": "D",
            "architecture": ["vq_vae", "vq_vae", "vae", "vae", "beta_vae"],
            "seed": [0, 1, 0, 1, 0],
            "ces": [1.0, 3.0, 10.0, 30.0, 40.0],
            "ces_discrete": [10.0, 14.0, np.nan, np.nan, np.nan],
            "vq_perturbation_mode": ["additive", "additive", None, None, None],
            "code_change_share": [0.2, 0.4, np.nan, np.nan, np.nan],
            "code_change_share_smallest_move": [0.1, 0.3, np.nan, np.nan, np.nan],
            "smallest_move": [1.0, 1.0, np.nan, np.nan, np.nan],
        }
    )
    (result,) = discrete_comparison(runs, n_boot=500).to_dict("records")
    assert result["ces_mean"] == 2.0 and result["ces_discrete_mean"] == 12.0
    assert result["ces_std"] == pytest.approx(np.sqrt(2.0))
    assert result["difference_mean"] == 10.0 and result["ci_low"] == 9.0
    assert result["ci_high"] == 11.0  # paired differences 9 and 11
    assert result["discrete_to_continuous"] == 6.0
    assert result["others_ces_median"] == 30.0  # median of vae 20 and beta_vae 40
    assert result["continuous_to_others"] == pytest.approx(2 / 30)
    assert result["perturbation_mode"] == "additive"
    assert result["code_change_share_mean"] == pytest.approx(0.3)
    assert result["code_change_share_smallest_move_mean"] == pytest.approx(0.2)
    text = discrete.describe(pd.DataFrame([result]))
    assert text[0].startswith("**Verdict: supported.**")
    assert (
        "Perturbations of z_e (additive) change the code in 30.0% of cases, 20.0% at the smallest "
        "move |v| = 1: small moves mostly snap back." in text[1]
    )
    unreported = discrete_comparison(runs.drop(columns=["code_change_share"]), n_boot=10)
    assert "change the code" not in discrete.describe(unreported)[1]


def test_discrete_without_discrete_ces_or_vq_vae():
    runs = study(("dsprites",), ("vae", "vq_vae")).drop(columns=["ces_discrete"])
    table = discrete_comparison(runs)
    assert table["n_runs"].tolist() == [0] and "ces_discrete" in table["note"].iloc[0]
    assert discrete.describe(table)[0].startswith("**Verdict: insufficient data.**")
    no_vq = discrete_comparison(study(("dsprites",), ("vae",)))
    assert no_vq.empty and "no VQ-VAE run" in discrete.describe(no_vq)[0]


def test_compute_returns_every_table_and_is_seeded():
    runs = study(("dsprites", "celeba"))
    resampling = Resampling(n_boot=200, n_perm=200, seed=1)
    first, second = compute(runs, resampling), compute(runs, resampling)
    for stem, table in first.tables().items():
        assert len(table) > 0, stem
        pd.testing.assert_frame_equal(table, second.tables()[stem])
