"""Latent-by-factor effect heatmaps: input manipulation (A) beside latent perturbation (E)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns


def plot(
    input_effect: np.ndarray,
    pair_families: list[str],
    factor_effect: np.ndarray,
    factor_names: list[str],
    title: str,
) -> plt.Figure:
    """``input_effect`` A (K, d); ``factor_effect`` E (d, K'). Both drawn latents x factors."""
    d = input_effect.shape[1]
    latents = [f"z{i}" for i in range(d)]
    figure, axes = plt.subplots(
        1, 2, figsize=(4 + 0.9 * (len(pair_families) + len(factor_names)), 0.45 * d + 2.2)
    )
    panels = (
        (input_effect.T, pair_families, "input manipulation\nE|Δμ_i| / std(μ_i)", "mako"),
        (factor_effect, factor_names, "latent perturbation\noracle TV of the factor", "rocket"),
    )
    for axis, (matrix, columns, label, cmap) in zip(axes, panels, strict=True):
        sns.heatmap(
            matrix,
            ax=axis,
            xticklabels=columns,
            yticklabels=latents,
            cmap=cmap,
            annot=d <= 12,
            fmt=".2f",
            annot_kws={"fontsize": 7},
            cbar_kws={"label": label},
        )
        axis.set_xlabel("factor changed" if axis is axes[0] else "factor read by the oracle")
        axis.set_ylabel("latent")
        axis.tick_params(axis="x", rotation=45)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
