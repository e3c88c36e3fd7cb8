"""Finding (i): CES against DCI disentanglement, one panel per dataset: each run a small point,
each model's mean over its seeds a large one (the unit the finding is tested on: an architecture
or a strength variant), the least-squares line through the continuous-latent model means, and the
correlations of the findings table (so figure and table agree).

CES is drawn per pixel (CES_rms) where the runs have it, so panels of grey and colour datasets
read on the same scale; correlations within a dataset do not depend on that choice.

A vertical bar through a run's point is its 95% bootstrap interval over the run's evaluation codes
(``ces_rms_ci_low``/``_high`` of the runs table), where the run reports one: how stable that one
number is. It is not the finding's uncertainty, which comes from the seeds (the model means).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vaecausal.analysis.aggregate import discrete_runs
from vaecausal.analysis.findings.tradeoff import (
    ALL_RUNS,
    ARCHITECTURE_MEANS,
    CONTINUOUS_RUNS,
    MODEL_MEANS,
    RUNS,
)
from vaecausal.plots.style import (
    architecture_label,
    architecture_markers,
    architecture_order,
    architecture_palette,
    panel_grid,
    unavailable,
    unavailable_figure,
)

TITLE = "Causal effect strength vs DCI disentanglement (small: runs; large: model means)"
DCI = "dci_disentanglement"
# (run set, unit, name in the annotation): the test first, then the descriptions.
ANNOTATED = (
    (CONTINUOUS_RUNS, MODEL_MEANS, "models"),
    (CONTINUOUS_RUNS, ARCHITECTURE_MEANS, "architectures"),
    (ALL_RUNS, MODEL_MEANS, "with VQ-VAE"),
    (CONTINUOUS_RUNS, RUNS, "runs, descriptive"),
)
INTERVAL_LABEL = (
    "bar: one run's 95% bootstrap interval\nover its evaluation codes (the tests\nuse seeds as "
    "the unit, not bars)"
)


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
    """'models (k=10): ρ = … , p = …' (one-sided, the test), the same over the reference
    architectures and with VQ-VAE (when the study has it), and over single runs (no p: runs of one
    model are not independent)."""
    lines = []
    for run_set, unit, name in ANNOTATED:
        rows = correlations[
            (correlations["runs"] == run_set)
            & (correlations["unit"] == unit)
            & (correlations["dataset"] == dataset)
            & (correlations["method"] == "spearman")
        ]
        if rows.empty:
            continue
        row = rows.iloc[0]
        if np.isnan(row["estimate"]):
            reason = str(row["note"]).split(": ", 1)[-1]  # notes name their dataset
            lines.append(f"{name}: ρ n/a ({reason.split('; ')[-1]})")
        elif unit == RUNS:
            lines.append(f"{name} (n={row['n_runs']}): ρ={row['estimate']:.2f}")
        else:
            lines.append(
                f"{name} (k={row['n_architectures']}): ρ={row['estimate']:.2f}, "
                f"p={row['p_value']:.2g}"
            )
    return "\n".join(lines)


def _fit_line(axis: plt.Axes, x: pd.Series, y: pd.Series) -> bool:
    """Least-squares line over the DCI range of the points (needs 3 and a spread in DCI)."""
    if len(x) < 3 or x.nunique() < 2:
        return False
    slope, intercept = np.polyfit(x, y, 1)
    xs = np.linspace(x.min(), x.max(), 50)
    axis.plot(xs, slope * xs + intercept, color="0.25", linestyle="--", linewidth=1.2)
    return True


def _scatter(axis: plt.Axes, points: pd.DataFrame, column: str, hue_order: list[str], **style):
    """One point per row of ``points``, coloured and shaped by architecture."""
    sns.scatterplot(
        data=points,
        x=DCI,
        y=column,
        hue="architecture",
        style="architecture",
        hue_order=hue_order,
        style_order=hue_order,
        palette=architecture_palette(hue_order),
        markers=architecture_markers(hue_order),
        ax=axis,
        legend=False,
        **style,
    )


def _run_intervals(axis: plt.Axes, subset: pd.DataFrame, column: str, hue_order: list[str]) -> bool:
    """A vertical bar from each run's interval low to high, in its architecture's colour, behind
    the points; runs without an interval get none. Whether any bar was drawn."""
    low, high = f"{column}_ci_low", f"{column}_ci_high"
    if low not in subset or high not in subset:
        return False
    bounded = subset.dropna(subset=[low, high])
    palette = architecture_palette(hue_order)
    axis.vlines(
        bounded[DCI],
        bounded[low],
        bounded[high],
        colors=[palette[a] for a in bounded["architecture"]],
        alpha=0.45,
        linewidth=0.9,
        zorder=1,
    )
    return len(bounded) > 0


def _y_range(subset: pd.DataFrame, column: str) -> tuple[float, float]:
    """From zero (or the lowest point or bar below it) to the highest point or bar."""
    drawn = [c for c in (column, f"{column}_ci_low", f"{column}_ci_high") if c in subset]
    values = subset[drawn]
    return min(0.0, values.min().min()), float(values.max().max())


def _panel(axis: plt.Axes, subset: pd.DataFrame, column: str, hue_order: list[str]) -> bool:
    """Runs with their intervals, model means and the fit through the continuous-latent means;
    whether a fit was drawn."""
    _scatter(axis, subset, column, hue_order, s=16, alpha=0.45, linewidth=0, zorder=2)
    means = subset.groupby(["architecture", "continuous"], as_index=False)[[DCI, column]].mean()
    _scatter(
        axis, means, column, hue_order, s=80, alpha=1.0, edgecolor="0.15", linewidth=0.8, zorder=3
    )
    continuous = means[means["continuous"]]
    return _fit_line(axis, continuous[DCI], continuous[column])


def plot(runs: pd.DataFrame, correlations: pd.DataFrame) -> plt.Figure:
    """``runs``: the tidy runs table; ``correlations``: finding (i)'s table."""
    ces = _ces_column(runs)
    if ces is None or DCI not in runs or runs[DCI].isna().all():
        return unavailable_figure(TITLE, "no run reports both CES and DCI disentanglement")
    column, ces_label = ces
    data = runs.dropna(subset=[column, DCI])
    data = data.assign(
        architecture=data["architecture"].map(architecture_label), continuous=~discrete_runs(data)
    )
    hue_order = [architecture_label(a) for a in architecture_order(runs["architecture"])]
    datasets = list(dict.fromkeys(runs.sort_values("dataset")["dataset"]))
    # One cell more than panels when the grid is full, so the legend never covers a panel.
    n_cells = len(datasets) + (1 if len(datasets) % 3 == 0 or len(datasets) < 3 else 0)
    figure, axes = panel_grid(n_cells, (3.8, 3.2))
    fitted = bars = False
    for axis, dataset in zip(axes, datasets, strict=False):
        subset = data[data["dataset"] == dataset]
        label = runs.loc[runs["dataset"] == dataset, "dataset_label"].iloc[0]
        axis.set_title(label)
        if len(subset) == 0:
            unavailable(axis, "no run of this dataset has both CES and DCI")
            continue
        bars |= _run_intervals(axis, subset, column, hue_order)
        fitted |= _panel(axis, subset, column, hue_order)
        axis.text(
            0.02,
            0.98,
            _annotation(correlations, dataset),
            transform=axis.transAxes,
            va="top",
            fontsize=7,
        )
        low, high = _y_range(subset, column)
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
            marker=architecture_markers(hue_order)[name],
            color=architecture_palette(hue_order)[name],
            linestyle="",
            markersize=7,
            label=name,
        )
        for name in hue_order
    ]
    if fitted:
        handles.append(
            plt.Line2D([], [], color="0.25", linestyle="--", label="fit, model means (no VQ-VAE)")
        )
    if bars:
        handles.append(plt.Line2D([], [], color="0.4", marker="|", label=INTERVAL_LABEL))
    legend_axis.legend(
        handles=handles, loc="center", frameon=False, title="architecture", fontsize=9
    )
    figure.suptitle(
        TITLE + "\nρ: Spearman of model means (seeds averaged), one-sided permutation p over "
        "model labels; runs: description only; pixel intensities in [0, 1]",
        fontsize=11,
    )
    figure.tight_layout()
    return figure
