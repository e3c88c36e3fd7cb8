"""Causal mediation: each directed treatment (a factor moving up, a categorical contrast) on an
outcome latent, mediated by every patched encoder unit; the total effect with its test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from vaecausal.adapters.protocol import model_device
from vaecausal.interventions import effects as keys
from vaecausal.interventions.manipulations.base import Context, Manipulation, Output
from vaecausal.interventions.mediation import ALPHA, mediation_analysis
from vaecausal.interventions.pairs import mediation_pairs
from vaecausal.interventions.tidy import matrix_rows
from vaecausal.interventions.workload import Design, Workload, input_pair_count, split_units


def padded_rows(rows: list[np.ndarray]) -> np.ndarray:
    """Per-pair values of every treatment as one (T, n_max) array, NaN past a treatment's own
    pairs (treatments may have different numbers of measuring pairs)."""
    out = np.full((len(rows), max((len(r) for r in rows), default=0)), np.nan)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def run(context: Context) -> Output:
    model, units = context.model, context.units
    treatments = mediation_pairs(
        context.images,
        context.factors,
        context.factor_names,
        context.factor_sizes,
        context.pair_rows,
        context.split_seed,
        context.categorical,
    )
    n_measure = context.settings["mediation"]["n_pairs"]
    results = mediation_analysis(
        model,
        treatments,
        torch.as_tensor(context.latents, device=model_device(model)),
        context.active & context.analysed,
        n_measure,
        units,
    )
    names = [r.name for r in results]
    out = Output()
    for name in model.encoder_hooks:
        for kind in ("nie", "nde"):
            matrix = np.stack([getattr(r, f"{kind}_units")[name] for r in results], axis=1)
            out.arrays[keys.mediation_key(kind, name)] = matrix
            out.rows.append(matrix_rows("causal_mediation", name, kind, matrix, names, units[name]))
    totals = [r.total_effect for r in results]
    for name in model.encoder_hooks:
        out.arrays[keys.PAIR_UNIT_NIE_SUMS + name] = padded_rows(
            [r.pair_unit_nie_sums[name] for r in results]
        )
    p = np.array([t.p_value for t in totals])
    out.arrays.update(
        {
            keys.TREATMENTS: np.asarray(names),
            keys.OUTCOME_LATENT: np.array([r.outcome_latent for r in results]),
            keys.OUTCOME_WEIGHTS: np.stack([r.outcome_weights for r in results]),
            keys.PAIR_EFFECTS: padded_rows([r.pair_effects for r in results]),
            keys.TOTAL_EFFECT: np.array([t.value for t in totals]),
            keys.TOTAL_EFFECT_SE: np.array([t.standard_error for t in totals]),
            keys.TOTAL_EFFECT_P: p,
            keys.MEDIATION_PAIRS: np.array([t.n_pairs for t in totals]),
        }
    )
    for quantity, attribute in (("te", "value"), ("te_se", "standard_error")):
        values = np.array([[getattr(t, attribute) for t in totals]])
        out.rows.append(matrix_rows("causal_mediation", "input", quantity, values, names, [None]))
    context.log(
        f"causal mediation: {len(p)} treatments x {n_measure} pairs; TE told apart "
        f"from noise (p < {ALPHA}) in {int((p < ALPHA).sum())}"
    )
    return out


def workload(design: Design, settings: Mapping[str, Any]) -> Workload:
    """At most 2 T I encoder passes (the outcome is chosen on the pairs that share no image with
    a measuring one) and T M (2 U_h + 2) resumed from each encoder hook point; with no latent to
    carry an outcome, one image per treatment (for the shapes)."""
    if not design.analysed_active:
        return Workload("causal_mediation", encoder=design.treatments)
    pairs = input_pair_count(design, settings)
    measuring = min(settings["mediation"]["n_pairs"], pairs // 2)
    encoder, _ = split_units(design)
    units = design.patched_units
    return Workload(
        "causal_mediation",
        encoder=design.treatments * 2 * pairs,
        resumed={h: design.treatments * measuring * (2 * units[h] + 2) for h in encoder},
    )


CAUSAL_MEDIATION = Manipulation(
    "causal_mediation",
    run,
    workload=workload,
    shrinks="interventions.mediation.n_pairs, interventions.input_pairs, "
    "interventions.patching.max_units, fewer hook points",
)
