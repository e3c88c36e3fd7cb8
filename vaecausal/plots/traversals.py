"""Latent traversal grid: one row per latent, one column per perturbation value; with more
latents than ``bounds.MAX_LATENT_ROWS``, the rows of the top latents by CES only."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from vaecausal.plots.bounds import MAX_INCHES, LatentRows, latent_rows
from vaecausal.plots.style import unavailable_figure

# a cell's side in inches, and the room the row labels and the titles take
_CELL, _LABELS, _TITLES = 0.95, 1.2, 0.8


def plot(
    images: np.ndarray,
    values: list[float],
    ces: np.ndarray,
    title: str,
    rows: LatentRows | None = None,
) -> plt.Figure:
    """``images``: (d, V, 64, 64, C) in [0, 1], decoded from one evaluation code with latent i
    perturbed by value v (set to it, or for a VQ-VAE's additive form moved by it); each row is
    labelled with its latent's CES (``ces`` (d,), NaN for a latent not analysed) so dead rows
    explain themselves. ``rows`` (``bounds.latent_rows``): the latents drawn, whose traversals
    ``images`` then holds alone, in their order; by default chosen from ``ces``."""
    if rows is None:
        rows = latent_rows(ces, "CES")
        images = images[rows.shown]
    elif len(images) != len(rows.shown):
        raise ValueError(f"{len(images)} traversals for {len(rows.shown)} latents drawn")
    if not len(rows.shown):
        return unavailable_figure(title, f"none of the {rows.n_latents} latents was analysed")
    n_rows, n_values = images.shape[:2]
    cell = min(_CELL, (MAX_INCHES - _LABELS) / n_values, (MAX_INCHES - _TITLES) / n_rows)
    figure, axes = plt.subplots(
        n_rows,
        n_values,
        figsize=(cell * n_values + _LABELS, cell * n_rows + _TITLES),
        squeeze=False,
    )
    for row, latent in enumerate(rows.shown):
        for k in range(n_values):
            image = images[row, k]
            axis = axes[row, k]
            axis.imshow(
                image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=1
            )
            axis.set_xticks([])
            axis.set_yticks([])
            if row == n_rows - 1:
                axis.set_xlabel(f"{values[k]:+g}")
        axes[row, 0].set_ylabel(
            f"z{latent}\nCES {ces[latent]:.1f}", rotation=0, ha="right", va="center"
        )
    described = rows.description(rest="not drawn")
    figure.suptitle(
        f"{title}\n(perturbation value: columns)" + (f"\n{described}" if described else "")
    )
    figure.tight_layout()
    return figure
