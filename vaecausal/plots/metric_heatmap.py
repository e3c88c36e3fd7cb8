"""Mean over seeds of the standard disentanglement scores, architecture x dataset, one annotated
heatmap per score. ``draw`` is shared with the causal metrics' heatmap.

Only metrics some run reports get a panel, so the figure grows as the metric suite lands; a grey
cell is a dataset x architecture no run reports the metric for.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from vaecausal.catalog import STANDARD_COLUMNS
from vaecausal.plots.style import (
    architecture_label,
    architecture_order,
    panel_grid,
    unavailable_figure,
)

TITLE = "Disentanglement scores: mean over seeds per architecture and dataset"
# column -> (panel title, number format): the catalog's standard scores
PANELS = {column.key: (column.panel, ".2f") for column in STANDARD_COLUMNS}


def _heatmap(axis: plt.Axes, table: pd.DataFrame, number_format: str) -> None:
    """An annotated heatmap of ``table`` (rows top to bottom), NaN cells left grey.

    Drawn with matplotlib directly: seaborn's heatmap redraws the whole figure once per call to
    check its tick labels, which makes a 9-panel figure take seconds per panel.
    """
    values = table.to_numpy(float)
    colours = plt.get_cmap("viridis")
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
    norm = plt.Normalize(low, high if high > low else low + 1e-12)
    axis.set_facecolor("0.88")
    axis.grid(False)
    axis.pcolormesh(
        np.ma.masked_invalid(values), cmap=colours, norm=norm, edgecolors="white", linewidth=0.5
    )
    for (row, column), value in np.ndenumerate(values):
        if np.isfinite(value):
            red, green, blue, _ = colours(norm(value))
            luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
            axis.text(
                column + 0.5,
                row + 0.5,
                format(value, number_format),
                ha="center",
                va="center",
                fontsize=7,
                color="black" if luminance > 0.408 else "white",
            )
    axis.set_xlim(0, values.shape[1])
    axis.set_ylim(values.shape[0], 0)
    axis.set_xticks(np.arange(values.shape[1]) + 0.5, table.columns)
    axis.set_yticks(np.arange(values.shape[0]) + 0.5, table.index)
    axis.tick_params(axis="both", rotation=0, labelsize=7.5, length=0)
    for spine in axis.spines.values():
        spine.set_visible(False)


def draw(runs: pd.DataFrame, panels: dict[str, tuple[str, str]], title: str) -> plt.Figure:
    """One heatmap per reported metric of ``panels``, each with its own colour scale."""
    panels = {c: p for c, p in panels.items() if c in runs and runs[c].notna().any()}
    if not panels:
        return unavailable_figure(title, "no run reports any of these metrics yet")
    order = [architecture_label(a) for a in architecture_order(runs["architecture"])]
    data = runs.assign(
        architecture=runs["architecture"].map(architecture_label),
        dataset_label=runs["dataset_label"].map(
            lambda label: textwrap.fill(label, 12, break_long_words=False)
        ),
    )
    columns = list(dict.fromkeys(data.sort_values("dataset")["dataset_label"]))
    means = data.groupby(["architecture", "dataset_label"])[list(panels)].mean()
    figure, axes = panel_grid(
        len(panels),
        # wide enough for a panel title even with a single dataset column
        (max(2.6, 1.2 + 0.55 * len(columns)), 0.28 * len(order) + 1.3),
        max_columns=2 if len(panels) in (2, 4) else 3,
    )
    for axis, (column, (panel_title, number_format)) in zip(axes, panels.items(), strict=False):
        table = means[column].unstack("dataset_label").reindex(index=order, columns=columns)
        _heatmap(axis, table, number_format)
        axis.set_title(textwrap.fill(panel_title, 24), fontsize=9.5)
        if not axis.get_subplotspec().is_first_col():
            axis.set_yticklabels([])
    figure.suptitle(f"{title}\n(colour scale per panel; grey: not reported)", fontsize=10.5)
    figure.tight_layout()
    return figure


def plot(runs: pd.DataFrame) -> plt.Figure:
    return draw(runs, PANELS, TITLE)
