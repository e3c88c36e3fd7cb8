"""What the manipulations of one model will cover (latents, units per hook point) and what that
costs (``plan``), decided once from the cached codes before any manipulation runs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from vaecausal.adapters.protocol import DiscreteAdapter, VAEAdapter, model_device
from vaecausal.data.loader import BatchGatherer
from vaecausal.interventions.decoder_effects import decode_batch, images_per_call
from vaecausal.interventions.hooks import unit_counts
from vaecausal.interventions.latent_perturbation import latent_perturbation, perturbation_mode
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.interventions.pairs import family_and_treatment_names
from vaecausal.interventions.plan import CostPlan, seconds_per_code, time_passes, workloads
from vaecausal.interventions.selection import LatentSelection, analysed_latents, patched_units
from vaecausal.interventions.workload import Design
from vaecausal.metrics.causal import latent_activity
from vaecausal.metrics.stability import resampling_weights
from vaecausal.models.device import place_network

PROBE_IMAGES = 32  # images of the timed probe batch


@dataclass(frozen=True)
class Scope:
    """The latents analysed, the units patched per hook point (indices), which latents are
    active, and the cost plan."""

    selection: LatentSelection
    active: np.ndarray
    units: dict[str, np.ndarray]
    plan: CostPlan


def intervention_scope(
    model: VAEAdapter,
    latents: np.ndarray,
    logvar: np.ndarray | None,
    eval_indices: np.ndarray,
    images: BatchGatherer,
    factors: np.ndarray,
    factor_names: Sequence[str],
    factor_sizes: Sequence[int],
    settings: Mapping[str, Any],
    split_seed: int,
    active_kl_threshold: float,
    categorical: Sequence[str] = (),
    oracle: FactorOracle | None = None,
    oracle_seconds: float = 0.0,
) -> Scope:
    """The scope of ``interventions`` ``settings`` on a model's cached evaluation codes; the
    probe batch is timed through ``oracle`` (an untrained one of the same shape where it is still
    to be trained, whose training is then ``oracle_seconds``)."""
    kl, active = latent_activity(latents, logvar, active_kl_threshold)
    selection = analysed_latents(kl, active, settings["latents"])
    probe = images.gather(eval_indices[:PROBE_IMAGES])
    counts = unit_counts(model, probe)
    max_units = settings["patching"]["max_units"]
    units = {
        name: patched_units(count, max_units, split_seed, name) for name, count in counts.items()
    }
    families, treatments = family_and_treatment_names(
        factors, factor_names, factor_sizes, categorical
    )
    design = Design(
        n_eval=len(latents),
        n_latents=latents.shape[1],
        decode_batch=decode_batch(settings, model),
        analysed=int(selection.analysed.sum()),
        analysed_active=int((selection.analysed & active).sum()),
        families=len(families),
        treatments=len(treatments),
        discrete=isinstance(model, DiscreteAdapter),
        hook_units=counts,
        patched_units={name: len(u) for name, u in units.items()},
        encoder_hooks=tuple(model.encoder_hooks),
        latent_selection=selection.description,
    )
    if oracle is None:
        oracle = place_network(FactorOracle(probe.shape[1], factor_sizes), model_device(model))
    oracle = oracle.eval()
    with torch.no_grad():
        passes = time_passes(model, probe, oracle)
    per_code = {
        "latent_perturbation": _perturbation_seconds(model, latents, settings, oracle, selection)
    }
    seconds = replace(passes, per_code=per_code)
    return Scope(
        selection,
        active,
        units,
        CostPlan(design, workloads(design, settings), seconds, oracle_seconds),
    )


def _perturbation_seconds(
    model: VAEAdapter,
    latents: np.ndarray,
    settings: Mapping[str, Any],
    oracle: FactorOracle,
    selection: LatentSelection,
) -> tuple[float, float]:
    """(fixed seconds, seconds per code) of latent perturbation: its first group of latents
    (those whose changes of one code fit a decoder call) timed as it runs, at a call's worth of
    codes, times the number of groups; nothing when no latent is analysed."""
    chosen = np.flatnonzero(selection.analysed)
    if not len(chosen):
        return 0.0, 0.0
    values, batch = list(settings["latent_values"]), decode_batch(settings, model)
    group = chosen[: max(1, (batch - 1) // len(values))]
    groups = math.ceil(len(chosen) / len(group))
    first = np.zeros(len(selection.analysed), dtype=bool)
    first[group] = True
    bootstrap = settings["bootstrap"]
    # two codes at least (a frame's spread needs two), a call's worth where there are enough
    codes = max(2, min(images_per_call(batch, len(group) * len(values)), len(latents) // 2))

    def perturb(k: int) -> object:
        return latent_perturbation(
            model,
            latents[:k],
            values,
            batch,
            oracle,
            mode=perturbation_mode(settings, model),
            weights=resampling_weights(k, bootstrap["replicates"], bootstrap["seed"]),
            analysed=first,
        )

    fixed, per_code = seconds_per_code(perturb, codes)
    return groups * fixed, groups * per_code
