"""Evaluation images (top row) above their reconstructions (bottom row)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot(originals: np.ndarray, reconstructions: np.ndarray, title: str) -> plt.Figure:
    """``originals`` and ``reconstructions``: (n, 64, 64, C) floats in [0, 1]."""
    n = len(originals)
    figure, axes = plt.subplots(2, n, figsize=(1.3 * n, 3.0), squeeze=False)
    for column in range(n):
        for row, images in enumerate((originals, reconstructions)):
            image = images[column]
            axis = axes[row, column]
            axis.imshow(
                image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=1
            )
            axis.set_xticks([])
            axis.set_yticks([])
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("recon.")
    figure.suptitle(title)
    figure.tight_layout()
    return figure
