"""Stage ``intervene``: the four manipulation types on one trained model.

1. latent perturbation over the evaluation codes (pixel, factor and decoder-unit effects),
2. input manipulation over factor pairs (the effect matrix A),
3. activation patching of every encoder unit (per factor) and decoder unit (per latent),
4. causal mediation of directed treatments (a factor moving up, a categorical contrast) on a
   latent by every encoder unit, with the total effect's standard error and test,
plus code swaps for a VQ-VAE. The evaluation codes come from the cache; nothing is re-encoded
but the pairs. Writes the tidy table as Parquet and every effect array as ``effects.npz``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from vaecausal.adapters.protocol import DiscreteAdapter, VAEAdapter, model_device
from vaecausal.adapters.saved import load_model
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_factors, read_meta
from vaecausal.interventions.code_swaps import code_swap_effects
from vaecausal.interventions.decoder_effects import decode_batch
from vaecausal.interventions.input_manipulation import input_effects
from vaecausal.interventions.latent_perturbation import (
    code_changes,
    grid_perturbation,
    latent_perturbation,
    perturbation_mode,
)
from vaecausal.interventions.mediation import ALPHA, mediation_analysis
from vaecausal.interventions.oracle import (
    FactorOracle,
    OracleSettings,
    load_oracle,
    seconds_per_step,
)
from vaecausal.interventions.pairs import PairFamily, input_pairs, mediation_pairs
from vaecausal.interventions.patching import decoder_patching, encoder_restoration
from vaecausal.interventions.scope import PROBE_IMAGES, Scope, intervention_scope
from vaecausal.interventions.tidy import latent_names, matrix_rows, with_identity
from vaecausal.metrics.stability import modularity_replicates, resampling_weights
from vaecausal.models.device import choose_device
from vaecausal.models.host import prepare_host
from vaecausal.stages.logs import Log


def _perturbation_rows(
    prefix: str,
    layer: str,
    norms: np.ndarray,
    means: dict[str, np.ndarray],
    values: list[float],
    factor_names: list[str],
) -> list[pd.DataFrame]:
    d = norms.shape[1]
    rows = [
        matrix_rows(prefix, layer, "pixel_l2", norms.mean(0)[:, [k]], ["pixels"], value=v)
        for k, v in enumerate(values)
    ]
    rows.append(matrix_rows(prefix, layer, "factor_tv", means["factor_effect"], factor_names))
    rows += [
        matrix_rows(prefix, name, "activation_change", delta.T, latent_names(d))
        for name, delta in (
            (k.split(".", 1)[1], v) for k, v in means.items() if k.startswith("activation_delta.")
        )
    ]
    return rows


@dataclass
class Results:
    """Effect arrays (for ``effects.npz``), tidy rows and seconds per manipulation."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    rows: list[pd.DataFrame] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - started


def with_modularity_replicates(
    means: dict[str, np.ndarray], active: np.ndarray
) -> dict[str, np.ndarray]:
    """``means`` with the replicates' activation effects (R, rows, U per decoder layer: the
    latents or slots changed) reduced to the modularity of each replicate (R,), over the rows
    ``active`` marks: all the metrics stage needs of them."""
    prefix = "replicates.activation_delta."
    deltas = {k[len(prefix) :]: v for k, v in means.items() if k.startswith(prefix)}
    kept = {k: v for k, v in means.items() if not k.startswith(prefix)}
    return {**kept, "replicates.modularity": modularity_replicates(deltas, active)}


def _latent_perturbation(
    out: Results,
    model: VAEAdapter,
    latents: np.ndarray,
    active: np.ndarray,
    settings: dict[str, Any],
    oracle: FactorOracle,
    factor_names: list[str],
) -> None:
    """Latent perturbation of the analysed latents (``out.arrays['analysed_latents']``); the
    modularity replicates over those of them that are ``active``."""
    values = list(settings["latent_values"])
    mode = perturbation_mode(settings, model)
    analysed = out.arrays["analysed_latents"]
    norms, means = latent_perturbation(
        model,
        latents,
        values,
        decode_batch(settings, model),
        oracle,
        mode=mode,
        weights=out.arrays["bootstrap.weights"],
        analysed=analysed,
    )
    # the replicates' activation effects are over the analysed latents alone
    means = with_modularity_replicates(means, active[analysed])
    out.arrays.update(
        pixel_effect_norms=norms,
        values=np.asarray(values),
        perturbation_mode=np.asarray(mode),
        **means,
    )
    out.rows += _perturbation_rows(
        "latent_perturbation", "latent", norms, means, values, factor_names
    )


