"""Latent perturbation of the analysed latents over the evaluation codes: pixel, factor and
decoder-unit effects, their bootstrap replicates, and for a discrete model which perturbations
moved a slot to another code."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from vaecausal.interventions import effects as keys
from vaecausal.interventions.decoder_effects import decode_batch
from vaecausal.interventions.effects import prefixed
from vaecausal.interventions.latent_perturbation import (
    code_changes,
    latent_perturbation,
    perturbation_mode,
)
from vaecausal.interventions.manipulations.base import Context, Manipulation, Output
from vaecausal.interventions.tidy import latent_names, matrix_rows
from vaecausal.interventions.workload import Design, Workload
from vaecausal.metrics.stability import modularity_replicates


def with_modularity_replicates(
    means: dict[str, np.ndarray], active: np.ndarray
) -> dict[str, np.ndarray]:
    """``means`` with the replicates' activation effects (R, rows, U per decoder layer: the
    latents or slots changed) reduced to the modularity of each replicate (R,), over the rows
    ``active`` marks: all the metrics stage needs of them."""
    deltas = prefixed(means, keys.REPLICATE_ACTIVATION_DELTA)
    kept = {k: v for k, v in means.items() if not k.startswith(keys.REPLICATE_ACTIVATION_DELTA)}
    return {**kept, keys.REPLICATE_MODULARITY: modularity_replicates(deltas, active)}


def perturbation_rows(
    prefix: str,
    layer: str,
    norms: np.ndarray,
    means: dict[str, np.ndarray],
    values: list[float],
    factor_names: list[str],
) -> list[pd.DataFrame]:
    """Tidy rows of a decoder intervention (latent perturbation, code swaps): pixel effect per
    value, factor effect, and each decoder layer's activation change."""
    d = norms.shape[1]
    rows = [
        matrix_rows(prefix, layer, "pixel_l2", norms.mean(0)[:, [k]], ["pixels"], value=v)
        for k, v in enumerate(values)
    ]
    rows.append(matrix_rows(prefix, layer, "factor_tv", means[keys.FACTOR_EFFECT], factor_names))
    rows += [
        matrix_rows(prefix, name, "activation_change", delta.T, latent_names(d))
        for name, delta in prefixed(means, keys.ACTIVATION_DELTA).items()
    ]
    return rows


def _code_changes(context: Context, values: list[float]) -> Output:
    """Whether each perturbation moved slot i to another code: per (code, slot, value) in the
    arrays, per slot and value in the table."""
    model = context.model
    changed = code_changes(
        model, context.latents, values, perturbation_mode(context.settings, model)
    )
    context.log(f"perturbations that change the code: {changed.mean():.1%}")
    share = changed.mean(0)  # (d, V)
    rows = [
        matrix_rows(
            "latent_perturbation", "latent", "code_change_share", share[:, [k]], ["code"], value=v
        )
        for k, v in enumerate(values)
    ]
    return Output({keys.CODE_CHANGED: changed}, rows)


def run(context: Context) -> Output:
    """Latent perturbation of the analysed latents; the modularity replicates over those of
    them that are active."""
    model, settings, analysed = context.model, context.settings, context.analysed
    values = list(settings["latent_values"])
    mode = perturbation_mode(settings, model)
    n, d = context.latents.shape[:2]
    context.log(
        f"latent perturbation ({mode}): {n} codes x {int(analysed.sum())} of {d} latents x "
        f"{len(values)} values"
    )
    norms, means = latent_perturbation(
        model,
        context.latents,
        values,
        decode_batch(settings, model),
        context.oracle,
        mode=mode,
        weights=context.weights,
        analysed=analysed,
    )
    # the replicates' activation effects are over the analysed latents alone
    means = with_modularity_replicates(means, context.active[analysed])
    out = Output(
        {
            keys.PIXEL_EFFECT_NORMS: norms,
            keys.VALUES: np.asarray(values),
            keys.PERTURBATION_MODE: np.asarray(mode),
            **means,
        },
        perturbation_rows(
            "latent_perturbation", "latent", norms, means, values, context.factor_names
        ),
    )
    if context.discrete:
        changes = _code_changes(context, values)
        out.arrays.update(changes.arrays)
        out.rows += changes.rows
    return out


def workload(design: Design, settings: Mapping[str, Any]) -> Workload:
    """n (G + m V) decoder and oracle passes: each code with its changes, in G groups of
    latents whose changes fit a decoder call; timed as it runs, per evaluation code."""
    n, m, values = design.n_eval, design.analysed, len(settings["latent_values"])
    groups = math.ceil(m / max(1, (design.decode_batch - 1) // values))
    perturbed = n * (groups + m * values)
    return Workload("latent_perturbation", decoder=perturbed, oracle=perturbed, codes=n)


LATENT_PERTURBATION = Manipulation(
    "latent_perturbation",
    run,
    workload=workload,
    shrinks="evaluation.n_eval, interventions.latent_values, "
    "interventions.latents (mode active or top_kl with top_k)",
)
