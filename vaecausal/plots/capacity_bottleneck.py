"""Finding (ii): DCI of beta-VAE and VAE against varying factors per latent dimension (left), and
their log ratio (difference of mean log DCI) with its Welch t 95% CI (right), with the
least-squares slope that the verdict tests drawn through each latent-size sweep.

Each x tick names the dataset and its factors/latents, since datasets sit close on that axis and
point labels would collide. A latent-size sweep shows as one line per dataset on a numeric axis.
Datasets without a ratio (CelebA: its factors are attributes) are named under the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from vaecausal.analysis.findings.capacity import BASELINE, POOLED, TREATED
from vaecausal.plots.style import (
    architecture_label,
    architecture_markers,
    architecture_palette,
    unavailable,
    unavailable_figure,
)

TITLE = "β-VAE capacity bottleneck: DCI as varying factors approach the latent dimension"
MAX_NAMED = 6


def _x_axis(axis: plt.Axes, table: pd.DataFrame) -> None:
    """Log x (ratios span CelebA's 40/10 to dSprites' 5/10). Up to MAX_NAMED ratios get a tick
    each naming the dataset; a latent-size sweep has more, so it gets plain numeric ticks and its
    lines are named at their ends instead."""
    ratios = sorted(set(table["factors_per_latent"]))
    axis.set_xscale("log")
    axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    if len(ratios) <= MAX_NAMED:
        names = [
            ", ".join(dict.fromkeys(group["dataset_label"]))
            + f" ({group['n_factors'].iloc[0]:g}/{group['n_latents'].iloc[0]:g})"
            for _, group in table.groupby("factors_per_latent")
        ]
        axis.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ratios))
        axis.xaxis.set_major_formatter(matplotlib.ticker.FixedFormatter(names))
        axis.tick_params(axis="x", labelrotation=40, labelsize=8)
        for label in axis.get_xticklabels():
            label.set_horizontalalignment("right")
        axis.set_xlabel("dataset (varying factors / latent dimensions), log scale")
    else:
        axis.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.set_xlabel("varying factors / latent dimensions, log scale")
    axis.set_xlim(ratios[0] / 1.25, ratios[-1] * 1.25)
    if ratios[0] < 1 < ratios[-1]:
        axis.axvline(1.0, color="0.6", linewidth=0.8, linestyle=":")
        axis.text(
            1.02,
            0.98,
            "factors = latents",
            transform=axis.get_xaxis_transform(),
            fontsize=7,
            color="0.45",
            va="top",
        )


def _sweep_lines(axis: plt.Axes, table: pd.DataFrame, y: str, colour: str, name: bool) -> None:
    """Join the points of each dataset's latent-size sweep; optionally name it at its right end."""
    for _, group in table.dropna(subset=[y]).groupby("dataset"):
        if len(group) < 2:
            continue
        group = group.sort_values("factors_per_latent")
        axis.plot(group["factors_per_latent"], group[y], color=colour, linewidth=1, alpha=0.6)
        if name:
            axis.annotate(
                group["dataset_label"].iloc[-1],
                (group["factors_per_latent"].iloc[-1], group[y].iloc[-1]),
                xytext=(5, 0),
                textcoords="offset points",
                fontsize=7.5,
                color="0.3",
                va="center",
            )


def _dci_panel(axis: plt.Axes, table: pd.DataFrame) -> None:
    for architecture, nudge in ((BASELINE, 0.985), (TREATED, 1.015)):
        label = architecture_label(architecture)
        colour, marker = architecture_palette()[label], architecture_markers()[label]
        rows = table.dropna(subset=[f"{architecture}_mean"])
        _sweep_lines(axis, rows, f"{architecture}_mean", colour, name=False)
        axis.errorbar(
            rows["factors_per_latent"] * nudge,  # side by side where both sit at one ratio
            rows[f"{architecture}_mean"],
            yerr=rows[f"{architecture}_std"].fillna(0),
            fmt=marker,
            color=colour,
            markersize=6,
            capsize=2.5,
            label=f"{label}, mean ± s.d. over seeds",
        )
    _x_axis(axis, table)
    axis.set_ylabel("DCI disentanglement (0–1)")
    axis.set_title("DCI per architecture")


