"""Latent traversal grid: one row per latent, one column per perturbation value."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot(images: np.ndarray, values: list[float], ces: np.ndarray, title: str) -> plt.Figure:
    """``images``: (d, V, 64, 64, C) in [0, 1], decoded from one evaluation code with latent i
    perturbed by value v (set to it, or for a VQ-VAE's additive form moved by it); each row is
    labelled with its latent's CES so dead rows explain themselves."""
    d, n_values = images.shape[:2]
    figure, axes = plt.subplots(d, n_values, figsize=(0.95 * n_values + 1.2, 0.95 * d + 0.8))
    axes = np.atleast_2d(axes)
    for i in range(d):
        for k in range(n_values):
            image = images[i, k]
            axis = axes[i, k]
            axis.imshow(
                image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=1
            )
            axis.set_xticks([])
            axis.set_yticks([])
            if i == d - 1:
                axis.set_xlabel(f"{values[k]:+g}")
        axes[i, 0].set_ylabel(f"z{i}\nCES {ces[i]:.1f}", rotation=0, ha="right", va="center")
    figure.suptitle(f"{title}\n(perturbation value: columns)")
    figure.tight_layout()
    return figure
