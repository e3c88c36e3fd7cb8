"""Finding (iii): rank of each architecture on each dataset, by DCI and by CES (1 = highest mean).

Lines join an architecture's ranks across datasets only to make it easy to follow; datasets have
no order. A filled marker is a clear top place (significantly above every other architecture on
that dataset, the table's ``clear``), an open one is not.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd

from vaecausal.analysis.findings.ranking import RANK_METRICS
from vaecausal.plots.style import (
    architecture_label,
    architecture_markers,
    architecture_order,
    architecture_palette,
    unavailable,
)

TITLE = "Architecture ranks per dataset (1 = highest mean over seeds)"


def _draw(axis: plt.Axes, ranks: pd.DataFrame, top: pd.DataFrame, datasets: list[str]) -> None:
    """One metric's bump chart."""
    position = {dataset: i for i, dataset in enumerate(datasets)}
    clear = set(top.loc[top["clear"].astype(bool), "dataset"])
    labels = [architecture_label(a) for a in ranks["architecture"].unique()]
    for architecture in architecture_order(ranks["architecture"]):
        label = architecture_label(architecture)
        rows = ranks[ranks["architecture"] == architecture].sort_values(
            "dataset", key=lambda d: d.map(position)
        )
        x = rows["dataset"].map(position)
        colour, marker = architecture_palette(labels)[label], architecture_markers(labels)[label]
        axis.plot(x, rows["rank"], color=colour, linewidth=1.2, alpha=0.6, zorder=1)
        for xi, (_, row) in zip(x, rows.iterrows(), strict=True):
            filled = row["rank"] > 1 or row["dataset"] in clear
            axis.plot(
                xi,
                row["rank"],
                marker=marker,
                markersize=8,
                color=colour,
                markerfacecolor=colour if filled else "white",
                markeredgewidth=1.5,
                linestyle="",
                zorder=2,
            )
    n_architectures = int(ranks["rank"].max())
    axis.set_ylim(n_architectures + 0.5, 0.5)
    axis.set_yticks(range(1, n_architectures + 1))
    axis.set_xticks(range(len(datasets)))
    labels = ranks.drop_duplicates("dataset").set_index("dataset")["dataset_label"]
    axis.set_xticklabels(
        [textwrap.fill(str(labels.get(d, d)), 12, break_long_words=False) for d in datasets]
    )
    axis.set_xlim(-0.4, len(datasets) - 0.6)
    axis.set_ylabel("rank")
    axis.grid(axis="x", visible=False)


def plot(ranks: pd.DataFrame, top: pd.DataFrame) -> plt.Figure:
    """``ranks`` and ``top``: finding (iii)'s tables."""
    datasets = sorted(set(ranks["dataset"]))
    figure, axes = plt.subplots(
        1, len(RANK_METRICS), figsize=(2.0 + 1.8 * max(2, len(datasets)), 3.8), squeeze=False
    )
    for axis, (metric, label) in zip(axes[0], RANK_METRICS.items(), strict=True):
        axis.set_title(f"by {label}")
        metric_ranks = ranks[ranks["metric"] == metric]
        if metric_ranks.empty:
            unavailable(axis, f"no run reports {label}")
            continue
        _draw(axis, metric_ranks, top[top["metric"] == metric], datasets)
    names = [architecture_label(a) for a in architecture_order(ranks["architecture"])]
    handles = [
        plt.Line2D(
            [],
            [],
            marker=architecture_markers(names)[name],
            color=architecture_palette(names)[name],
            markersize=8,
            label=name,
        )
        for name in names
    ]
    if handles:
        figure.legend(
            handles=handles,
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            frameon=False,
            title="architecture\n(open marker: top place\nnot significantly above\nall others)",
            fontsize=9,
            title_fontsize=9,
        )
    figure.suptitle(TITLE, fontsize=11)
    figure.tight_layout()
    return figure
