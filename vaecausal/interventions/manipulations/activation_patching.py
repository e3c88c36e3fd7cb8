"""Activation patching: restoration of every patched encoder unit per factor, on the input
manipulation's pairs, and of every patched decoder unit per analysed active latent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from vaecausal.adapters.protocol import model_device
from vaecausal.interventions import effects as keys
from vaecausal.interventions.decoder_effects import decode_batch
from vaecausal.interventions.latent_perturbation import grid_perturbation, perturbation_mode
from vaecausal.interventions.manipulations.base import Context, Manipulation, Output
from vaecausal.interventions.patching import decoder_patching, encoder_restoration
from vaecausal.interventions.tidy import latent_names, matrix_rows
from vaecausal.interventions.workload import Design, Workload, input_pair_count, split_units


def _encoder(context: Context, n_pairs: int) -> Output:
    """Restoration of every patched encoder unit, factor by factor, on the symmetric pairs."""
    model, families, units = context.model, context.families, context.units
    names = [f.name for f in families]
    results = [
        encoder_restoration(model, f.subset(np.arange(min(n_pairs, len(f.control)))), units=units)
        for f in families
    ]
    ratios = [r.ratios() for r in results]
    out = Output()
    for name in model.encoder_hooks:
        matrix = np.stack([r[name] for r in ratios], axis=1)
        out.arrays[keys.patching_key(name)] = matrix
        out.arrays[keys.RESTORATION_MOVED + name] = np.stack(
            [r.moved[name] for r in results], axis=1
        ).astype(np.float32)  # (U, K, n)
        out.rows.append(
            matrix_rows("activation_patching", name, "restoration", matrix, names, units[name])
        )
    out.arrays[keys.RESTORATION_TOTALS] = np.stack([r.totals for r in results])  # (K, n)
    out.arrays[keys.ENCODER_HOOKS] = np.asarray(model.encoder_hooks)
    out.arrays[keys.PATCHING_PAIRS] = np.asarray(n_pairs)
    context.log(f"encoder patching: {len(families)} factors x {n_pairs} pairs")
    return out


def _decoder(context: Context, n_pairs: int) -> Output:
    """Restoration of every patched decoder unit for the analysed active latents."""
    model, settings, units = context.model, context.settings, context.units
    patched = context.active & context.analysed
    value = settings["patching"]["decoder_value"]
    all_latents = torch.as_tensor(context.latents, device=model_device(model))
    mode = perturbation_mode(settings, model)
    codes = all_latents[:n_pairs]
    targets = grid_perturbation(model, all_latents, [value], mode).value_targets(codes, 0)
    restored = decoder_patching(
        model,
        codes,
        targets,
        np.flatnonzero(patched).tolist(),
        units=units,
        decode_batch=decode_batch(settings, model),
    )
    out = Output()
    for name, restoration in restored.items():
        out.arrays[keys.patching_key(name)] = restoration
        out.rows.append(
            matrix_rows(
                "activation_patching",
                name,
                "restoration",
                restoration,
                latent_names(context.latents.shape[1]),
                units[name],
                value=value,
            )
        )
    out.arrays[keys.DECODER_HOOKS] = np.asarray(model.decoder_hooks)
    context.log(f"decoder patching: {int(patched.sum())} latents x {n_pairs} codes")
    return out


def run(context: Context) -> Output:
    n_pairs = context.settings["patching"]["n_pairs"]
    encoder, decoder = _encoder(context, n_pairs), _decoder(context, n_pairs)
    return Output({**encoder.arrays, **decoder.arrays}, encoder.rows + decoder.rows)


def workload(design: Design, settings: Mapping[str, Any]) -> Workload:
    """2 K P encoder and P (1 + a) decoder passes, K P U_h resumed from each encoder hook
    point and a P U_h from each decoder hook point (a analysed active latents)."""
    n_pairs, a = settings["patching"]["n_pairs"], design.analysed_active
    units = design.patched_units
    patching = min(n_pairs, input_pair_count(design, settings))  # pairs per factor
    codes = min(n_pairs, design.n_eval)  # codes per latent
    encoder, decoder = split_units(design)
    return Workload(
        "activation_patching",
        encoder=2 * design.families * patching,
        decoder=codes * (1 + a) if a else 1,  # nothing to patch: one pass for the shapes
        resumed={
            **{h: design.families * patching * units[h] for h in encoder},
            **{h: a * codes * units[h] for h in decoder},
        },
    )


ACTIVATION_PATCHING = Manipulation(
    "activation_patching",
    run,
    workload=workload,
    shrinks="interventions.patching.n_pairs, interventions.patching.max_units, fewer hook points",
)
