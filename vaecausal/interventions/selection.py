"""Which latents and units the manipulations look at: all of them by default, fewer where a model
is too large to analyse whole in the time a user has (a diffusers VAE has 256 latents and
thousands of encoder units).

- Latents (``interventions.latents``): ``all``; ``active``, the latents whose KL to the prior
  exceeds ``metrics.active_kl_threshold``; ``top_kl``, the ``top_k`` active latents of largest
  KL. A latent not analysed is not perturbed and not patched in the decoder; its effect arrays
  hold NaN, and CES, specificity and modularity average over the active latents analysed, as
  mediation's outcome reads them alone. Encoder patching (circuits) still measures the whole
  code. ``active`` leaves CES, specificity and modularity as they were (they average over the
  active latents anyway); ``top_kl`` makes them means over the chosen latents, which the run
  records. A discrete model has no KL: every slot is analysed.
- Units (``interventions.patching.max_units``): a hook point with more units than that has a
  random subset of them patched in activation patching and mediation, seeded by the hook
  point's name. Shares of units (poly/monosemantic) are then estimated on the subset, and sums
  over units scaled up to the layer by units / patched units (unbiased for a uniform subset; the
  metrics stage's ``unit_scale``). Circuits take the top share of each layer's patched units, so
  a layer counts in circuit overlap with its patched units, not its width: a different weighting
  of the layers, recorded with the indices beside the arrays.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from vaecausal.interventions import effects as keys

LATENT_SELECTIONS = ("all", "active", "top_kl")


@dataclass(frozen=True)
class LatentSelection:
    """The analysed latents (a mask over all d) and how they were chosen, in words."""

    analysed: np.ndarray
    description: str


def analysed_latents(
    kl: np.ndarray, active: np.ndarray, settings: Mapping[str, Any]
) -> LatentSelection:
    """The latents the decoder-side manipulations perturb, from ``interventions.latents``
    (``mode`` one of ``LATENT_SELECTIONS``, ``top_k``) and each latent's KL and activity."""
    mode, d = settings["mode"], len(active)
    if mode not in LATENT_SELECTIONS:
        raise ValueError(f"interventions.latents.mode {mode!r} is not one of {LATENT_SELECTIONS}")
    if mode == "all":
        return LatentSelection(np.ones(d, dtype=bool), f"all {d} latents")
    if np.isnan(kl).all():  # a discrete model: no KL, every slot active
        return LatentSelection(
            np.ones(d, dtype=bool), f"all {d} slots (a discrete model has no KL)"
        )
    if mode == "active":
        return LatentSelection(active.copy(), f"the {int(active.sum())} active latents of {d}")
    top_k = int(settings["top_k"])
    order = [i for i in np.argsort(-np.nan_to_num(kl, nan=-np.inf), kind="stable") if active[i]]
    chosen = np.zeros(d, dtype=bool)
    chosen[order[:top_k]] = True
    return LatentSelection(
        chosen,
        f"the {int(chosen.sum())} active latents of largest KL (top_k {top_k}) of {d}",
    )


def patched_units(n_units: int, max_units: int | None, seed: int, hook: str) -> np.ndarray:
    """Sorted indices of the units of hook point ``hook`` that are patched: every unit, or a
    random ``max_units`` of them drawn with ``seed`` and the hook point's name (so choosing other
    hook points leaves this one's subset as it was)."""
    if max_units is None or n_units <= max_units:
        return np.arange(n_units)
    rng = np.random.default_rng([seed, zlib.crc32(hook.encode())])
    return np.sort(rng.choice(n_units, size=max_units, replace=False))


def spread(values: np.ndarray, chosen: np.ndarray, d: int, axis: int) -> np.ndarray:
    """``values`` with one entry per chosen latent on ``axis`` put back among all ``d`` latents,
    NaN for the others."""
    shape = list(values.shape)
    shape[axis] = d
    full = np.full(shape, np.nan, dtype=np.result_type(values.dtype, np.float32))
    index = [slice(None)] * len(shape)
    index[axis] = chosen
    full[tuple(index)] = values
    return full


def unit_scale(effects: Mapping[str, np.ndarray], name: str) -> float:
    """Encoder hook point ``name``'s units over those patched: the factor that takes a sum over
    a random subset of units to the layer's (``interventions.patching.max_units``); 1 where
    every unit was patched (or, in arrays that predate subsets, is taken to have been)."""
    if keys.HOOK_UNITS + name not in effects:
        return 1.0
    return float(effects[keys.HOOK_UNITS + name]) / len(effects[keys.PATCHED_UNITS + name])
