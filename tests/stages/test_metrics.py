"""The metrics stage's causal block: what enters each metric."""

from __future__ import annotations

import numpy as np
import pytest

from tests.interventions.line_codebook import SPACING, line_vq, near_middle_codes
from tests.metrics.suite_pool import SMALL_POOL
from vaecausal.analysis.aggregate import METRIC_GROUPS
from vaecausal.catalog import STANDARD_METRICS, standard_metric
from vaecausal.interventions.latent_perturbation import code_changes
from vaecausal.interventions.selection import unit_scale
from vaecausal.metrics.suite import METRICS, standard_metrics
from vaecausal.stages.metrics import declared_scores, effect_metrics, vq_intervention_metrics


def test_specificity_leaves_out_factors_with_a_single_value():
    # Latent 0 moves factors 0 and 2 equally; factor 1 has one value (a subsample), so nothing
    # can move it. Over the factors that vary, latent 0 is as unspecific as can be (S = 0).
    effects = {
        "pixel_effect_norms": np.ones((2, 2, 3)),
        "factor_effect": np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.9]]),
    }
    varying = np.array([True, False, True])
    causal = effect_metrics(effects, "", np.array([True, True]), 1, varying)
    assert causal["specificity_per_latent"] == pytest.approx([0.0, 1.0], abs=1e-12)
    counted_all = effect_metrics(effects, "", np.array([True, True]), 1, np.ones(3, bool))
    assert counted_all["specificity_per_latent"][0] == pytest.approx(1 - np.log(2) / np.log(3))


def _direct_code_change_counts(z_e: np.ndarray, values: list[float]) -> np.ndarray:
    """Per value, how many (image, slot) moves by v std land nearer another code of the line."""
    codebook = SPACING * np.arange(16)
    std = z_e.std(0, ddof=1)[:, 0]
    counts = np.zeros(len(values), dtype=int)
    for b, i, k in np.ndindex(len(z_e), z_e.shape[1], len(values)):
        before = np.abs(z_e[b, i, 0] - codebook).argmin()
        after = np.abs(z_e[b, i, 0] + values[k] * std[i] - codebook).argmin()
        counts[k] += after != before
    return counts


def test_reported_code_change_shares_match_a_direct_count():
    model, z_e = line_vq(), near_middle_codes(12)
    values = [-3.0, -0.3, 0.0, 0.3, 3.0]
    effects = {
        "code_changed": code_changes(model, z_e, values, "additive"),
        "values": np.asarray(values),
        "perturbation_mode": np.asarray("additive"),
        "swap.fallback": np.array([False, True, True]),
    }
    reported = vq_intervention_metrics(effects)
    counts = _direct_code_change_counts(z_e, values)
    cases = 12 * 3
    assert 0 < counts[1] < cases  # a move of 0.3 std: some snap back, some do not
    assert reported["code_change_share_per_value"] == pytest.approx(counts / cases)
    assert reported["code_change_share"] == pytest.approx(counts.sum() / (cases * len(values)))
    assert reported["smallest_move"] == pytest.approx(0.3)
    assert reported["code_change_share_smallest_move"] == pytest.approx(
        (counts[1] + counts[3]) / (2 * cases)
    )
    assert reported["vq_perturbation_mode"] == "additive"
    assert reported["swap_slots_with_fallback"] == 2


def test_a_grid_without_a_move_has_no_smallest_move_share():
    effects = {
        "code_changed": np.zeros((2, 3, 1), dtype=bool),
        "values": np.array([0.0]),
        "perturbation_mode": np.asarray("set"),
        "swap.fallback": np.zeros(3, dtype=bool),
    }
    reported = vq_intervention_metrics(effects)
    assert reported["smallest_move"] is None and reported["code_change_share_smallest_move"] is None


def test_a_sum_over_a_random_subset_of_units_is_scaled_to_the_layer():
    effects = {"patched_units.enc": np.arange(0, 32, 4), "hook_units.enc": np.asarray(32)}
    assert unit_scale(effects, "enc") == 4.0
    # arrays from before subsets: every unit was patched
    assert unit_scale({"mediation.nie.enc": np.ones((8, 3))}, "enc") == 1.0


def test_every_standard_metric_declares_exactly_the_values_it_writes_to_metrics_json():
    """Each metric of the suite has one catalog entry, and every value it writes (under its
    metrics.json name) is declared there: a column, which reaches the tables, or a diagnostic."""
    assert [m.name for m in STANDARD_METRICS] == list(METRICS)
    codes, factors, settings = SMALL_POOL
    for name in METRICS:
        written = declared_scores(name, standard_metrics(codes, factors, settings, metrics=[name]))
        assert set(written) == standard_metric(name).keys, name
    standard = METRIC_GROUPS["Disentanglement (standard scores)"]
    assert list(standard) == [c.key for m in STANDARD_METRICS for c in m.columns]


def test_a_standard_metric_without_a_declaration_is_refused_naming_where_to_declare_it():
    with pytest.raises(ValueError, match=r"'toy'.*catalog.py STANDARD_METRICS"):
        declared_scores("toy", {"toy_score": 0.5})
    with pytest.raises(ValueError, match=r"'mig' writes mig_extra.*neither as a column"):
        declared_scores("mig", {"mig": 0.5, "mig_extra": 1.0})
