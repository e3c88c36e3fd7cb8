"""Stage ``intervene``: latent perturbation of one model on its evaluation set.

Writes the tidy table (one row per model, manipulation, layer, unit, factor, value) as Parquet and
the full effect array (N_eval, d, V) as ``.npz`` for the metrics stage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaecausal.interventions.latent_perturbation import pixel_effect_norms
from vaecausal.models.device import choose_device
from vaecausal.models.saved import load_model
from vaecausal.stages.logs import Log


def tidy_latent_perturbation(
    norms: np.ndarray, values: list[float], identity: dict[str, object]
) -> pd.DataFrame:
    """Mean pixel effect per (latent, value) as tidy rows."""
    d, n_values = norms.shape[1:]
    means = norms.mean(axis=0)
    latent, value = np.meshgrid(np.arange(d), np.arange(n_values), indexing="ij")
    return pd.DataFrame(
        {
            **{k: [v] * (d * n_values) for k, v in identity.items()},
            "manipulation": "latent_perturbation",
            "layer": "latent",
            "unit": latent.ravel(),
            "factor": "pixels",
            "value": np.asarray(values)[value.ravel()],
            "quantity": "pixel_l2",
            "effect": means.ravel(),
        }
    )


def run(
    model_path: Path,
    latents_path: Path,
    table_path: Path,
    arrays_path: Path,
    values: list[float],
    decode_batch: int,
    identity: dict[str, object],
    threads: int,
    log: Log,
) -> None:
    torch.set_num_threads(threads)
    model = load_model(model_path, choose_device())
    with np.load(latents_path) as cached:
        latents = cached["eval_latents"]
    log(
        f"latent perturbation: {latents.shape[0]} codes x {latents.shape[1]} latents x "
        f"{len(values)} values"
    )
    norms = pixel_effect_norms(model, latents, values, decode_batch)
    np.savez(arrays_path, pixel_effect_norms=norms, values=np.asarray(values))
    tidy_latent_perturbation(norms, values, identity).to_parquet(table_path, index=False)
    log(f"mean pixel effect {norms.mean():.3f}")
