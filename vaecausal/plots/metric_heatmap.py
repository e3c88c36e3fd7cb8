"""Mean of each headline metric per architecture x dataset, as annotated heatmaps."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from vaecausal.plots.style import ARCHITECTURE_LABELS, ARCHITECTURE_ORDER

# column -> (title, number format)
PANELS = {
    "dci_disentanglement": ("DCI disentanglement", ".2f"),
    "dci_completeness": ("DCI completeness", ".2f"),
    "ces_rms": ("CES (per-pixel RMS)", ".3f"),
}


def plot(runs: pd.DataFrame) -> plt.Figure:
    order = [ARCHITECTURE_LABELS[a] for a in ARCHITECTURE_ORDER if a in set(runs["architecture"])]
    data = runs.assign(
        architecture=runs["architecture"].map(ARCHITECTURE_LABELS),
        dataset_label=runs["dataset_label"].map(lambda label: textwrap.fill(label, 14)),
    )
    n_datasets = data["dataset_label"].nunique()
    figure, axes = plt.subplots(
        1, len(PANELS), figsize=(len(PANELS) * (1.6 + 1.1 * n_datasets), 0.5 * len(order) + 2.2)
    )
    for axis, (column, (title, number_format)) in zip(axes, PANELS.items(), strict=True):
        table = data.pivot_table(
            index="architecture", columns="dataset_label", values=column, aggfunc="mean"
        ).reindex(order)
        sns.heatmap(table, annot=True, fmt=number_format, cmap="viridis", cbar=False, ax=axis)
        axis.set_title(title)
        axis.set_xlabel("")
        axis.set_ylabel("" if axis is not axes[0] else "architecture")
        axis.tick_params(axis="y", rotation=0)
    figure.suptitle("Mean over seeds")
    figure.tight_layout()
    return figure
