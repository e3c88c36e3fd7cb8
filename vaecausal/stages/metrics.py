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
    rms_scale,
)
from vaecausal.metrics.dci import dci
from vaecausal.models.vq_vae import codebook_usage
from vaecausal.stages.logs import Log


def varying_factors(factors: np.ndarray) -> np.ndarray:
    """Columns of ``factors`` that take more than one value (a constant factor has no DCI)."""
    return np.array([len(np.unique(factors[:, k])) > 1 for k in range(factors.shape[1])])


def run(
    latents_path: Path,
    effects_path: Path,
    train_summary_path: Path,
    prepared_dir: Path,
    out_path: Path,
    identity: dict[str, Any],
    active_kl_threshold: float,
    dci_settings: dict[str, int],
    threads: int,
    log: Log,
) -> None:
    meta = read_meta(prepared_dir)
    all_factors = read_factors(prepared_dir)
    with np.load(latents_path) as cached:
        latents = dict(cached)
    with np.load(effects_path) as effects:
        norms = effects["pixel_effect_norms"]
    training = json.loads(Path(train_summary_path).read_text())

    if "eval_logvar" in latents:
        kl = kl_per_latent(latents["eval_latents"], latents["eval_logvar"])
        active = active_latents(kl, active_kl_threshold)
    else:  # discrete slots (VQ-VAE) have no KL to the prior: all are active
        kl = np.full(latents["eval_latents"].shape[1], np.nan)
        active = np.ones(len(kl), dtype=bool)
    ces = ces_per_latent(norms)
    model_level_ces = model_ces(ces, active)
    log(f"{int(active.sum())}/{len(active)} active latents; CES {model_level_ces:.3f}")

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
        "ces": None if np.isnan(model_level_ces) else model_level_ces,
        "ces_rms": None
        if np.isnan(model_level_ces)
        else model_level_ces / rms_scale(meta.channels),
        "ces_per_latent": ces.tolist(),
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
        },
    }
    if "codebook_size" in latents:
        codes_used = torch.as_tensor(latents["eval_codes"])
        usage = codebook_usage(codes_used, int(latents["codebook_size"]))
        metrics.update({k: float(v) for k, v in usage.items()})
    Path(out_path).write_text(json.dumps(metrics, indent=2, allow_nan=False))
