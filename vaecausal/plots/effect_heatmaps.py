"""Latent-by-factor effect heatmaps: input manipulation (A) beside latent perturbation (E).

A factor the oracle cannot read (held-out accuracy below its floor) is hatched in E and named
"(not read)": its column is the oracle's noise, and the run's specificity leaves it out. With
more latents than ``bounds.MAX_LATENT_ROWS`` the top ones are drawn and the rest summarised in
one row (see ``bounds``).
"""

from __future__ import annotations

import warnings
from collections.abc import Collection

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.patches import Rectangle

from vaecausal.plots.bounds import LatentRows, fit_inches, latent_rows
from vaecausal.plots.style import unavailable_figure

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


def _strongest_factor_effect(factor_effect: np.ndarray) -> np.ndarray:
    """Per latent its largest oracle effect over factors; NaN for a latent not analysed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: not analysed
        return np.nanmax(factor_effect, axis=1)


def plot(
    input_effect: np.ndarray,
    pair_families: list[str],
    factor_effect: np.ndarray,
    factor_names: list[str],
    title: str,
    unread: Collection[str] = (),
    rows: LatentRows | None = None,
) -> plt.Figure:
    """``input_effect`` A (K, d); ``factor_effect`` E (d, K'). Both drawn latents x factors.
    ``unread``: the oracle's factors that the run's oracle-based metrics left out. ``rows``: the
    latents drawn (``bounds.latent_rows``); by default ranked by their largest factor effect,
    a latent whose E row is NaN counted as not analysed."""
    if rows is None:
        rows = latent_rows(_strongest_factor_effect(factor_effect), "largest oracle TV")
    if not len(rows.shown):
        return unavailable_figure(title, f"none of the {rows.n_latents} latents was analysed")
    labels = rows.labels()
    n_rows = len(labels)
    figure, axes = plt.subplots(
        1,
        2,
        figsize=fit_inches(4 + 0.9 * (len(pair_families) + len(factor_names)), 0.45 * n_rows + 2.2),
    )
    panels = (
        (
            rows.rows(input_effect.T),
            pair_families,
            "input manipulation\nE|Δμ_i| / std(μ_i)",
            "mako",
        ),
        (
            rows.rows(factor_effect),
            factor_names,
            "latent perturbation\noracle TV of the factor",
            "rocket",
        ),
    )
    for axis, (matrix, columns, label, cmap) in zip(axes, panels, strict=True):
        sns.heatmap(
            matrix,
            ax=axis,
            xticklabels=columns,
            yticklabels=labels,
            cmap=cmap,
            annot=n_rows <= 12,
            fmt=".2f",
            annot_kws={"fontsize": 7},
            cbar_kws={"label": label},
        )
        axis.set_xlabel("factor changed" if axis is axes[0] else "factor read by the oracle")
        axis.set_ylabel(rows.axis_label())
        if rows.summarised:  # the summary row set apart from the latents drawn one by one
            axis.axhline(len(rows.shown), color="white", linewidth=3)
    _mark_unread(axes[1], factor_names, unread, n_rows)
    for axis in axes:
        axis.tick_params(axis="x", rotation=45)
    described = rows.description()
    figure.suptitle(f"{title}\n{described}" if described else title)
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
