"""CES against DCI disentanglement, one panel per dataset, one point per run (finding i)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vaecausal.plots.style import ARCHITECTURE_LABELS, architecture_palette


def plot(runs: pd.DataFrame) -> plt.Figure:
    data = runs.assign(architecture=runs["architecture"].map(ARCHITECTURE_LABELS))
    datasets = list(dict.fromkeys(data["dataset_label"]))
    figure, axes = plt.subplots(
        1, len(datasets), figsize=(4.2 * len(datasets) + 1.5, 3.8), squeeze=False
    )
    for axis, dataset in zip(axes[0], datasets, strict=True):
        subset = data[data["dataset_label"] == dataset]
        sns.scatterplot(
            data=subset,
            x="dci_disentanglement",
            y="ces_rms",
            hue="architecture",
            style="architecture",
            palette=architecture_palette(),
            s=70,
            ax=axis,
            legend=axis is axes[0][-1],
        )
        finite = subset[["dci_disentanglement", "ces_rms"]].dropna()
        if len(finite) >= 3 and finite["dci_disentanglement"].nunique() > 1:
            slope, intercept = np.polyfit(finite["dci_disentanglement"], finite["ces_rms"], 1)
            dci = finite["dci_disentanglement"]
            xs = np.linspace(dci.min(), dci.max())
            axis.plot(xs, slope * xs + intercept, color="0.3", linestyle="--", linewidth=1)
            rho = finite.corr(method="spearman").iloc[0, 1]
            axis.text(
                0.03,
                0.95,
                f"Spearman ρ = {rho:.2f} (n={len(finite)})",
                transform=axis.transAxes,
                va="top",
                fontsize=9,
            )
        axis.set_title(dataset)
        axis.set_xlabel("DCI disentanglement")
        axis.set_ylabel("CES (per-pixel RMS)")
    legend = axes[0][-1].get_legend()
    if legend is not None:
        sns.move_legend(axes[0][-1], "upper left", bbox_to_anchor=(1.02, 1), title="architecture")
    figure.suptitle("Causal effect strength vs DCI disentanglement (one point per run)")
    figure.tight_layout()
    return figure
