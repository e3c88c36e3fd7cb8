"""The manipulation types, in the order the intervene stage runs them.

Each entry is a ``base.Manipulation``: its name (the timing name in ``effects.npz``), which
models it applies to, the settings that shrink its cost, its image passes for the cost plan
and ``run(context) -> Output``. Adding
one: docs/extending.md#a-manipulation-type.
"""

from __future__ import annotations

from vaecausal.interventions.manipulations.activation_patching import ACTIVATION_PATCHING
from vaecausal.interventions.manipulations.base import Manipulation
from vaecausal.interventions.manipulations.causal_mediation import CAUSAL_MEDIATION
from vaecausal.interventions.manipulations.code_swaps import CODE_SWAPS
from vaecausal.interventions.manipulations.input_manipulation import INPUT_MANIPULATION
from vaecausal.interventions.manipulations.latent_perturbation import LATENT_PERTURBATION

MANIPULATIONS: tuple[Manipulation, ...] = (
    LATENT_PERTURBATION,
    INPUT_MANIPULATION,
    ACTIVATION_PATCHING,
    CAUSAL_MEDIATION,
    CODE_SWAPS,
)
