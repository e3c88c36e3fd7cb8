"""The verdicts table: each row carries the verdict its finding's section states, with the
estimate, interval, p-value and runs that verdict rests on."""

from __future__ import annotations

import pandas as pd

from tests.analysis.synthetic import study
from tests.analysis.test_finding_capacity import sweep_runs
from vaecausal.analysis.coverage import Available
from vaecausal.analysis.findings import Resampling, compute
from vaecausal.analysis.findings.summary import render
from vaecausal.analysis.findings.verdicts import glance

FAST = Resampling(n_boot=300, n_perm=300, seed=0)


def _section_verdicts(markdown: str) -> list[str]:
    """The verdict word of each finding's section of findings.md, in order."""
    return [
        line.split("**Verdict: ")[1].split(".**")[0]
        for line in markdown.splitlines()
        if line.startswith("**Verdict: ")
    ]


def test_a_study_with_every_effect_gives_the_sections_verdicts_and_their_numbers():
    # trade-off, VQ-VAE near zero and a latent-size sweep whose gap falls with factors/latent
    runs = pd.concat(
        [study(("dsprites", "3dshapes")), sweep_runs((0.1, 0.0, -0.1), dataset="sweep")],
        ignore_index=True,
    )
    findings = compute(runs, FAST)
    verdicts = findings.verdicts.set_index("finding")
    none = pd.DataFrame()
    available = Available(runs=runs, missing=none, unreadable=none, n_expected=len(runs))
    assert verdicts["verdict"].tolist() == _section_verdicts(
        render(findings, available, FAST, none)
    )
    trade = verdicts.loc["(i) CES–DCI trade-off"]
    assert trade["verdict"] == "supported" and trade["estimate"] < -0.8 and trade["p_value"] < 0.05
    bottleneck = verdicts.loc["(ii) β-VAE capacity bottleneck"]
    assert bottleneck["verdict"] == "supported"
    assert bottleneck["ci_high"] < 0 and bottleneck["estimate"] < 0
    assert bottleneck["n_runs"] == 18  # the sweep's 3 sizes x 2 families x 3 seeds
    vq = verdicts.loc["(iv) Discrete limitation of VQ-VAE"]
    assert vq["verdict"] == "supported" and vq["ci_high"] < 0.1
    assert vq["estimate"] == findings.discrete["continuous_to_others"].max()


def test_runs_without_an_effect_or_a_sweep_are_not_supported():
    runs = study(("dsprites",), architectures=("vae", "beta_vae", "factor_vae"), seeds=(0, 1))
    runs["ces"] = 1.0 + 0.01 * runs["seed"]  # CES unrelated to DCI
    verdicts = compute(runs, FAST).verdicts.set_index("finding")
    assert "supported" not in set(verdicts["verdict"])
    assert verdicts.loc["(ii) β-VAE capacity bottleneck", "detail"] == "no sweep"
    assert verdicts.loc["(iv) Discrete limitation of VQ-VAE", "verdict"] == "insufficient data"


def test_glance_shows_estimate_interval_p_and_runs():
    runs = pd.concat(
        [study(("dsprites",)), sweep_runs((0.1, 0.0, -0.1), dataset="sweep")], ignore_index=True
    )
    text = glance(compute(runs, FAST).verdicts)
    header, rule, *rows = text.splitlines()
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "finding",
        "verdict",
        "estimate [95% CI]",
        "p",
        "runs",
    ]
    assert len(rows) == 4
    assert "slope of log(β-VAE / VAE DCI) per unit of factors/latent: -0.1" in text


def test_a_contradicted_discrete_finding_shows_the_dataset_above_the_margin_and_its_p():
    runs = study(("dsprites", "3dshapes"))
    vq = runs["architecture"] == "vq_vae"
    runs.loc[vq, "ces"] *= 40  # VQ-VAE's continuous CES near the others', not near zero
    findings = compute(runs, FAST)
    row = findings.verdicts.set_index("finding").loc["(iv) Discrete limitation of VQ-VAE"]
    assert row["verdict"] == "contradicted"
    deciding = findings.discrete.loc[findings.discrete["p_above_margin"].idxmin()]
    assert row["p_value"] == deciding["p_above_margin"] < 0.0125
    assert row["estimate"] == deciding["continuous_to_others"] > 0.1
    assert row["p_of"] == "one-sided, ratio above the margin"