def _code_changes(
    out: Results, model: DiscreteAdapter, latents: np.ndarray, settings: dict[str, Any]
) -> None:
    """Whether each perturbation moved slot i to another code: per (code, slot, value) in
    ``code_changed``, per slot and value in the table."""
    values = list(settings["latent_values"])
    changed = code_changes(model, latents, values, perturbation_mode(settings, model))
    out.arrays["code_changed"] = changed
    share = changed.mean(0)  # (d, V)
    out.rows += [
        matrix_rows(
            "latent_perturbation", "latent", "code_change_share", share[:, [k]], ["code"], value=v
        )
        for k, v in enumerate(values)
    ]


def _encoder_patching(
    out: Results,
    model: VAEAdapter,
    families: list[PairFamily],
    n_pairs: int,
    units: dict[str, np.ndarray],
) -> None:
    """Restoration of every patched encoder unit, factor by factor, on the symmetric pairs."""
    names = [f.name for f in families]
    results = [
        encoder_restoration(model, f.subset(np.arange(min(n_pairs, len(f.control)))), units=units)
        for f in families
    ]
    ratios = [r.ratios() for r in results]
    for name in model.encoder_hooks:
        matrix = np.stack([r[name] for r in ratios], axis=1)
        out.arrays[f"patching.{name}"] = matrix
        out.arrays[f"restoration_pairs.moved.{name}"] = np.stack(
            [r.moved[name] for r in results], axis=1
        ).astype(np.float32)  # (U, K, n)
        out.rows.append(
            matrix_rows("activation_patching", name, "restoration", matrix, names, units[name])
        )
    out.arrays["restoration_pairs.totals"] = np.stack([r.totals for r in results])  # (K, n)
    out.arrays.update(
        encoder_hooks=np.asarray(model.encoder_hooks), patching_pairs=np.asarray(n_pairs)
    )


def padded_rows(rows: list[np.ndarray]) -> np.ndarray:
    """Per-pair values of every treatment as one (T, n_max) array, NaN past a treatment's own
    pairs (treatments may have different numbers of measuring pairs)."""
    out = np.full((len(rows), max((len(r) for r in rows), default=0)), np.nan)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _mediation(
    out: Results,
    model: VAEAdapter,
    families: Iterable[PairFamily],
    latents: np.ndarray,
    active: np.ndarray,
    n_pairs: int,
    units: dict[str, np.ndarray],
) -> None:
    """Mediation of every directed treatment by every patched encoder unit; TE with its test."""
    device = model_device(model)
    results = mediation_analysis(
        model, families, torch.as_tensor(latents, device=device), active, n_pairs, units
    )
    names = [r.name for r in results]
    for name in model.encoder_hooks:
        for kind in ("nie", "nde"):
            matrix = np.stack([getattr(r, f"{kind}_units")[name] for r in results], axis=1)
            out.arrays[f"mediation.{kind}.{name}"] = matrix
            out.rows.append(matrix_rows("causal_mediation", name, kind, matrix, names, units[name]))
    totals = [r.total_effect for r in results]
    for name in model.encoder_hooks:
        out.arrays[f"mediation.pair_unit_nie_sums.{name}"] = padded_rows(
            [r.pair_unit_nie_sums[name] for r in results]
        )
    out.arrays.update(
        {
            "mediation.treatments": np.asarray(names),
            "mediation.outcome_latent": np.array([r.outcome_latent for r in results]),
            "mediation.outcome_weights": np.stack([r.outcome_weights for r in results]),
            "mediation.pair_effects": padded_rows([r.pair_effects for r in results]),
            "mediation.total_effect": np.array([t.value for t in totals]),
            "mediation.total_effect_se": np.array([t.standard_error for t in totals]),
            "mediation.total_effect_p": np.array([t.p_value for t in totals]),
            "mediation.pairs": np.array([t.n_pairs for t in totals]),
        }
    )
    for quantity, attribute in (("te", "value"), ("te_se", "standard_error")):
        values = np.array([[getattr(t, attribute) for t in totals]])
        out.rows.append(matrix_rows("causal_mediation", "input", quantity, values, names, [None]))


def _decoder_patching(
    out: Results,
    model: VAEAdapter,
    latents: np.ndarray,
    patched: np.ndarray,
    settings: dict[str, Any],
    units: dict[str, np.ndarray],
) -> None:
    """Restoration of every patched decoder unit for the ``patched`` latents (a mask)."""
    device = model_device(model)
    value = settings["patching"]["decoder_value"]
    all_latents = torch.as_tensor(latents, device=device)
    mode = perturbation_mode(settings, model)
    codes = all_latents[: settings["patching"]["n_pairs"]]
    targets = grid_perturbation(model, all_latents, [value], mode).value_targets(codes, 0)
    restored = decoder_patching(
        model,
        codes,
        targets,
        np.flatnonzero(patched).tolist(),
        units=units,
        decode_batch=decode_batch(settings, model),
    )
    for name, restoration in restored.items():
        out.arrays[f"patching.{name}"] = restoration
        out.rows.append(
            matrix_rows(
                "activation_patching",
                name,
                "restoration",
                restoration,
                latent_names(latents.shape[1]),
                units[name],
                value=value,
            )
        )
    out.arrays["decoder_hooks"] = np.asarray(model.decoder_hooks)


