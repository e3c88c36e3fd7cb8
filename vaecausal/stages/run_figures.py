"""Stage ``run_figures``: the figures of one run (training curves, reconstructions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_meta
from vaecausal.models.device import choose_device
from vaecausal.models.saved import load_model
from vaecausal.plots import reconstructions, training_curves
from vaecausal.plots.style import apply_style, save_figure
from vaecausal.stages.logs import Log

N_RECONSTRUCTIONS = 10


def _channels_last(images: torch.Tensor) -> np.ndarray:
    return images.permute(0, 2, 3, 1).cpu().numpy()


@torch.no_grad()
def _reconstruct(
    model_path: Path, prepared_dir: Path, indices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(images, reconstructions) of the indexed images, (n, 64, 64, C) in [0, 1]."""
    device = choose_device()
    model = load_model(model_path, device)
    x = BatchGatherer(open_images(prepared_dir), device).gather(indices)
    logits = model.decode_latents(model.summarise(x)["latents"])
    return _channels_last(x), _channels_last(torch.sigmoid(logits))


def run(
    losses_path: Path,
    model_path: Path,
    latents_path: Path,
    prepared_dir: Path,
    curves_path: Path,
    reconstructions_path: Path,
    title: str,
    log: Log,
) -> None:
    apply_style()
    label = read_meta(prepared_dir).label
    save_figure(training_curves.plot(pd.read_csv(losses_path), f"{title} on {label}"), curves_path)
    with np.load(latents_path) as cached:
        indices = cached["eval_indices"][:N_RECONSTRUCTIONS]
    originals, decoded = _reconstruct(model_path, prepared_dir, indices)
    figure = reconstructions.plot(originals, decoded, f"{title} on {label}: reconstructions")
    save_figure(figure, reconstructions_path)
    log(f"wrote {curves_path.name} and {reconstructions_path.name}")
