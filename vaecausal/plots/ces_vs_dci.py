"""Finding (i): CES against DCI disentanglement, one panel per dataset, one point per run, with the
least-squares line and the correlations of the findings table (so figure and table agree).

CES is drawn per pixel (CES_rms) where the runs have it, so panels of grey and colour datasets
read on the same scale; correlations within a dataset do not depend on that choice.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vaecausal.analysis.coverage import DISCRETE_ARCHITECTURES
from vaecausal.analysis.findings.tradeoff import ALL_RUNS, CONTINUOUS_RUNS
from vaecausal.plots.style import (
    architecture_label,
    architecture_markers,
    architecture_order,
    architecture_palette,
    panel_grid,
    unavailable,
    unavailable_figure,
)

TITLE = "Causal effect strength vs DCI disentanglement (one point per run)"
DCI = "dci_disentanglement"


def _ces_column(runs: pd.DataFrame) -> tuple[str, str] | None:
    """The CES column to draw and its axis label, or None when no run reports CES."""
    for column, label in (
        ("ces_rms", "CES (RMS pixel change)"),
        ("ces", "CES (L2 pixel change)"),
    ):
        if column in runs and runs[column].notna().any():
            return column, label
    return None


def _annotation(correlations: pd.DataFrame, dataset: str) -> str:
    """'all (n): ρ = … [CI], p = …' and, when the study has VQ-VAE, the same without it."""
    lines = []
    for run_set, name in ((ALL_RUNS, "all"), (CONTINUOUS_RUNS, "no VQ-VAE")):
        rows = correlations[
            (correlations["runs"] == run_set)
            & (correlations["dataset"] == dataset)
            & (correlations["method"] == "spearman")
        ]
        if rows.empty:
            continue
        row = rows.iloc[0]
        if np.isnan(row["estimate"]):
            reason = str(row["note"]).split(": ", 1)[-1]  # notes name their dataset
            lines.append(f"{name}: ρ n/a ({reason})")
            continue
        lines.append(
            f"{name} (n={row['n_runs']}): ρ={row['estimate']:.2f} "
            f"[{row['ci_low']:.2f}, {row['ci_high']:.2f}], p={row['p_value']:.2g}"
        )
    return "\n".join(lines)


def _fit_line(axis: plt.Axes, x: pd.Series, y: pd.Series, linestyle: str) -> bool:
    """Least-squares line over the runs' DCI range (needs 3 runs and a spread in DCI)."""
    if len(x) < 3 or x.nunique() < 2:
        return False
    slope, intercept = np.polyfit(x, y, 1)
    xs = np.linspace(x.min(), x.max(), 50)
    axis.plot(xs, slope * xs + intercept, color="0.25", linestyle=linestyle, linewidth=1.2)
    return True


def plot(runs: pd.DataFrame, correlations: pd.DataFrame) -> plt.Figure:
    """``runs``: the tidy runs table; ``correlations``: finding (i)'s table."""
    ces = _ces_column(runs)
    if ces is None or DCI not in runs or runs[DCI].isna().all():
        return unavailable_figure(TITLE, "no run reports both CES and DCI disentanglement")
    column, ces_label = ces
    data = runs.dropna(subset=[column, DCI])
    data = data.assign(architecture=data["architecture"].map(architecture_label))
    hue_order = [architecture_label(a) for a in architecture_order(runs["architecture"])]
    discrete_labels = [architecture_label(a) for a in DISCRETE_ARCHITECTURES]
    datasets = list(dict.fromkeys(runs.sort_values("dataset")["dataset"]))
    # One cell more than panels when the grid is full, so the legend never covers a panel.
    n_cells = len(datasets) + (1 if len(datasets) % 3 == 0 or len(datasets) < 3 else 0)
    figure, axes = panel_grid(n_cells, (3.8, 3.2))
    fits: set[str] = set()  # line styles drawn somewhere, for the legend
    for axis, dataset in zip(axes, datasets, strict=False):
        subset = data[data["dataset"] == dataset]
        label = runs.loc[runs["dataset"] == dataset, "dataset_label"].iloc[0]
        axis.set_title(label)
        if len(subset) == 0:
            unavailable(axis, "no run of this dataset has both CES and DCI")
            continue
        sns.scatterplot(
            data=subset,
            x=DCI,
            y=column,
            hue="architecture",
            style="architecture",
            hue_order=hue_order,
            style_order=hue_order,
            palette=architecture_palette(),
            markers=architecture_markers(),
            s=45,
            alpha=0.9,
            edgecolor="white",
            linewidth=0.4,
            ax=axis,
            legend=False,
            zorder=2,
        )
        if _fit_line(axis, subset[DCI], subset[column], "--"):
            fits.add("--")
        continuous = subset[~subset["architecture"].isin(discrete_labels)]
        if len(continuous) < len(subset) and _fit_line(
            axis, continuous[DCI], continuous[column], ":"
        ):
            fits.add(":")
        axis.text(
            0.02,
            0.98,
            _annotation(correlations, dataset),
            transform=axis.transAxes,
            va="top",
            fontsize=7,
        )
        low, high = min(0.0, subset[column].min()), subset[column].max()
        axis.set_ylim(low, high + 0.45 * (high - low))  # head-room for the annotation
        axis.xaxis.set_major_locator(plt.MaxNLocator(5, steps=[1, 2, 5, 10]))
        axis.set_xlabel("DCI disentanglement (0–1)")
        axis.set_ylabel(ces_label if axis.get_subplotspec().is_first_col() else "")
    legend_axis = axes[len(datasets)]
    legend_axis.set_axis_off()
    handles = [
        plt.Line2D(
            [],
            [],
            marker=architecture_markers()[name],
            color=architecture_palette()[name],
            linestyle="",
            markersize=7,
            label=name,
        )
        for name in hue_order
    ]
    for linestyle, label in (("--", "fit, all runs"), (":", "fit, no VQ-VAE")):
        if linestyle in fits:
            handles.append(plt.Line2D([], [], color="0.25", linestyle=linestyle, label=label))
    legend_axis.legend(
        handles=handles, loc="center", frameon=False, title="architecture", fontsize=9
    )
    figure.suptitle(
        TITLE + "\nρ: Spearman [95% bootstrap CI], two-sided permutation p; "
        "pixel intensities in [0, 1]",
        fontsize=11,
    )
    figure.tight_layout()
    return figure
