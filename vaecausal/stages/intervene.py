"""Stage ``intervene``: the four manipulation types on one trained model.

1. latent perturbation over the evaluation codes (pixel, factor and decoder-unit effects),
2. input manipulation over factor pairs (the effect matrix A),
3. activation patching of every encoder unit (per factor) and decoder unit (per latent),
4. causal mediation of the factor -> latent effect by every encoder layer and unit,
plus code swaps for a VQ-VAE. The evaluation codes come from the cache; nothing is re-encoded
but the pairs. Writes the tidy table as Parquet and every effect array as ``effects.npz``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_factors, read_meta
from vaecausal.interventions.code_swaps import code_swap_effects
from vaecausal.interventions.input_manipulation import input_effects
from vaecausal.interventions.latent_perturbation import latent_perturbation, value_targets
from vaecausal.interventions.oracle import load_oracle
from vaecausal.interventions.pairs import PairFamily, input_pairs
from vaecausal.interventions.patching import (
    DECODER_HOOKS,
    ENCODER_HOOKS,
    decoder_patching,
    encoder_patching,
)
from vaecausal.interventions.tidy import latent_names, matrix_rows, with_identity
from vaecausal.metrics.causal import active_latents, kl_per_latent
from vaecausal.models.device import choose_device
from vaecausal.models.saved import load_model
from vaecausal.models.vq_vae import VQVAE
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


def _subset(family: PairFamily, n: int) -> PairFamily:
    return PairFamily(family.name, family.control[:n], family.treated[:n])


def run(
    model_path: Path,
    latents_path: Path,
    oracle_path: Path,
    prepared_dir: Path,
    table_path: Path,
    arrays_path: Path,
    settings: dict[str, Any],
    split_seed: int,
    active_kl_threshold: float,
    identity: dict[str, object],
    threads: int,
    log: Log,
) -> None:
    torch.set_num_threads(threads)
    device = choose_device()
    model = load_model(model_path, device)
    oracle = load_oracle(oracle_path, device)
    meta = read_meta(prepared_dir)
    with np.load(latents_path) as cached:
        latents, indices = cached["eval_latents"], cached["eval_indices"]
        codes = cached["eval_codes"] if "eval_codes" in cached else None
        logvar = cached["eval_logvar"] if "eval_logvar" in cached else None
    active = (
        active_latents(kl_per_latent(latents, logvar), active_kl_threshold)
        if logvar is not None
        else np.ones(latents.shape[1], dtype=bool)  # every VQ-VAE slot is active
    )
    values = list(settings["latent_values"])
    d = latents.shape[1]
    arrays: dict[str, np.ndarray] = {
        "values": np.asarray(values),
        "oracle_factors": np.asarray(meta.factor_names),
    }
    rows: list[pd.DataFrame] = []
    timings: dict[str, float] = {}

    started = time.perf_counter()
    log(f"latent perturbation: {len(latents)} codes x {d} latents x {len(values)} values")
    norms, means = latent_perturbation(model, latents, values, settings["decode_batch"], oracle)
    arrays["pixel_effect_norms"] = norms
    arrays.update(means)
    rows += _perturbation_rows(
        "latent_perturbation", "latent", norms, means, values, meta.factor_names
    )
    timings["latent_perturbation"] = time.perf_counter() - started

    started = time.perf_counter()
    images = BatchGatherer(open_images(prepared_dir), device)
    families = input_pairs(
        images,
        read_factors(prepared_dir),
        meta.factor_names,
        meta.factor_sizes,
        indices[: settings["input_pairs"]],
        split_seed,
    )
    names = [f.name for f in families]
    effect = input_effects(model, families, latents)
    arrays["pair_families"] = np.asarray(names)
    arrays["input_effect"] = effect
    rows.append(matrix_rows("input_manipulation", "latent", "latent_shift_std", effect.T, names))
    log(f"input manipulation: {len(families)} families of {families[0].control.shape[0]} pairs")
    timings["input_manipulation"] = time.perf_counter() - started

    started = time.perf_counter()
    n_pairs = settings["patching"]["n_pairs"]
    outcome = effect.argmax(axis=1)
    results = [
        encoder_patching(model, _subset(f, n_pairs), int(i))
        for f, i in zip(families, outcome, strict=True)
    ]
    for name in ENCODER_HOOKS:
        restoration = np.stack([r.restoration[name] for r in results], axis=1)
        nie = np.stack([r.nie_units[name] for r in results], axis=1)
        nde = np.stack([r.nde_units[name] for r in results], axis=1)
        arrays[f"patching.{name}"] = restoration
        arrays[f"mediation.nie.{name}"] = nie
        arrays[f"mediation.nde.{name}"] = nde
        rows.append(matrix_rows("activation_patching", name, "restoration", restoration, names))
        rows.append(matrix_rows("causal_mediation", name, "nie", nie, names))
        rows.append(matrix_rows("causal_mediation", name, "nde", nde, names))
    arrays["mediation.total_effect"] = np.array([r.total_effect for r in results])
    arrays["mediation.outcome_latent"] = outcome
    for kind in ("nie", "nde"):
        layer = np.array([[getattr(r, f"{kind}_layer")[n] for r in results] for n in ENCODER_HOOKS])
        arrays[f"mediation.{kind}_layer"] = layer
        rows += [
            matrix_rows("causal_mediation", n, kind, layer[[j]], names, units=[None])
            for j, n in enumerate(ENCODER_HOOKS)
        ]
    rows.append(
        matrix_rows(
            "causal_mediation",
            "input",
            "te",
            arrays["mediation.total_effect"][None],
            names,
            units=[None],
        )
    )
    arrays["encoder_hooks"] = np.asarray(ENCODER_HOOKS)
    arrays["patching_pairs"] = np.asarray(n_pairs)
    log(f"encoder patching and mediation: {len(families)} factors x {n_pairs} pairs")

    codes_t = torch.as_tensor(latents[:n_pairs], device=device)
    targets = value_targets(
        model, torch.as_tensor(latents, device=device), [settings["patching"]["decoder_value"]]
    )[:, 0]
    patched = np.flatnonzero(active).tolist()
    decoder = decoder_patching(model, codes_t, targets, patched)
    for name, restoration in decoder.items():
        arrays[f"patching.{name}"] = restoration
        rows.append(
            matrix_rows(
                "activation_patching",
                name,
                "restoration",
                restoration,
                latent_names(d),
                value=settings["patching"]["decoder_value"],
            )
        )
    arrays["decoder_hooks"] = np.asarray(DECODER_HOOKS)
    timings["patching_and_mediation"] = time.perf_counter() - started
    log(f"decoder patching: {len(patched)} active latents x {n_pairs} codes")

    if isinstance(model, VQVAE) and codes is not None:
        started = time.perf_counter()
        swap_norms, swap_means = code_swap_effects(
            model, codes, settings["code_swaps"], settings["decode_batch"], oracle
        )
        arrays["swap.pixel_effect_norms"] = swap_norms
        arrays.update({f"swap.{k}": v for k, v in swap_means.items()})
        swap_rows = _perturbation_rows(
            "code_swap",
            "code",
            swap_norms,
            swap_means,
            list(range(swap_norms.shape[2])),
            meta.factor_names,
        )
        rows += swap_rows
        timings["code_swaps"] = time.perf_counter() - started
        log(f"code swaps: {codes.shape[1]} slots x {swap_norms.shape[2]} codes")

    arrays["timings"] = np.asarray(list(timings.values()))
    arrays["timing_names"] = np.asarray(list(timings))
    np.savez(arrays_path, **arrays)
    with_identity(rows, identity).to_parquet(table_path, index=False)
    log("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
