"""Causal mediation per encoder layer: how the factor -> latent effect spreads over its units."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def plot(
    unit_nie: dict[str, np.ndarray], total_effect: np.ndarray, factors: list[str], title: str
) -> plt.Figure:
    """``unit_nie``: hook point -> NIE per unit and factor (U, K); ``total_effect`` TE (K,).

    A whole layer mediates everything in a feed-forward chain (NIE/TE = 1, the dashed line); the
    bars show how much of that the layer's units carry one at a time: the sum of their NIE/TE
    (above 1: units overlap; below: they act jointly) and the single strongest unit's share.
    """
    rows = []
    for name, nie in unit_nie.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            share = nie / total_effect
        for k, factor in enumerate(factors):
            rows.append(
                {
                    "layer": name.split(".")[1],
                    "factor": factor,
                    "kind": "sum over units",
                    "share": share[:, k].sum(),
                }
            )
            rows.append(
                {
                    "layer": name.split(".")[1],
                    "factor": factor,
                    "kind": "strongest unit",
                    "share": np.nanmax(np.abs(share[:, k])),
                }
            )
    table = pd.DataFrame(rows)
    grid = sns.catplot(
        table,
        x="layer",
        y="share",
        hue="factor",
        col="kind",
        kind="bar",
        height=3.4,
        aspect=1.3,
        sharey=False,
        palette="colorblind",
    )
    for axis in grid.axes.flat:
        axis.axhline(1.0, color="black", linestyle="--", linewidth=1)
        axis.set_ylabel("NIE / TE")
        axis.set_xlabel("encoder layer")
    grid.set_titles("{col_name}")
    grid.figure.suptitle(title, y=1.04)
    return grid.figure
