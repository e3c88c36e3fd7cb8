"""Synthetic studies with known structure, for the findings' and the figures' tests.

A realistic study: every dataset x architecture x seed, DCI by architecture with a beta-VAE that
loses DCI as factors approach the latent dimension, CES that falls as DCI rises within a dataset
(the trade-off), and a VQ-VAE whose continuous CES is near zero but whose discrete CES is not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

ARCHITECTURES = ("vae", "beta_vae", "factor_vae", "beta_tc_vae", "dip_vae_ii", "vq_vae")
# name -> (label, n_factors, channels)
DATASETS = {
    "dsprites": ("dSprites", 5, 1),
    "3dshapes": ("3DShapes", 6, 3),
    "mpi3d": ("MPI3D toy", 7, 3),
    "smallnorb": ("SmallNORB", 4, 1),
    "celeba": ("CelebA", 40, 3),
}
BASE_DCI = {
    "vae": 0.20,
    "beta_vae": 0.38,
    "factor_vae": 0.42,
    "beta_tc_vae": 0.40,
    "dip_vae_ii": 0.30,
    "vq_vae": 0.15,
}


def study(
    datasets: tuple[str, ...] = tuple(DATASETS),
    architectures: tuple[str, ...] = ARCHITECTURES,
    seeds: tuple[int, ...] = (0, 1, 2),
    n_latents: int = 10,
    rng_seed: int = 0,
) -> pd.DataFrame:
    """A runs table shaped like ``load_runs``'s, with every metric the pipeline will report."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for index, dataset in enumerate(datasets):
        label, n_factors, channels = DATASETS[dataset]
        scale = 40.0 * (1 + index)  # datasets differ in CES level: pooling must z-score
        for architecture in architectures:
            for seed in seeds:
                dci = BASE_DCI[architecture] + 0.05 * index + rng.normal(0, 0.03)
                if architecture == "beta_vae":  # the bottleneck: worse as factors near latents
                    dci -= 0.3 * min(1.0, max(0.0, n_factors / n_latents - 0.4))
                dci = float(np.clip(dci, 0.01, 0.99))
                ces = scale * (1.2 - dci) * (1 + rng.normal(0, 0.05))
                row = {
                    "dataset": dataset,
                    "dataset_label": label,
                    "architecture": architecture,
                    "seed": seed,
                    "procedural": False,
                    "discrete": architecture == "vq_vae",
                    "n_latents": n_latents,
                    "n_factors": n_factors,
                    "n_active": int(rng.integers(3, n_latents + 1)),
                    "dci_disentanglement": dci,
                    "dci_completeness": dci + rng.normal(0.05, 0.02),
                    "dci_informativeness": 0.7 + rng.normal(0, 0.05),
                    "mig": 0.6 * dci + rng.normal(0, 0.02),
                    "sap": 0.3 * dci + rng.normal(0, 0.01),
                    "factor_vae_score": 0.5 + dci / 2 + rng.normal(0, 0.03),
                    "beta_vae_score": 0.6 + dci / 2 + rng.normal(0, 0.03),
                    "modularity_ridgeway": 0.8 + rng.normal(0, 0.03),
                    "explicitness": 0.75 + rng.normal(0, 0.03),
                    "ces": ces,
                    "ces_rms": ces / np.sqrt(channels * 64 * 64),
                    "specificity": 0.3 + dci / 2 + rng.normal(0, 0.02),
                    "modularity": 0.5 + rng.normal(0, 0.05),
                    "circuit_overlap": 0.4 + rng.normal(0, 0.05),
                    "reconstruction_loss": 100 * (1 + index) * (1 + dci) + rng.normal(0, 5),
                    "mean_image_loss": 300.0 * (1 + index),
                    "training_seconds": 3600 * (1 + rng.random()),
                }
                if architecture == "vq_vae":
                    row["ces"] = row["ces"] * 0.02
                    row["ces_rms"] = row["ces_rms"] * 0.02
                    row["ces_discrete"] = ces * (1 + rng.normal(0, 0.05))
                    row["ces_discrete_rms"] = row["ces_discrete"] / np.sqrt(channels * 64 * 64)
                    row["specificity_discrete"] = 0.4 + rng.normal(0, 0.02)
                    row["modularity_discrete"] = 0.45 + rng.normal(0, 0.05)
                    row["vq_perturbation_mode"] = "additive"
                    row["code_change_share"] = 0.2 + rng.normal(0, 0.02)
                    row["code_change_share_smallest_move"] = 0.05 + rng.normal(0, 0.01)
                    row["smallest_move"] = 1.0
                rows.append(row)
    return pd.DataFrame(rows)


def write_metrics(runs: pd.DataFrame, folder: Path) -> list[Path]:
    """One metrics.json per run (NaN written as null, as the metrics stage does)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in runs.to_dict("records"):
        record = {
            k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()
        }
        path = folder / f"{record['dataset']}_{record['architecture']}_{record['seed']}.json"
        path.write_text(json.dumps(record, default=lambda v: v.item()))
        paths.append(path)
    return paths
