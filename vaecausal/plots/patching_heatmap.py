"""Activation patching: restoration of every encoder unit for every factor, one panel per layer."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns


def plot(restoration: dict[str, np.ndarray], factors: list[str], title: str) -> plt.Figure:
    """``restoration``: hook point -> R (U, K). Units are sorted by their strongest factor so
    circuits show as blocks; the colour scale is shared by all layers."""
    layers = list(restoration)
    top = max(float(np.nanmax(r)) for r in restoration.values()) or 1.0
    figure, axes = plt.subplots(
        len(layers), 1, figsize=(11, 1.0 + 0.32 * len(factors) * len(layers))
    )
    axes = np.atleast_1d(axes)
    for axis, name in zip(axes, layers, strict=True):
        r = np.nan_to_num(restoration[name])
        order = np.lexsort((-r.max(axis=1), r.argmax(axis=1)))
        sns.heatmap(
            r[order].T,
            ax=axis,
            vmin=0,
            vmax=top,
            cmap="viridis",
            yticklabels=factors,
            xticklabels=False,
            cbar_kws={"label": "restoration R", "pad": 0.01},
        )
        axis.set_ylabel(f"{name}\n({r.shape[0]} units)", rotation=0, ha="right", va="center")
        axis.tick_params(axis="y", rotation=0)
    axes[-1].set_xlabel("unit (sorted by its strongest factor)")
    figure.suptitle(title)
    figure.tight_layout()
    return figure
