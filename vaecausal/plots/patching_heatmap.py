"""Activation patching: restoration of every encoder unit for every factor, one panel per layer.

With more hook points than fit (``bounds.MAX_HOOK_POINTS``, fewer where many factors make each
panel tall), the panels of the hook points with the largest restoration are drawn, in the
order they run, and the title says how many are left out and how strong they get."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from vaecausal.plots.bounds import MAX_HOOK_POINTS, MAX_INCHES, fit_inches, top_in_order

# a factor's row height in inches, the least it shrinks to, and the room titles take
_ROW, _MIN_ROW, _MARGIN = 0.32, 0.12, 1.0


def _strongest(r: np.ndarray) -> float:
    """A hook point's largest restoration (NaN where it has none)."""
    if not r.size:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmax(r))


def plot(restoration: dict[str, np.ndarray], factors: list[str], title: str) -> plt.Figure:
    """``restoration``: hook point -> R (U, K). Units are sorted by their strongest factor so
    circuits show as blocks; the colour scale is shared by all layers drawn."""
    names = list(restoration)
    strongest = [_strongest(r) for r in restoration.values()]
    top = float(np.nan_to_num(_strongest(np.asarray(strongest)))) or 1.0
    room = MAX_INCHES - _MARGIN
    fitting = max(1, int(room // (_MIN_ROW * max(len(factors), 1))))
    layers = [names[i] for i in top_in_order(strongest, min(MAX_HOOK_POINTS, fitting))]
    row = min(_ROW, room / max(len(factors) * len(layers), 1))
    figure, axes = plt.subplots(
        len(layers),
        1,
        figsize=fit_inches(11, _MARGIN + row * len(factors) * len(layers)),
        squeeze=False,
    )
    for axis, name in zip(axes[:, 0], layers, strict=True):
        r = np.nan_to_num(restoration[name])
        order = np.lexsort((-r.max(axis=1), r.argmax(axis=1)))
        sns.heatmap(
            r[order].T,
            ax=axis,
            vmin=0,
            vmax=top,
            cmap="viridis",
            yticklabels=factors,
            xticklabels=False,
            cbar_kws={"label": "restoration R", "pad": 0.01},
        )
        axis.set_ylabel(f"{name}\n({r.shape[0]} units)", rotation=0, ha="right", va="center")
        axis.tick_params(axis="y", rotation=0)
        if row < 0.25:  # rows shrunk to fit many factors
            axis.tick_params(axis="y", labelsize=7)
    axes[-1, 0].set_xlabel("unit (sorted by its strongest factor)")
    left_out = [s for name, s in zip(names, strongest, strict=True) if name not in layers]
    if left_out:
        largest = np.nan_to_num(_strongest(np.asarray(left_out)))
        title += (
            f"\n{len(layers)} of {len(names)} hook points with the largest restoration, in the "
            f"order they run; the other {len(left_out)} reach R ≤ {largest:.2f}"
        )
    figure.suptitle(title)
    # room for the title's lines: tight_layout alone lets a second one reach the first panel
    lines = title.count("\n") + 1
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.25 * (lines - 1) / figure.get_figheight()))
    return figure
