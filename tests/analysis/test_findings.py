"""The four findings' tables and verdicts on synthetic studies with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analysis.synthetic import ARCHITECTURES, study
from vaecausal.analysis.findings import Resampling, capacity, compute, ranking, tradeoff
from vaecausal.analysis.findings.capacity import capacity_table
from vaecausal.analysis.findings.ranking import (
    architecture_ranks,
    top_architectures,
    winners_by_metric,
)
from vaecausal.analysis.findings.tradeoff import (
    ALL_RUNS,
    CONTINUOUS_RUNS,
    POOLED,
    ces_dci_correlations,
)

FAST = {"n_boot": 500, "n_perm": 500}


def row(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.logical_and.reduce([table[k] == v for k, v in where.items()])
    (index,) = np.flatnonzero(mask)
    return table.iloc[index]


def test_tradeoff_rows_and_the_vq_vae_sensitivity_check():
    runs = study()
    table = ces_dci_correlations(runs, **FAST)
    assert len(table) == 2 * (5 + 1) * 2  # run sets x (datasets + pooled) x methods
    continuous = row(table, runs=CONTINUOUS_RUNS, dataset=POOLED, method="spearman")
    assert continuous["estimate"] < -0.8 and continuous["ci_high"] < 0
    assert continuous["n_runs"] == 75 and continuous["n_datasets"] == 5
    assert continuous["p_value"] == pytest.approx(1 / 501)
    everything = row(table, runs=ALL_RUNS, dataset=POOLED, method="pearson")
    assert everything["n_runs"] == 90 and everything["estimate"] > continuous["estimate"]
    text = "\n".join(tradeoff.describe(table))
    assert "verdict on these runs alone: supported" in text and "5 dataset(s)" in text


def test_tradeoff_verdicts_follow_the_sign_of_a_known_correlation():
    rng = np.random.default_rng(0)
    runs = pd.DataFrame(
        {
            "dataset": np.repeat(["a", "b"], 20),
            "dataset_label": np.repeat(["A", "B"], 20),
            "architecture": "vae",
            "dci_disentanglement": rng.random(40),
        }
    )
    for sign, word in ((-1, "supported"), (1, "contradicted")):
        runs["ces"] = sign * runs["dci_disentanglement"] + 0.1 * rng.standard_normal(40)
        verdict = tradeoff.describe(ces_dci_correlations(runs, **FAST))[0]
        assert verdict.startswith(f"**Verdict: {word}.**")
    runs["ces"] = rng.random(40)
    assert "not supported" in tradeoff.describe(ces_dci_correlations(runs, **FAST))[0]


def test_tradeoff_without_ces_is_insufficient_not_an_error():
    table = ces_dci_correlations(study().drop(columns=["ces"]), **FAST)
    assert table["estimate"].isna().all() and (table["note"] == "no run reports ces").all()
    assert tradeoff.describe(table)[0].startswith("**Verdict: insufficient data.**")


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


def known_winner(winner: str, margin: float = 0.5) -> pd.DataFrame:
    """A study where ``winner`` has the highest DCI and CES on every dataset by ``margin``."""
    runs = study(("dsprites", "3dshapes", "mpi3d"))
    best = runs["architecture"] == winner
    runs.loc[best, "dci_disentanglement"] += margin
    runs.loc[best, "ces"] += margin * 1000
    return runs


def test_ranking_finds_a_known_winner_and_calls_the_claim_contradicted():
    ranks = architecture_ranks(known_winner("dip_vae_ii"))
    assert len(ranks) == 2 * 3 * len(ARCHITECTURES)
    assert set(ranks.loc[ranks["architecture"] == "dip_vae_ii", "rank"]) == {1}
    top = top_architectures(ranks)
    assert (top["top"] == "dip_vae_ii").all() and top["clear"].all()
    assert (top["n_distinct_tops"] == 1).all() and not top["top_differs_across_datasets"].any()
    assert winners_by_metric(top) == {"ces": ["dip_vae_ii"], "dci_disentanglement": ["dip_vae_ii"]}
    assert ranking.describe(top)[0].startswith("**Verdict: contradicted.** dip_vae_ii is on top")


def test_ranking_ties_share_a_rank_and_changing_winners_support_the_claim():
    runs = study(("dsprites", "3dshapes"), ("vae", "beta_vae"), seeds=(0,))
    runs["dci_disentanglement"] = [0.5, 0.5, 0.2, 0.9]  # dsprites tie, then beta_vae on 3dshapes
    ranks = architecture_ranks(runs.drop(columns=["ces"]))
    assert ranks.loc[ranks["dataset"] == "dsprites", "rank"].tolist() == [1, 1]
    top = top_architectures(ranks)
    assert top["margin"].tolist() == [0.7, 0.0] and not top["clear"].any()
    assert top["tied_top"].isna().tolist() == [True, False]
    assert top["tied_top"].iloc[1] == "beta_vae, vae"
    # beta_vae tops 3dshapes and shares dsprites: only a tie keeps it from winning everywhere
    described = ranking.describe(top)
    assert described[0].startswith("**Verdict: insufficient data.**") and "shares" in described[0]
    assert "dSprites: a tie of beta_vae, vae" in "\n".join(described)
    assert top["n_distinct_tops"].tolist() == [2, 2]
    assert top["top_differs_across_datasets"].tolist() == [False, False]
    # the same when the sole winner elsewhere is not the alphabetically first of the tie
    runs["dci_disentanglement"] = [0.5, 0.5, 0.9, 0.2]
    top = top_architectures(architecture_ranks(runs.drop(columns=["ces"])))
    assert (
        top["top"].tolist() == ["vae", "beta_vae"] and not top["top_differs_across_datasets"].any()
    )
    assert ranking.describe(top)[0].startswith("**Verdict: insufficient data.**")
    runs["dci_disentanglement"] = [0.6, 0.5, 0.2, 0.9]
    top = top_architectures(architecture_ranks(runs))
    dci = top[top["metric"] == "dci_disentanglement"]
    assert dci["top"].tolist() == ["beta_vae", "vae"]  # 3dshapes, dsprites
    assert dci["top_differs_across_datasets"].tolist() == [True, True]
    assert ranking.describe(top)[0].startswith("**Verdict: supported.**")
    one_dataset = top_architectures(architecture_ranks(runs[runs["dataset"] == "dsprites"]))
    assert one_dataset["top_differs_across_datasets"].isna().all()


def test_ranking_with_every_top_place_shared_is_insufficient_data():
    runs = study(("dsprites", "3dshapes"), ("vae", "beta_vae"))
    runs["dci_disentanglement"] = 0.0  # e.g. every model collapsed
    runs["ces"] = 0.0
    top = top_architectures(architecture_ranks(runs))
    assert top["tied_top"].notna().all()
    assert ranking.describe(top)[0].startswith("**Verdict: insufficient data.** Every top place")


def test_compute_returns_every_table_and_is_seeded():
    runs = study(("dsprites", "celeba"))
    resampling = Resampling(n_boot=200, n_perm=200, seed=1)
    first, second = compute(runs, resampling), compute(runs, resampling)
    for stem, table in first.tables().items():
        assert len(table) > 0, stem
        pd.testing.assert_frame_equal(table, second.tables()[stem])
