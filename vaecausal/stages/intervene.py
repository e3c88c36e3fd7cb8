"""Stage ``intervene``: the manipulation types on one trained model.

The scope is planned (or given), the shared ``Context`` built once, and every manipulation of
``interventions.manipulations.MANIPULATIONS`` that applies to the model runs in order, timed
(latent perturbation, input manipulation, activation patching, causal mediation, and code swaps
for a VQ-VAE). The evaluation codes come from the cache; nothing is re-encoded but the pairs.
Writes the tidy table as Parquet and every effect array as ``effects.npz`` (its keys:
``interventions.effects``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vaecausal.adapters.protocol import VAEAdapter, model_device
from vaecausal.adapters.saved import load_model
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_factors, read_meta
from vaecausal.interventions import effects as keys
from vaecausal.interventions.manipulations import MANIPULATIONS
from vaecausal.interventions.manipulations.base import Context, Manipulation
from vaecausal.interventions.oracle import (
    FactorOracle,
    OracleSettings,
    load_oracle,
    seconds_per_step,
)
from vaecausal.interventions.scope import PROBE_IMAGES, Scope, intervention_scope
from vaecausal.interventions.tidy import with_identity
from vaecausal.metrics.stability import resampling_weights
from vaecausal.models.device import choose_device
from vaecausal.models.host import prepare_host
from vaecausal.stages.logs import Log


@dataclass
class Results:
    """Effect arrays (for ``effects.npz``), tidy rows and seconds per manipulation."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    rows: list[pd.DataFrame] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, manipulation: Manipulation, context: Context) -> None:
        """Run ``manipulation`` on ``context``, timed; keep its arrays and rows. An array name
        another manipulation (or the scope) already wrote is refused: one would be lost."""
        started = time.perf_counter()
        output = manipulation.run(context)
        self.timings[manipulation.name] = time.perf_counter() - started
        taken = sorted(set(output.arrays) & set(self.arrays))
        if taken:
            raise ValueError(
                f"manipulation '{manipulation.name}' writes {', '.join(taken)}, already in "
                "effects.npz: give its arrays names of their own (interventions/effects.py)"
            )
        self.arrays.update(output.arrays)
        self.rows += output.rows


def run(model_path: Path, threads: int, **stage: Any) -> None:
    """The stage as a rule runs it: the model stored at ``model_path``, then ``intervene`` with
    the same keyword arguments (all but ``model``)."""
    prepare_host(threads)
    intervene(load_model(model_path, choose_device()), **stage)


def scope(
    model: VAEAdapter,
    latents_path: Path,
    prepared_dir: Path,
    settings: dict[str, Any],
    split_seed: int,
    active_kl_threshold: float,
    categorical: list[str],
    oracle: FactorOracle | OracleSettings,
) -> Scope:
    """The manipulations' scope and cost plan on the cached codes, the probe timed through the
    ``oracle``, or, given the settings of one still to be trained, with its training's time."""
    device = model_device(model)
    meta = read_meta(prepared_dir)
    with np.load(latents_path) as cached:
        latents, indices = cached["eval_latents"], cached["eval_indices"]
        logvar = cached["eval_logvar"] if "eval_logvar" in cached else None
    images = BatchGatherer(open_images(prepared_dir), device, resident=False)
    factors = read_factors(prepared_dir)
    trained, oracle_seconds = oracle, 0.0
    if isinstance(oracle, OracleSettings):
        sample = indices[:PROBE_IMAGES]
        step = seconds_per_step(
            BatchGatherer(np.asarray(open_images(prepared_dir)[np.sort(sample)]), device),
            factors[np.sort(sample)],
            meta.factor_sizes,
            oracle,
        )
        trained, oracle_seconds = None, step * oracle.steps
    return intervention_scope(
        model,
        latents,
        logvar,
        indices,
        images,
        factors,
        meta.factor_names,
        meta.factor_sizes,
        settings,
        split_seed,
        active_kl_threshold,
        categorical,
        trained,
        oracle_seconds,
    )


def intervene(
    model: VAEAdapter,
    latents_path: Path,
    oracle_path: Path,
    prepared_dir: Path,
    table_path: Path,
    arrays_path: Path,
    settings: dict[str, Any],
    split_seed: int,
    active_kl_threshold: float,
    categorical: list[str],
    identity: dict[str, object],
    log: Log,
    planned: Scope | None = None,
) -> None:
    """The stage's work on a model already loaded, in the ``planned`` scope (made here and its
    plan logged where none is given)."""
    device = model_device(model)
    oracle = load_oracle(oracle_path, device)
    meta = read_meta(prepared_dir)
    if planned is None:
        planned = scope(
            model,
            latents_path,
            prepared_dir,
            settings,
            split_seed,
            active_kl_threshold,
            categorical,
            oracle,
        )
        log("\n".join(planned.plan.lines()))
    with np.load(latents_path) as cached:
        latents, indices = cached["eval_latents"], cached["eval_indices"]
        codes = cached["eval_codes"] if "eval_codes" in cached else None
    bootstrap = settings["bootstrap"]
    # one set of replicates over the evaluation codes for every decoder metric
    weights = resampling_weights(len(latents), bootstrap["replicates"], bootstrap["seed"])
    out = Results(
        arrays={
            keys.ORACLE_FACTORS: np.asarray(meta.factor_names),
            keys.BOOTSTRAP_WEIGHTS: weights,
            keys.BOOTSTRAP_SEED: np.asarray(bootstrap["seed"]),
            keys.ANALYSED_LATENTS: planned.selection.analysed,
            keys.LATENT_SELECTION: np.asarray(planned.selection.description),
            **{keys.PATCHED_UNITS + name: u for name, u in planned.units.items()},
            **{
                keys.HOOK_UNITS + name: np.asarray(c)
                for name, c in planned.plan.design.hook_units.items()
            },
        }
    )
    context = Context(
        model=model,
        settings=settings,
        latents=latents,
        codes=codes,
        active=planned.active,
        analysed=planned.selection.analysed,
        units=planned.units,
        weights=weights,
        oracle=oracle,
        factor_names=meta.factor_names,
        factor_sizes=meta.factor_sizes,
        images=BatchGatherer(open_images(prepared_dir), device, resident=False),
        factors=read_factors(prepared_dir),
        pair_rows=indices[: settings["input_pairs"]],
        split_seed=split_seed,
        categorical=categorical,
        log=log,
    )
    for manipulation in MANIPULATIONS:
        if manipulation.applies(context):
            out.add(manipulation, context)

    out.arrays.update(
        {
            keys.TIMINGS: np.asarray(list(out.timings.values())),
            keys.TIMING_NAMES: np.asarray(list(out.timings)),
        }
    )
    np.savez(arrays_path, **out.arrays)
    with_identity(out.rows, identity).to_parquet(table_path, index=False)
    log("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in out.timings.items()))
