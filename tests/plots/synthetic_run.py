"""A run's files as ``run_figures.draw`` reads them, for a model with any number of latents and
encoder hook points: an untrained residual VAE, its evaluation codes, and effect arrays whose
answer is known (latent ``strongest`` has the largest CES; ``not_analysed`` latents are NaN)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.adapters.foreign import ResidualVAE
from vaecausal.adapters.module import ModuleAdapter
from vaecausal.data.store import read_meta
from vaecausal.stages import run_figures

VALUES = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
N_EVAL = 16


@dataclass(frozen=True)
class SyntheticRun:
    model: ModuleAdapter
    latents_path: Path
    effects_path: Path
    metrics_path: Path
    ces: np.ndarray  # (d,) the CES the effects give each latent (NaN: not analysed)

    def draw(self, prepared_dir: Path, out_dir: Path) -> None:
        """Its figures, as the run_figures stage draws them for a model without losses."""
        run_figures.draw(
            self.model,
            None,
            self.latents_path,
            self.effects_path,
            self.metrics_path,
            prepared_dir,
            out_dir,
            "vae",
            print,
        )


def latent_ces(d: int, strongest: int, not_analysed: Sequence[int] = ()) -> np.ndarray:
    """A CES per latent, decreasing with the index but for ``strongest``, the largest, and NaN
    for ``not_analysed``."""
    ces = np.linspace(2.0, 0.1, d)
    ces[strongest] = 5.0
    ces[list(not_analysed)] = np.nan
    return ces


def write_run(
    folder: Path,
    prepared_dir: Path,
    d: int = 256,
    n_hooks: int = 34,
    strongest: int = 200,
    not_analysed: Sequence[int] = (),
) -> SyntheticRun:
    """Write ``latents.npz``, ``effects.npz`` and ``metrics.json`` of a ``d``-latent model with
    ``n_hooks`` encoder hook points (named as a diffusers AutoencoderKL's) into ``folder``."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = ModuleAdapter(ResidualVAE(n_latents=d).eval())
    factors = read_meta(prepared_dir).factor_names
    rng = np.random.default_rng(0)
    ces = latent_ces(d, strongest, not_analysed)
    norms = ces[None, :, None] * rng.uniform(0.5, 1.5, (N_EVAL, d, len(VALUES)))
    norms *= 1.0 / norms.mean(axis=(0, 2))[None, :, None] * ces[None, :, None]
    factor_effect = np.outer(ces, np.linspace(0.2, 0.05, len(factors)))
    input_effect = rng.uniform(0, 0.3, (len(factors), d))
    input_effect[:, list(not_analysed)] = np.nan
    hooks = [
        f"encoder.down_blocks.{i // 4}.resnets.{i % 4}.conv{i % 2 + 1}" for i in range(n_hooks)
    ]
    treatments = [f"{name} up" for name in factors]
    effects: dict[str, np.ndarray] = {
        "values": np.asarray(VALUES),
        "perturbation_mode": np.asarray("set"),
        "pixel_effect_norms": norms.astype(np.float32),
        "analysed_latents": ~np.isnan(ces),
        "pair_families": np.asarray(factors),
        "input_effect": input_effect,
        "factor_effect": factor_effect,
        "oracle_factors": np.asarray(factors),
        "encoder_hooks": np.asarray(hooks),
        "mediation.treatments": np.asarray(treatments),
        "mediation.total_effect": np.full(len(treatments), 0.4),
        "mediation.total_effect_se": np.full(len(treatments), 0.05),
        "mediation.total_effect_p": np.full(len(treatments), 1e-6),
        "mediation.pairs": np.full(len(treatments), 16),
    }
    for h, name in enumerate(hooks):
        units = 128 * (1 + h % 4)
        effects[f"patching.{name}"] = rng.uniform(0, 0.1 + 0.02 * h, (units, len(factors)))
        effects[f"mediation.nie.{name}"] = rng.normal(0, 0.01, (units, len(treatments)))
    with torch.no_grad():
        latents = model.encode_latents(torch.zeros(N_EVAL, 1, 64, 64)).numpy()
    paths = folder / "latents.npz", folder / "effects.npz", folder / "metrics.json"
    np.savez(paths[0], eval_latents=latents, eval_indices=np.arange(N_EVAL))
    np.savez(paths[1], **effects)
    interval = [0.3, 0.5]
    paths[2].write_text(json.dumps({"mediation": {"total_effect_ci": [interval] * len(factors)}}))
    return SyntheticRun(model, *paths, ces)
