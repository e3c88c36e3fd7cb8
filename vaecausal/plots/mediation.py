"""Causal mediation of one model: each treatment's total effect on its outcome, and how the
units of each encoder layer carry it one at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vaecausal.interventions.mediation import ALPHA, TotalEffect, unit_shares
from vaecausal.plots.bounds import fit_inches, top_in_order
from vaecausal.plots.style import unavailable, unavailable_figure

# Two-sided 95% normal interval of TE, drawn for runs whose record has no bootstrap interval.
_Z95 = 1.96
# A stored interval per treatment: [low, high], either bound null where undefined, or null.
Interval = Sequence[float | None] | None
# layer names longer than this together are drawn upright; legend entries per column
_LABEL_CHARACTERS, _LEGEND_ROWS = 48, 20
# what a panel's title adds where a layer's units were a random subset
SAMPLED = {
    "sum over units": " (a subset's, scaled to the layer)",
    "strongest unit": " (of the units patched)",
}
# the height of a title's line in inches
_TITLE_LINE = 0.25


def _share_table(
    unit_nie: dict[str, np.ndarray],
    totals: list[TotalEffect],
    treatments: list[str],
    unit_scales: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Per layer and treatment with a defined share: the sum of its units' NIE/TE (over a
    random subset of units, scaled to the layer by ``unit_scales``, as metrics.json's) and the
    strongest unit's |NIE/TE|."""
    rows = []
    for name, nie in unit_nie.items():
        scale = (unit_scales or {}).get(name, 1.0)
        for t, (treatment, total) in enumerate(zip(treatments, totals, strict=True)):
            share = unit_shares(nie[:, t], total)
            if np.isnan(share).all():
                continue
            where = {"layer": name.removeprefix("encoder."), "treatment": treatment}
            rows.append({**where, "kind": "sum over units", "share": float(share.sum()) * scale})
            rows.append({**where, "kind": "strongest unit", "share": float(np.abs(share).max())})
    return pd.DataFrame(rows, columns=["layer", "treatment", "kind", "share"])


def _strongest_layers(
    table: pd.DataFrame, unit_nie: dict[str, np.ndarray]
) -> tuple[pd.DataFrame, int]:
    """(``table`` cut to the ``bounds.MAX_HOOK_POINTS`` layers whose strongest unit carries the
    largest share of any treatment, number of layers left out): a model with dozens of hook
    points keeps a readable axis."""
    layers = [name.removeprefix("encoder.") for name in unit_nie]
    strongest = table[table["kind"] == "strongest unit"].groupby("layer")["share"].max()
    kept = [layers[i] for i in top_in_order(strongest.reindex(layers).to_numpy())]
    return table[table["layer"].isin(kept)], len(layers) - len(kept)


def _bounds(
    totals: list[TotalEffect], intervals: list[Interval] | None
) -> tuple[list[tuple[float, float]], str]:
    """Per treatment (low, high) of TE's 95% interval (NaN where undefined: no bar) and the axis
    label naming it: the run's bootstrap interval over its pairs where the record has one, else
    the normal interval from TE's standard error (runs that predate the bootstrap)."""
    if intervals is None:
        normal = [
            (t.value - _Z95 * t.standard_error, t.value + _Z95 * t.standard_error) for t in totals
        ]
        return normal, "TE on the outcome latent (95% normal CI)"
    bootstrap = [
        (np.nan, np.nan) if not i or None in i else (float(i[0]), float(i[1])) for i in intervals
    ]
    return bootstrap, "TE, in SDs of the projected code\n(95% bootstrap CI over this run's pairs)"


