"""Stage ``metrics``: every metric of one model, with sample counts and seeds, in metrics.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaecausal.data.store import read_factors, read_meta
from vaecausal.metrics.causal import (
    active_latents,
    ces_per_latent,
    kl_per_latent,
    model_ces,
    model_specificity,
    rms_scale,
    specificity_per_latent,
)
from vaecausal.metrics.circuits import circuit_overlap, model_modularity, semantic_fractions
from vaecausal.metrics.dci import dci
from vaecausal.models.vq_vae import codebook_usage
from vaecausal.stages.logs import Log


def varying_factors(factors: np.ndarray) -> np.ndarray:
    """Columns of ``factors`` that take more than one value (a constant factor has no DCI)."""
    return np.array([len(np.unique(factors[:, k])) > 1 for k in range(factors.shape[1])])


def _nullable(value: float) -> float | None:
    """JSON has no NaN: an undefined metric is written as null."""
    return None if np.isnan(value) else float(value)


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def effect_metrics(
    effects: dict[str, np.ndarray], prefix: str, active: np.ndarray, channels: int
) -> dict[str, Any]:
    """CES, specificity and modularity of one kind of decoder intervention (``prefix`` '' for
    latent perturbation, 'swap.' for VQ-VAE code swaps); keys get the suffix of the kind."""
    suffix = "_discrete" if prefix else ""
    ces = ces_per_latent(effects[f"{prefix}pixel_effect_norms"])
    specificity, inverse_entropy = specificity_per_latent(effects[f"{prefix}factor_effect"])
    deltas = _prefixed(effects, f"{prefix}activation_delta.")
    value = model_ces(ces, active)
    return {
        f"ces{suffix}": _nullable(value),
        f"ces{suffix}_rms": _nullable(value / rms_scale(channels)),
        f"ces{suffix}_per_latent": ces.tolist(),
        f"specificity{suffix}": _nullable(model_specificity(specificity, ces, active)),
        f"specificity{suffix}_per_latent": [_nullable(v) for v in specificity],
        f"specificity{suffix}_inverse_entropy": [_nullable(v) for v in inverse_entropy],
        f"modularity{suffix}": _nullable(model_modularity(deltas, active)),
    }


def patching_metrics(
    effects: dict[str, np.ndarray], circuit_fraction: float, poly_threshold: float
) -> dict[str, Any]:
    """Circuit overlap, per-layer poly/monosemantic shares and mediated shares per layer."""
    encoder = [str(n) for n in effects["encoder_hooks"]]
    restoration = {name: effects[f"patching.{name}"] for name in encoder}
    total = effects["mediation.total_effect"]
    with np.errstate(invalid="ignore", divide="ignore"):
        layer_share = effects["mediation.nie_layer"] / total
        unit_share = {name: effects[f"mediation.nie.{name}"].sum(0) / total for name in encoder}
    return {
        "circuit_overlap": _nullable(circuit_overlap(restoration, circuit_fraction)),
        "semantic_fractions": {
            name: semantic_fractions(r, poly_threshold) for name, r in restoration.items()
        },
        "mediation": {
            "factors": [str(f) for f in effects["pair_families"]],
            "outcome_latent": effects["mediation.outcome_latent"].tolist(),
            "total_effect": total.tolist(),
            "share_mediated_by_layer": {
                name: [_nullable(v) for v in layer_share[j]] for j, name in enumerate(encoder)
            },
            "sum_of_unit_shares_by_layer": {
                name: [_nullable(v) for v in share] for name, share in unit_share.items()
            },
        },
    }


def run(
    latents_path: Path,
    effects_path: Path,
    oracle_report_path: Path,
    train_summary_path: Path,
    prepared_dir: Path,
    out_path: Path,
    identity: dict[str, Any],
    settings: dict[str, Any],
    threads: int,
    log: Log,
) -> None:
    meta = read_meta(prepared_dir)
    all_factors = read_factors(prepared_dir)
    with np.load(latents_path) as cached:
        latents = dict(cached)
    with np.load(effects_path) as stored:
        effects = dict(stored)
    norms = effects["pixel_effect_norms"]
    training = json.loads(Path(train_summary_path).read_text())
    oracle = json.loads(Path(oracle_report_path).read_text())
    dci_settings = settings["dci"]
    weak = [
        name
        for name, accuracy in oracle["held_out_accuracy"].items()
        if accuracy < settings["oracle_accuracy_floor"]
    ]

    if "eval_logvar" in latents:
        kl = kl_per_latent(latents["eval_latents"], latents["eval_logvar"])
        active = active_latents(kl, settings["active_kl_threshold"])
    else:  # discrete slots (VQ-VAE) have no KL to the prior: all are active
        kl = np.full(latents["eval_latents"].shape[1], np.nan)
        active = np.ones(len(kl), dtype=bool)
    causal = effect_metrics(effects, "", active, meta.channels)
    if "swap.pixel_effect_norms" in effects:
        causal.update(effect_metrics(effects, "swap.", active, meta.channels))
    causal.update(
        patching_metrics(effects, settings["circuit_fraction"], settings["poly_threshold"])
    )
    log(
        f"{int(active.sum())}/{len(active)} active latents; CES {causal['ces']}; "
        f"specificity {causal['specificity']}; modularity {causal['modularity']}; "
        f"circuit overlap {causal['circuit_overlap']}"
    )

    n_train, n_test = dci_settings["n_train"], dci_settings["n_test"]
    codes = latents["scoring_metric_codes"]
    factors = all_factors[latents["scoring_indices"]]
    keep = varying_factors(factors)
    log(f"DCI on {n_train}/{n_test} codes, {int(keep.sum())} factors, {threads} job(s)")
    result = dci(
        codes[:n_train],
        factors[:n_train][:, keep],
        codes[n_train : n_train + n_test],
        factors[n_train : n_train + n_test][:, keep],
        seed=dci_settings["seed"],
        n_jobs=threads,
    )
    log(
        f"DCI D {result.disentanglement:.3f} C {result.completeness:.3f} "
        f"I {result.informativeness:.3f}"
    )
    metrics = {
        **identity,
        "dataset_label": meta.label,
        "procedural": meta.procedural,
        "n_latents": len(active),
        "n_active": int(active.sum()),
        "active_latents": np.flatnonzero(active).tolist(),
        "kl_per_latent": [None if np.isnan(v) else float(v) for v in kl],
        **causal,
        "oracle_accuracy": oracle["held_out_accuracy"],
        "oracle_below_floor": weak,
        "dci_disentanglement": result.disentanglement,
        "dci_completeness": result.completeness,
        "dci_informativeness": result.informativeness,
        "dci_informativeness_train": result.informativeness_train,
        "dci_importance": result.importance.tolist(),
        "dci_factors": [n for n, k in zip(meta.factor_names, keep, strict=True) if k],
        "reconstruction_loss": float(latents["eval_reconstruction"].mean()),
        "mean_image_loss": float(latents["eval_mean_image_reconstruction"].mean()),
        "training_seconds": training["seconds"],
        "samples": {
            "n_eval": int(len(latents["eval_indices"])),
            "dci_train": n_train,
            "dci_test": n_test,
            "dci_seed": dci_settings["seed"],
            "latent_values": int(norms.shape[2]),
            "patching_pairs": int(effects["patching_pairs"]),
            "circuit_fraction": settings["circuit_fraction"],
            "poly_threshold": settings["poly_threshold"],
        },
    }
    if "codebook_size" in latents:
        codes_used = torch.as_tensor(latents["eval_codes"])
        usage = codebook_usage(codes_used, int(latents["codebook_size"]))
        metrics.update({k: float(v) for k, v in usage.items()})
    Path(out_path).write_text(json.dumps(metrics, indent=2, allow_nan=False))