def _slope_lines(axis: plt.Axes, table: pd.DataFrame, trend: pd.DataFrame) -> None:
    """Each swept dataset's fitted slope, through the mean of its gaps at its mean ratio (where a
    least-squares line passes), over the ratios it spans: straight in the ratio, so it bends on the
    log axis."""
    swept = table[table["in_trend"].astype(bool)]
    label = "least-squares slope over a sweep"
    for row in trend[trend["dataset"] != POOLED].dropna(subset=["slope"]).itertuples():
        levels = swept[swept["dataset"] == row.dataset]
        ratios = np.linspace(row.ratio_low, row.ratio_high, 50)
        centre = levels["factors_per_latent"].mean()
        gaps = levels["difference"].mean() + row.slope * (ratios - centre)
        axis.plot(ratios, gaps, color="tab:red", linestyle="--", linewidth=1.2, label=label)
        label = None


def _difference_panel(axis: plt.Axes, table: pd.DataFrame, trend: pd.DataFrame | None) -> None:
    compared = table.dropna(subset=["difference"])
    if compared.empty:
        unavailable(axis, "no dataset has both VAE and β-VAE runs")
        return
    has_ci = compared["ci_low"].notna()
    error = np.vstack(
        [
            (compared["difference"] - compared["ci_low"]).where(has_ci, 0),
            (compared["ci_high"] - compared["difference"]).where(has_ci, 0),
        ]
    )
    axis.errorbar(
        compared["factors_per_latent"],
        compared["difference"],
        yerr=error,
        fmt="o",
        color="0.2",
        capsize=3,
        label="log(β-VAE / VAE), difference of mean log DCI, Welch t 95% CI",
    )
    axis.axhline(0, color="0.5", linewidth=1)
    _sweep_lines(axis, compared, "difference", "0.2", name=True)
    if trend is not None:
        _slope_lines(axis, compared, trend)
    _x_axis(axis, compared)
    axis.set_ylabel("log(β-VAE DCI / VAE DCI)")
    axis.set_title("β-VAE against VAE (log ratio)")


def _off_axis(capacity: pd.DataFrame) -> str:
    """Names of the datasets compared without a ratio, with the reason the table gives."""
    rows = capacity[capacity["factors_per_latent"].isna()].drop_duplicates("dataset")
    return "; ".join(f"{r.dataset_label}: {r.note}" for r in rows.itertuples())


def plot(capacity: pd.DataFrame, trend: pd.DataFrame | None = None) -> plt.Figure:
    """``capacity`` and ``trend``: finding (ii)'s tables (without ``trend`` no slope is drawn)."""
    table = capacity.dropna(subset=["factors_per_latent"])
    if table.empty:
        reason = (
            "the study has no VAE or β-VAE run"
            if capacity.empty
            else "no factors/latents ratio (" + _off_axis(capacity) + ")"
        )
        return unavailable_figure(TITLE, reason)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9.5, 4.4))
    _dci_panel(left, table.sort_values("factors_per_latent"))
    _difference_panel(right, table.sort_values("factors_per_latent"), trend)
    handles = [h for axis in (left, right) for h in axis.get_legend_handles_labels()[0]]
    off_axis = _off_axis(capacity)
    footnote = 0.035 if off_axis else 0.0  # height kept free under the legend for the footnote
    figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, footnote),
        ncol=2,
        frameon=False,
        fontsize=8.5,
    )
    if off_axis:
        figure.text(0.5, 0.01, "Not on the ratio axis: " + off_axis, ha="center", fontsize=7.5)
    figure.suptitle(TITLE, fontsize=11)
    figure.tight_layout(rect=(0, 0.11 + footnote, 1, 1))
    return figure
