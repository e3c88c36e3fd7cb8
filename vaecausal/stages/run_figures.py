"""Stage ``run_figures``: the figures of one run: training curves, reconstructions, latent
traversals, latent-by-factor effect heatmaps, patching heatmap per layer, share mediated.

Effects come from ``effects.npz``; what the metrics stage decided from them comes from
``metrics.json``: which factors the oracle-based metrics left out, and the bootstrap intervals of
the total effects.

Every figure stays readable whatever the model's size (see ``plots.bounds``): the figures with a
row per latent draw at most ``MAX_LATENT_ROWS`` latents, the top ones by CES (the mean pixel
effect of perturbing the latent, from ``pixel_effect_norms``) when there are more, the heatmaps
with the rest's mean in one row; a latent not analysed (``analysed_latents`` false, or its CES
NaN) is only counted. Hook points are cut to the strongest ``MAX_HOOK_POINTS``, and no PNG is
wider or taller than ``MAX_PIXELS``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from vaecausal.adapters.protocol import VAEAdapter, decode_latents, model_device
from vaecausal.adapters.saved import load_model
from vaecausal.analysis.oracle_factors import excluded_factors
from vaecausal.catalog import RUN_FIGURES
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_meta
from vaecausal.interventions import effects as keys
from vaecausal.interventions.latent_perturbation import grid_perturbation
from vaecausal.interventions.mediation import stored_total_effects
from vaecausal.interventions.selection import unit_scale
from vaecausal.metrics.causal import ces_per_latent
from vaecausal.models.device import choose_device
from vaecausal.plots import (
    effect_heatmaps,
    mediation,
    patching_heatmap,
    reconstructions,
    training_curves,
    traversals,
)
from vaecausal.plots.bounds import MAX_PIXELS, latent_rows
from vaecausal.plots.style import apply_style, save_figure, unavailable_figure
from vaecausal.stages.logs import Log

N_RECONSTRUCTIONS = 10


def _channels_last(images: torch.Tensor) -> np.ndarray:
    return images.permute(0, 2, 3, 1).cpu().numpy()


@torch.no_grad()
def _reconstruct(
    model: VAEAdapter, prepared_dir: Path, indices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(images, reconstructions) of the indexed images, (n, 64, 64, C) in [0, 1]."""
    device = model_device(model)
    x = BatchGatherer(open_images(prepared_dir), device, resident=False).gather(indices)
    decoded = decode_latents(model, model.summarise(x)["latents"])
    return _channels_last(x), _channels_last(decoded)


@torch.no_grad()
def _traversal_images(
    model: VAEAdapter, latents: np.ndarray, values: list[float], mode: str, shown: np.ndarray
) -> np.ndarray:
    """(len(shown), V, 64, 64, C): the first evaluation code with each latent in ``shown``
    perturbed by each value, in the ``mode`` the intervene stage used."""
    if not len(shown):  # no latent analysed: nothing to decode
        return np.zeros((0, len(values), 0, 0, 0), dtype=np.float32)
    all_latents = torch.as_tensor(latents, device=model_device(model))
    chosen = torch.as_tensor(shown, dtype=torch.long, device=all_latents.device)
    codes = grid_perturbation(model, all_latents, values, mode).codes(all_latents[:1], chosen)[0]
    n_shown, n_values = codes.shape[:2]
    images = decode_latents(model, codes.flatten(0, 1))
    return _channels_last(images).reshape(n_shown, n_values, *images.shape[2:], images.shape[1])


def _names(array: np.ndarray) -> list[str]:
    return [str(v) for v in array]


def run(model_path: Path, **stage: Any) -> None:
    """The stage as a rule runs it: the model stored at ``model_path``, then ``draw`` with the
    same keyword arguments (all but ``model``)."""
    draw(load_model(model_path, choose_device()), **stage)


def draw(
    model: VAEAdapter,
    losses_path: Path | None,
    latents_path: Path,
    effects_path: Path,
    metrics_path: Path,
    prepared_dir: Path,
    out_dir: Path,
    title: str,
    log: Log,
) -> None:
    """The figures of a model already loaded; ``metrics_path`` is the run's ``metrics.json``. A
    model trained outside the project has no losses (no file, or one without rows): its
    training-curves figure says so."""
    apply_style()
    out_dir = Path(out_dir)
    title = f"{title} on {read_meta(prepared_dir).label}"
    losses = pd.read_csv(losses_path) if losses_path is not None else pd.DataFrame()
    record = json.loads(Path(metrics_path).read_text())
    figures = {
        "training_curves": (
            training_curves.plot(losses, title)
            if len(losses)
            else unavailable_figure(title, "trained outside the project: no training losses")
        )
    }
    with np.load(latents_path) as cached:
        latents, indices = cached["eval_latents"], cached["eval_indices"][:N_RECONSTRUCTIONS]
    originals, decoded = _reconstruct(model, prepared_dir, indices)
    figures["reconstructions"] = reconstructions.plot(
        originals, decoded, f"{title}: reconstructions"
    )
    with np.load(effects_path) as stored:
        effects = dict(stored)
    values = effects[keys.VALUES].tolist()
    ces = ces_per_latent(effects[keys.PIXEL_EFFECT_NORMS])
    if keys.ANALYSED_LATENTS in effects:  # the latents the intervene stage perturbed
        ces = np.where(effects[keys.ANALYSED_LATENTS], ces, np.nan)
    rows = latent_rows(ces, "CES")
    figures["traversals"] = traversals.plot(
        _traversal_images(model, latents, values, str(effects[keys.PERTURBATION_MODE]), rows.shown),
        values,
        ces,
        f"{title}: latent traversals",
        rows=rows,
    )
    families = _names(effects[keys.PAIR_FAMILIES])
    figures["effect_heatmaps"] = effect_heatmaps.plot(
        effects[keys.INPUT_EFFECT],
        families,
        effects[keys.FACTOR_EFFECT],
        _names(effects[keys.ORACLE_FACTORS]),
        f"{title}: latent-by-factor effects",
        unread=excluded_factors(record),
        rows=rows,
    )
    encoder = _names(effects[keys.ENCODER_HOOKS])
    figures["patching_heatmap"] = patching_heatmap.plot(
        {name: effects[keys.patching_key(name)] for name in encoder},
        families,
        f"{title}: activation patching of encoder units",
    )
    figures["mediation"] = mediation.plot(
        {name: effects[keys.mediation_key("nie", name)] for name in encoder},
        stored_total_effects(effects),
        _names(effects[keys.TREATMENTS]),
        f"{title}: causal mediation of directed treatments by encoder units",
        intervals=record["mediation"].get("total_effect_ci"),
        unit_scales={name: unit_scale(effects, name) for name in encoder},
    )
    for name in RUN_FIGURES:
        save_figure(figures[name], out_dir / f"{name}.png", max_pixels=MAX_PIXELS)
    log(f"wrote {', '.join(RUN_FIGURES)} (PNG and PDF) to {out_dir}")
