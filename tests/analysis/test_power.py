"""The study-design calculator: layouts read off the shipped studies, each finding's false rates
and power through the verdict code at a few hundred draws (``vaecausal-power`` runs the full
numbers), and the command line's errors."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from vaecausal import power_cli
from vaecausal.analysis import power
from vaecausal.analysis.power import Assumptions, layout
from vaecausal.config import load_study

REPO = Path(__file__).resolve().parents[2]
FAST = Assumptions(draws=300)


def silent(_: str) -> None:
    return None


@pytest.fixture(scope="module")
def shipped() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def mc_bound(rate: float, draws: int) -> float:
    """``rate`` plus three Monte-Carlo standard errors: several rates are checked per test."""
    return rate + 3 * math.sqrt(rate * (1 - rate) / draws)


def test_layouts_read_the_planned_runs(shipped):
    findings = layout(load_study(shipped, "findings"))
    assert findings.datasets == ("dsprites_procedural_small", "3dshapes_procedural_small")
    assert len(findings.reference) == 6 and findings.discrete == {"vq_vae"}
    assert len(findings.population) == 10 and "vq_vae" not in findings.population
    assert findings.runs("3dshapes_procedural_small", "vq_vae") == 5
    assert findings.runs("3dshapes_procedural_small", "beta_vae_b8") == 1
    assert findings.runs("3dshapes_procedural_small", "vae_d3") == 0
    # dSprites' reduced grid varies 5 factors: 5/10, 5/5 and 5/3 factors per latent
    (levels,) = findings.sweeps.values()
    assert [round(r, 2) for r, _, _ in levels] == [1.67, 1.0, 0.5]
    assert [(v, b) for _, v, b in levels] == [(3, 3), (3, 3), (5, 5)]
    paper = layout(load_study(shipped, "paper"))
    assert len(paper.datasets) == 5 and not paper.sweeps and len(paper.population) == 5


def test_the_findings_design_meets_its_targets_for_no_single_winner(shipped):
    """(iii) at the findings study's layout (6 architectures, 2 datasets, 5 seeds): worst false
    verdicts within 2.5% over the nulls (a noisier architecture, dataset, or architecture on one
    dataset only), and 80% power at a gap under 5 seed SDs. Measured at 1000 draws: worst 1.2%
    and 0.8%; 80% power at 4.5 SDs (supported) and 4.7 (contradicted)."""
    plan = layout(load_study(shipped, "findings"))
    rows = power.ranking_power(plan, FAST, silent)
    for row in rows:
        assert row.null_supported <= mc_bound(0.025, 2 * FAST.draws)
        assert row.null_contradicted <= mc_bound(0.025, 2 * FAST.draws)
        assert row.smallest_effect < 5.5 and row.power >= 0.8
        assert row.effect.startswith("gap (seed SDs)")


def test_the_paper_design_cannot_separate_three_seed_sds(shipped):
    """At the paper's layout (5 datasets, 3 seeds) the worst null stays near 2.5% and 80% power
    needs a gap of about 5.5 seed SDs (measured at 1000 draws: 5.5); 3 SDs is out of reach."""
    plan = layout(load_study(shipped, "paper"))
    supported = power.ranking_power(plan, FAST, silent)[0]
    assert supported.null_supported <= mc_bound(0.025, 2 * FAST.draws)
    assert 4.0 < supported.smallest_effect < 7.0


def test_the_trade_off_over_the_model_population_has_power_at_minus_point_eight(shipped):
    """(i) at the findings layout: 10 continuous models on 2 datasets. Measured at 1000 draws:
    false 'supported' at most 5.3%, 'contradicted' 2.9% (Monte-Carlo SE 0.5%), 80% power at
    rho = -0.79 with the models' effects shared by both datasets (the paper's five architectures
    on five datasets: -0.94)."""
    (row,) = power.tradeoff_power(layout(load_study(shipped, "findings")), FAST, silent)
    assert row.null_supported <= mc_bound(0.05, 2 * FAST.draws)
    assert row.null_contradicted <= mc_bound(0.025, 2 * FAST.draws)
    assert -0.9 <= row.smallest_effect < -0.6


def test_five_architectures_on_one_dataset_cannot_reach_rho_minus_point_eight(shipped):
    (row,) = power.tradeoff_power(layout(load_study(shipped, "default")), FAST, silent)
    assert math.isinf(row.smallest_effect) and row.power < 0.8


def test_the_sweep_holds_its_level_and_finds_a_falling_ratio(shipped):
    """(ii) at the findings sweep (3 latent sizes, 3-5 seeds). Measured at 1000 draws: worst
    false 'supported' 2.5% and 'contradicted' 3.3% (a VAE cell 10x as noisy), 80% power at a
    slope of -3.1 seed SDs of log DCI per unit of factors/latent."""
    (row,) = power.capacity_power(layout(load_study(shipped, "findings")), FAST, silent)
    assert row.null_supported <= mc_bound(0.05, 2 * FAST.draws)
    assert -5.0 < row.smallest_effect < 0


def test_a_study_without_a_sweep_or_vq_vae_says_why(shipped):
    plan = layout(load_study(shipped, "capacity_sweep"))
    (discrete,) = power.discrete_power(plan, FAST, silent)
    assert np.isnan(discrete.smallest_effect) and discrete.note == "no VQ-VAE in the study"
    (capacity,) = power.capacity_power(layout(load_study(shipped, "default")), FAST, silent)
    assert "without a sweep the finding is always inconclusive" in capacity.note


def test_the_discrete_limitation_keeps_its_level_at_the_margin(shipped):
    rows = power.discrete_power(layout(load_study(shipped, "findings")), FAST, silent)
    for row in rows:
        assert row.null_supported <= mc_bound(0.025, 2 * FAST.draws)
        assert row.null_contradicted <= mc_bound(0.025, 2 * FAST.draws)
    assert rows[0].smallest_effect < 0.1 < rows[1].smallest_effect


def test_the_command_prints_every_finding_and_writes_csv(tmp_path, capsys):
    out = tmp_path / "power.csv"
    code = power_cli.main(
        ["--study", "default", "--config", str(REPO / "config.yaml"), "--draws", "100"]
        + ["--out", str(out)]
    )
    printed = capsys.readouterr()
    assert code == 0 and "# Study 'default'" in printed.out
    for finding in ("(i)", "(ii)", "(iii)", "(iv)"):
        assert finding in printed.out
    assert "done in" in printed.err and out.read_text().startswith("finding,")


def test_an_unknown_study_or_one_without_runs_exits_with_its_name(shipped, monkeypatch):
    with pytest.raises(SystemExit) as unknown:
        power_cli.main(["--study", "nope", "--config", str(REPO / "config.yaml")])
    assert "vaecausal-power: study 'nope'" in str(unknown.value.code)
    # the schema refuses a study without architectures; a Study built without any still fails
    empty = dataclasses.replace(load_study(shipped, "default"), name="empty", architectures={})
    with pytest.raises(ValueError, match="study 'empty' plans no run"):
        layout(empty)
    monkeypatch.setattr(power_cli, "load_study", lambda config, name: empty)
    with pytest.raises(SystemExit) as planless:
        power_cli.main(["--study", "empty", "--config", str(REPO / "config.yaml")])
    assert "vaecausal-power: study 'empty'" in str(planless.value.code)
    assert "plans no run" in str(planless.value.code)


def test_power_at_given_effects_rises_with_the_effect(shipped, capsys):
    plan = layout(load_study(shipped, "findings"))
    assume = Assumptions(draws=200)
    assert power.rho_power(plan, assume, -0.9) > power.rho_power(plan, assume, -0.3)
    assert power.gap_power(plan, assume, 8.0, "supported") > 0.9
    assert power.gap_power(plan, assume, 0.0, "supported") < 0.05
    code = power_cli.main(
        ["--study", "findings", "--config", str(REPO / "config.yaml"), "--draws", "100"]
        + ["--at-rho", "-0.6", "--at-gap", "5", "--at-slope", "-2"]
    )
    printed = capsys.readouterr().out
    assert code == 0 and "Power at the effects given:" in printed
    assert "- (i) rho = -0.6 across models: 'supported' in" in printed
    assert "- (iii) gap 5 seed SDs: 'supported' in" in printed
    assert "- (ii) slope -2 seed SDs on dsprites_procedural_small" in printed