def _code_swaps(
    out: Results,
    model: DiscreteAdapter,
    codes: np.ndarray,
    active: np.ndarray,
    settings: dict[str, Any],
    oracle: FactorOracle,
    factor_names: list[str],
) -> None:
    norms, means, candidates = code_swap_effects(
        model,
        codes,
        settings["code_swaps"],
        decode_batch(settings, model),
        oracle,
        out.arrays["bootstrap.weights"],
    )
    means = with_modularity_replicates(means, active)
    out.arrays["swap.pixel_effect_norms"] = norms
    out.arrays["swap.candidates"] = candidates.codes.cpu().numpy()
    out.arrays["swap.fallback"] = candidates.fallback.cpu().numpy()
    out.arrays.update({f"swap.{k}": v for k, v in means.items()})
    swaps = list(range(norms.shape[2]))
    out.rows += _perturbation_rows("code_swap", "code", norms, means, swaps, factor_names)


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
    active, analysed, units = planned.active, planned.selection.analysed, planned.units
    n, d = latents.shape[:2]
    bootstrap = settings["bootstrap"]
    out = Results(
        arrays={
            "oracle_factors": np.asarray(meta.factor_names),
            # one set of replicates over the evaluation codes for every decoder metric
            "bootstrap.weights": resampling_weights(n, bootstrap["replicates"], bootstrap["seed"]),
            "bootstrap.seed": np.asarray(bootstrap["seed"]),
            "analysed_latents": analysed,
            "latent_selection": np.asarray(planned.selection.description),
            **{f"patched_units.{name}": u for name, u in units.items()},
            **{
                f"hook_units.{name}": np.asarray(c)
                for name, c in planned.plan.design.hook_units.items()
            },
        }
    )

    mode = perturbation_mode(settings, model)
    log(
        f"latent perturbation ({mode}): {n} codes x {int(analysed.sum())} of {d} latents x "
        f"{len(settings['latent_values'])} values"
    )
    with out.timed("latent_perturbation"):
        _latent_perturbation(out, model, latents, active, settings, oracle, meta.factor_names)
        if isinstance(model, DiscreteAdapter):
            _code_changes(out, model, latents, settings)
            log(f"perturbations that change the code: {out.arrays['code_changed'].mean():.1%}")

    images = BatchGatherer(open_images(prepared_dir), device, resident=False)
    factors = read_factors(prepared_dir)
    pair_rows = indices[: settings["input_pairs"]]
    with out.timed("input_manipulation"):
        families = input_pairs(
            images, factors, meta.factor_names, meta.factor_sizes, pair_rows, split_seed
        )
        names = [f.name for f in families]
        effect = input_effects(model, families, latents)
        out.arrays.update(pair_families=np.asarray(names), input_effect=effect)
        out.rows.append(
            matrix_rows("input_manipulation", "latent", "latent_shift_std", effect.T, names)
        )
    log(f"input manipulation: {len(families)} families of {families[0].control.shape[0]} pairs")

    n_pairs = settings["patching"]["n_pairs"]
    with out.timed("activation_patching"):
        _encoder_patching(out, model, families, n_pairs, units)
        log(f"encoder patching: {len(families)} factors x {n_pairs} pairs")
        _decoder_patching(out, model, latents, active & analysed, settings, units)
        log(f"decoder patching: {int((active & analysed).sum())} latents x {n_pairs} codes")
    with out.timed("causal_mediation"):
        treatments = mediation_pairs(
            images,
            factors,
            meta.factor_names,
            meta.factor_sizes,
            pair_rows,
            split_seed,
            categorical,
        )
        n_measure = settings["mediation"]["n_pairs"]
        _mediation(out, model, treatments, latents, active & analysed, n_measure, units)
        p = out.arrays["mediation.total_effect_p"]
        log(
            f"causal mediation: {len(p)} treatments x {n_measure} pairs; TE told apart "
            f"from noise (p < {ALPHA}) in {int((p < ALPHA).sum())}"
        )

    if isinstance(model, DiscreteAdapter) and codes is not None:
        with out.timed("code_swaps"):
            _code_swaps(out, model, codes, active, settings, oracle, meta.factor_names)
        n_fallback = int(out.arrays["swap.fallback"].sum())
        log(
            f"code swaps: {d} slots x {out.arrays['swap.pixel_effect_norms'].shape[2]} codes, "
            f"{n_fallback} slot(s) filled up from the global ranking"
        )

    out.arrays.update(
        timings=np.asarray(list(out.timings.values())), timing_names=np.asarray(list(out.timings))
    )
    np.savez(arrays_path, **out.arrays)
    with_identity(out.rows, identity).to_parquet(table_path, index=False)
    log("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in out.timings.items()))