def _total_effects(
    axis: plt.Axes,
    totals: list[TotalEffect],
    treatments: list[str],
    intervals: list[Interval] | None,
) -> None:
    """TE with its 95% interval per treatment; hollow markers where TE is noise. The interval is
    drawn from its bounds, not as an error around TE: a bootstrap interval need not hold it."""
    bounds, label = _bounds(totals, intervals)
    for row, (total, (low, high)) in enumerate(zip(totals, bounds, strict=True)):
        colour = "C0" if total.distinguishable else "0.55"
        axis.plot([low, high], [row, row], color=colour, marker="|", markersize=8)
        axis.plot(
            total.value,
            row,
            "o",
            color=colour,
            markerfacecolor=colour if total.distinguishable else "white",
        )
    axis.axvline(0.0, color="black", linewidth=0.8)
    axis.set_yticks(range(len(treatments)), treatments)
    axis.invert_yaxis()
    axis.set_xlabel(label)
    axis.set_title(f"total effect (hollow: p ≥ {ALPHA}, shares undefined)", fontsize=9)


def plot(
    unit_nie: dict[str, np.ndarray],
    totals: list[TotalEffect],
    treatments: list[str],
    title: str,
    intervals: list[Interval] | None = None,
    unit_scales: dict[str, float] | None = None,
) -> plt.Figure:
    """``unit_nie``: hook point -> NIE per unit and treatment (U, T); ``totals`` TE per treatment;
    ``intervals`` TE's 95% bootstrap interval per treatment (``total_effect_ci`` of the run's
    ``metrics.json``; None for a run that predates it); ``unit_scales`` hook point -> its units
    over those patched, where a random subset was (``selection.unit_scale``).

    Bars: per encoder layer, the sum of the units' NIE/TE (above 1: units overlap; below: they
    act jointly) and the strongest single unit's share, for the treatments whose TE is told
    apart from noise; the others are listed as undefined rather than drawn as ratios of noise.
    """
    if all(np.isnan(t.value) for t in totals):
        return unavailable_figure(
            title, "no active latent (posterior collapse): nothing to mediate"
        )
    shares = _share_table(unit_nie, totals, treatments, unit_scales)
    table, left_out = _strongest_layers(shares, unit_nie)
    sampled = any(scale > 1 for scale in (unit_scales or {}).values())
    size = fit_inches(15, 1.6 + 0.35 * max(len(treatments), 6))
    figure, axes = plt.subplots(1, 3, figsize=size, width_ratios=[1, 1.3, 1.3])
    _total_effects(axes[0], totals, treatments, intervals)
    undefined = [
        t for t, total in zip(treatments, totals, strict=True) if not total.distinguishable
    ]
    for axis, kind in zip(axes[1:], ("sum over units", "strongest unit"), strict=True):
        part = table[table["kind"] == kind]
        if part.empty:
            unavailable(axis, f"no treatment's TE is told apart from noise (p < {ALPHA})")
            continue
        sns.barplot(part, x="layer", y="share", hue="treatment", ax=axis, palette="colorblind")
        axis.axhline(1.0, color="black", linestyle="--", linewidth=1)
        axis.set_ylabel("NIE / TE")
        axis.set_xlabel("encoder layer")
        axis.set_title(kind + (SAMPLED[kind] if sampled else ""))
        axis.get_legend().remove()
        layers = part["layer"].unique()
        if len(layers) * max(len(layer) for layer in layers) > _LABEL_CHARACTERS:
            axis.tick_params(axis="x", rotation=90, labelsize=9)
    if not table.empty:
        handles, labels = axes[1].get_legend_handles_labels()
        axes[2].legend(
            handles,
            labels,
            title="treatment",
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            ncol=math.ceil(len(labels) / _LEGEND_ROWS),
        )
    top = 1.03
    if left_out and not table.empty:
        title += (
            f"\n{len(unit_nie) - left_out} of {len(unit_nie)} encoder hook points whose strongest "
            f"unit carries the largest share, in the order they run; {left_out} not drawn"
        )
        top += _TITLE_LINE / size[1]
    figure.suptitle(title, y=top)
    if undefined:
        # below the lowest axis' labels (long layer names are drawn upright)
        renderer = figure.canvas.get_renderer()
        lowest = min(axis.get_tightbbox(renderer).y0 for axis in axes) / figure.bbox.height
        figure.text(
            0.5,
            min(-0.1, lowest - _TITLE_LINE / size[1]),
            f"Shares undefined (TE within noise): {', '.join(undefined)}",
            ha="center",
            fontsize=9,
            color="0.3",
        )
    return figure
