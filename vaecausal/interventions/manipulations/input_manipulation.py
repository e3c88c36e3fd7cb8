"""Input manipulation: how far each factor's symmetric image pairs move each latent (the effect
matrix A)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vaecausal.interventions import effects as keys
from vaecausal.interventions.input_manipulation import input_effects
from vaecausal.interventions.manipulations.base import Context, Manipulation, Output
from vaecausal.interventions.tidy import matrix_rows
from vaecausal.interventions.workload import Design, Workload, input_pair_count


def run(context: Context) -> Output:
    families = context.families
    names = [f.name for f in families]
    effect = input_effects(context.model, families, context.latents)
    context.log(
        f"input manipulation: {len(families)} families of {families[0].control.shape[0]} pairs"
    )
    return Output(
        {keys.PAIR_FAMILIES: np.asarray(names), keys.INPUT_EFFECT: effect},
        [matrix_rows("input_manipulation", "latent", "latent_shift_std", effect.T, names)],
    )


def workload(design: Design, settings: Mapping[str, Any]) -> Workload:
    """2 K I encoder passes: both images of every pair of each family."""
    pairs = input_pair_count(design, settings)
    return Workload("input_manipulation", encoder=2 * design.families * pairs)


INPUT_MANIPULATION = Manipulation(
    "input_manipulation", run, shrinks="interventions.input_pairs", workload=workload
)
