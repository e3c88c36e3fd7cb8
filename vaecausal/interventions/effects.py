"""The names of the arrays in ``effects.npz``: the contract between the manipulations that write
them (``interventions.manipulations``, the intervene stage) and the stages that read them
(metrics, run figures). Writers and readers spell every key through this module, so a key is
renamed or added in one place.

Shapes: N evaluation codes, d latents (slots for a VQ-VAE), V latent values, K input pair
families, K' oracle factors, U units patched at a hook point, R bootstrap replicates, n pairs,
T mediation treatments, S code swaps per slot, M manipulations run. ``<hook>`` is a hook point
(``encoder.conv1``, ``decoder.fc1``, ...).

Scope, written by the stage before any manipulation:
    ``oracle_factors`` (K',) str: the oracle's factors, the columns of every factor effect.
    ``bootstrap.weights`` (R, N) int: how often replicate r draws code b; shared by every
        decoder metric's interval. ``bootstrap.seed`` (): their seed (pair replicates reuse it).
    ``analysed_latents`` (d,) bool: the latents perturbed; ``latent_selection`` () str: why.
    ``patched_units.<hook>`` (U,) int: the units patched; ``hook_units.<hook>`` (): how many
        the hook point has (sums over the patched units are scaled up by their ratio).

``latent_perturbation``:
    ``pixel_effect_norms`` (N, d, V): L2 norm of the image change of each code, latent, value.
    ``values`` (V,): the latent values; ``perturbation_mode`` () str: additive or absolute.
    ``factor_effect`` (d, K'): mean TV distance of the oracle's factor predictions.
    ``activation_delta.<hook>`` (d, U) per decoder hook: mean change of each unit.
    ``replicates.factor_effect`` (R, d, K'): ``factor_effect`` per bootstrap replicate.
    ``replicates.modularity`` (R,): the modularity of each replicate's activation effects.
    ``code_changed`` (N, d, V) bool, discrete models: whether the perturbation moved the slot
        to another code.

``input_manipulation``:
    ``pair_families`` (K,) str and ``input_effect`` (K, d): the latent shift of each family's
        pairs in units of the latent's spread (the effect matrix A).

``activation_patching``:
    ``patching.<hook>``: restoration ratio of each patched unit, (U, K) per encoder hook (per
        pair family), (U, d) per decoder hook (per latent, NaN for latents not patched).
    ``restoration_pairs.moved.<hook>`` (U, K, n) float32 and ``restoration_pairs.totals``
        (K, n): each encoder pair's restored and total movement (for the overlap interval).
    ``encoder_hooks``, ``decoder_hooks`` str: the hook points in order; ``patching_pairs`` ().

``causal_mediation``:
    ``mediation.nie.<hook>``, ``mediation.nde.<hook>`` (U, T): natural indirect and direct
        effect of each encoder unit per treatment.
    ``mediation.pair_unit_nie_sums.<hook>`` (T, n) and ``mediation.pair_effects`` (T, n): per
        measuring pair, the NIE summed over units and the total effect; NaN past a
        treatment's own pairs.
    ``mediation.treatments`` (T,) str, ``mediation.outcome_latent`` (T,) int,
        ``mediation.outcome_weights`` (T, d): what was moved and what was measured.
    ``mediation.total_effect``, ``mediation.total_effect_se``, ``mediation.total_effect_p``,
        ``mediation.pairs`` (T,): TE, its standard error, its t-test and its pair count.

``code_swaps``, discrete models: ``swap.`` before ``latent_perturbation``'s decoder arrays
    (``swap.pixel_effect_norms`` (N, d, S), ``swap.factor_effect``, ``swap.activation_delta.*``,
    ``swap.replicates.*``), plus ``swap.candidates`` (d, S + 1) int: each slot's codes, and
    ``swap.fallback`` (d,) bool: slots filled up from the global ranking.

``timings`` (M,) seconds and ``timing_names`` (M,) str: each manipulation run, in order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

ORACLE_FACTORS = "oracle_factors"
BOOTSTRAP_WEIGHTS = "bootstrap.weights"
BOOTSTRAP_SEED = "bootstrap.seed"
ANALYSED_LATENTS = "analysed_latents"
LATENT_SELECTION = "latent_selection"
PATCHED_UNITS = "patched_units."
HOOK_UNITS = "hook_units."

PIXEL_EFFECT_NORMS = "pixel_effect_norms"
VALUES = "values"
PERTURBATION_MODE = "perturbation_mode"
FACTOR_EFFECT = "factor_effect"
ACTIVATION_DELTA = "activation_delta."
REPLICATES = "replicates."
REPLICATE_ACTIVATION_DELTA = REPLICATES + ACTIVATION_DELTA
REPLICATE_FACTOR_EFFECT = REPLICATES + FACTOR_EFFECT
REPLICATE_MODULARITY = REPLICATES + "modularity"
CODE_CHANGED = "code_changed"

PAIR_FAMILIES = "pair_families"
INPUT_EFFECT = "input_effect"

PATCHING = "patching."
RESTORATION_MOVED = "restoration_pairs.moved."
RESTORATION_TOTALS = "restoration_pairs.totals"
ENCODER_HOOKS = "encoder_hooks"
DECODER_HOOKS = "decoder_hooks"
PATCHING_PAIRS = "patching_pairs"

MEDIATION = "mediation."
PAIR_UNIT_NIE_SUMS = MEDIATION + "pair_unit_nie_sums."
TREATMENTS = MEDIATION + "treatments"
OUTCOME_LATENT = MEDIATION + "outcome_latent"
OUTCOME_WEIGHTS = MEDIATION + "outcome_weights"
PAIR_EFFECTS = MEDIATION + "pair_effects"
TOTAL_EFFECT = MEDIATION + "total_effect"
TOTAL_EFFECT_SE = MEDIATION + "total_effect_se"
TOTAL_EFFECT_P = MEDIATION + "total_effect_p"
MEDIATION_PAIRS = MEDIATION + "pairs"

SWAP = "swap."
SWAP_CANDIDATES = SWAP + "candidates"
SWAP_FALLBACK = SWAP + "fallback"

TIMINGS = "timings"
TIMING_NAMES = "timing_names"


def patching_key(hook: str) -> str:
    """Restoration ratios of ``hook``'s patched units."""
    return PATCHING + hook


def mediation_key(kind: str, hook: str) -> str:
    """``kind`` (``nie`` or ``nde``) of ``hook``'s units per treatment."""
    return f"{MEDIATION}{kind}.{hook}"


def prefixed(effects: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays under ``prefix``, keyed by the rest of their name (a hook point, mostly)."""
    return {k.removeprefix(prefix): v for k, v in effects.items() if k.startswith(prefix)}
