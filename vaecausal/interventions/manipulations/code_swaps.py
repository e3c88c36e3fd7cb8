"""Code swaps of a discrete model: each slot set to its most used other codes, the effects
measured as latent perturbation measures them (arrays under ``swap.``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaecausal.interventions import effects as keys
from vaecausal.interventions.code_swaps import code_swap_effects
from vaecausal.interventions.decoder_effects import decode_batch
from vaecausal.interventions.manipulations.base import Context, Manipulation, Output
from vaecausal.interventions.manipulations.latent_perturbation import (
    perturbation_rows,
    with_modularity_replicates,
)
from vaecausal.interventions.workload import Design, Workload


def run(context: Context) -> Output:
    model, settings = context.model, context.settings
    assert context.codes is not None  # needs_codes
    norms, means, candidates = code_swap_effects(
        model,
        context.codes,
        settings["code_swaps"],
        decode_batch(settings, model),
        context.oracle,
        context.weights,
    )
    means = with_modularity_replicates(means, context.active)
    fallback = candidates.fallback.cpu().numpy()
    swaps = list(range(norms.shape[2]))
    context.log(
        f"code swaps: {norms.shape[1]} slots x {norms.shape[2]} codes, "
        f"{int(fallback.sum())} slot(s) filled up from the global ranking"
    )
    return Output(
        {
            keys.SWAP + keys.PIXEL_EFFECT_NORMS: norms,
            keys.SWAP_CANDIDATES: candidates.codes.cpu().numpy(),
            keys.SWAP_FALLBACK: fallback,
            **{keys.SWAP + k: v for k, v in means.items()},
        },
        perturbation_rows("code_swap", "code", norms, means, swaps, context.factor_names),
    )


def workload(design: Design, settings: Mapping[str, Any]) -> Workload:
    """n (1 + d S) decoder and oracle passes: each code and its swaps."""
    swaps = design.n_eval * (1 + design.n_latents * settings["code_swaps"])
    return Workload("code_swaps", decoder=swaps, oracle=swaps)


CODE_SWAPS = Manipulation(
    "code_swaps",
    run,
    workload=workload,
    discrete_only=True,
    needs_codes=True,
    shrinks="interventions.code_swaps, evaluation.n_eval",
)
