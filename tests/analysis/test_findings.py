"""The four findings' tables and verdicts on synthetic studies with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analysis.synthetic import ARCHITECTURES, study
from vaecausal.analysis.findings import Resampling, compute, discrete, ranking, tradeoff
from vaecausal.analysis.findings.discrete import discrete_comparison
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
