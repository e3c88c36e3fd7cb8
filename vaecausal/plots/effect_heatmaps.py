"""Latent-by-factor effect heatmaps: input manipulation (A) beside latent perturbation (E).

A factor the oracle cannot read (held-out accuracy below its floor) is hatched in E and named
"(not read)": its column is the oracle's noise, and the run's specificity leaves it out.
"""

from __future__ import annotations

from collections.abc import Collection

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.patches import Rectangle

NOT_READ = "not read"


def _mark_unread(
    axis: plt.Axes, factor_names: list[str], unread: Collection[str], n_latents: int
) -> None:
    """Hatch the columns of the factors in ``unread`` and add "(not read)" to their labels."""
    for column, name in enumerate(factor_names):
        if name in unread:
            axis.add_patch(
                Rectangle((column, 0), 1, n_latents, fill=False, hatch="///", edgecolor="0.4", lw=0)
            )
    axis.set_xticklabels(
        [f"{name} ({NOT_READ})" if name in unread else name for name in factor_names]
    )


def plot(
    input_effect: np.ndarray,
    pair_families: list[str],
    factor_effect: np.ndarray,
    factor_names: list[str],
    title: str,
    unread: Collection[str] = (),
) -> plt.Figure:
    """``input_effect`` A (K, d); ``factor_effect`` E (d, K'). Both drawn latents x factors.
    ``unread``: the oracle's factors that the run's oracle-based metrics left out."""
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
    _mark_unread(axes[1], factor_names, unread, d)
    for axis in axes:
        axis.tick_params(axis="x", rotation=45)
    figure.suptitle(title)
    if any(name in unread for name in factor_names):
        figure.text(
            0.5,
            0.0,
            f"hatched, '{NOT_READ}': the oracle reads the factor below its accuracy floor; "
            "left out of specificity",
            ha="center",
            va="top",
            fontsize=8,
            color="0.3",
        )
    figure.tight_layout()
    return figure
