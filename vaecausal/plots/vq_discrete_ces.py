"""Finding (iv): VQ-VAE's continuous CES (move z_e, then quantise) beside its discrete CES
(swap codes), with the other architectures' continuous CES on the same dataset for scale.

Bars are means over seeds, dots single runs, on a per-pixel scale (RMS) so datasets share an axis;
a thin line through a VQ-VAE run's dot is its 95% bootstrap interval over the run's evaluation
codes (how stable that run's number is; the finding's interval comes from the seeds).
The label over each group is, from the findings table, the tested ratio R of VQ-VAE's continuous
CES to the other architectures' (geometric means) with its 95% interval, the paired ratio
discrete / continuous and, where the runs report it, the share of continuous perturbations that
changed the code: a continuous CES near zero means little only if the codes did not change.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from vaecausal.analysis.aggregate import discrete_runs
from vaecausal.analysis.findings.discrete import MARGIN
from vaecausal.plots.style import unavailable_figure

TITLE = "VQ-VAE: continuous vs discrete causal effect strength"
# (bar label, column, which runs, colour)
BARS = (
    ("VQ-VAE, continuous (perturb z_e)", "ces_rms", True, "#9ecae1"),
    ("VQ-VAE, discrete (swap codes)", "ces_discrete_rms", True, "#08519c"),
    ("other architectures, continuous (mean of architecture means)", "ces_rms", False, "0.75"),
)
DOTS = "dot: one VQ-VAE run / one other architecture's mean"
# The title's line for the runs' intervals (in the legend it would widen the axes' width).
RUN_INTERVALS = (
    "line on a VQ-VAE run's dot: its 95% bootstrap interval over its evaluation codes "
    "(R uses seeds)"
)


def _values(runs: pd.DataFrame, dataset: str, column: str, vq: bool) -> np.ndarray:
    """Per-run values of the VQ-VAE, or the other architectures' means (one per architecture)."""
    if column not in runs:
        return np.array([])
    rows = runs[(runs["dataset"] == dataset) & (discrete_runs(runs) == vq)]
    if vq:
        return rows[column].dropna().to_numpy(float)
    return rows.groupby("architecture")[column].mean().dropna().to_numpy(float)


def _run_intervals(runs: pd.DataFrame, dataset: str, column: str) -> np.ndarray:
    """(n, 2) low and high of the VQ-VAE runs' intervals, in ``_values``' order (NaN where a
    run reports none)."""
    rows = runs[(runs["dataset"] == dataset) & discrete_runs(runs)]
    rows = rows[rows[column].notna()]
    bounds = [f"{column}_ci_low", f"{column}_ci_high"]
    return rows.reindex(columns=bounds).to_numpy(float)


def _interval_lines(axis: plt.Axes, xs: np.ndarray, intervals: np.ndarray) -> bool:
    """A thin line from low to high at each run's dot; none where the run has no interval.
    Whether any was drawn."""
    drawn = ~np.isnan(intervals).any(axis=1)
    axis.vlines(xs[drawn], intervals[drawn, 0], intervals[drawn, 1], color="black", linewidth=0.8)
    return bool(drawn.any())


def _once(label: str, labelled: set[str]) -> str | None:
    """``label`` the first time it is asked for, then None: one legend entry per series."""
    if label in labelled:
        return None
    labelled.add(label)
    return label


def _ratio_label(row: tuple) -> str:
    """'R estimate [low, high]' (no interval where the dataset is untested), or 'R n/a'."""
    ratio, low, high = (
        row.continuous_to_others,
        row.continuous_to_others_ci_low,
        row.continuous_to_others_ci_high,
    )
    if np.isnan(ratio):
        return "R n/a"
    return f"R {ratio:.2g}" + ("" if np.isnan(low) else f" [{low:.2g}, {high:.2g}]")


def _group_label(row: tuple) -> str:
    """R with its interval, 'disc. ×ratio', and the mean code-change share where reported."""
    paired = row.discrete_to_continuous
    lines = [_ratio_label(row), "disc. n/a" if np.isnan(paired) else f"disc. ×{paired:.3g}"]
    if not np.isnan(row.code_change_share_mean):
        lines.append(f"{100 * row.code_change_share_mean:.0f}% codes changed")
    return "\n".join(lines)


def plot(runs: pd.DataFrame, discrete: pd.DataFrame) -> plt.Figure:
    """``runs``: the tidy runs table; ``discrete``: finding (iv)'s table."""
    if discrete.empty:
        return unavailable_figure(TITLE, "the study has no VQ-VAE run")
    datasets = list(discrete["dataset"])
    width = 0.26
    labelled: set[str] = set()
    intervals = False
    figure, axis = plt.subplots(figsize=(max(7.0, 1.2 + 1.5 * len(datasets)), 4.2))
    for offset, (label, column, vq, colour) in zip((-1, 0, 1), BARS, strict=True):
        for i, dataset in enumerate(datasets):
            values = _values(runs, dataset, column, vq)
            x = i + offset * width
            if len(values) == 0:
                axis.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7, color="0.4")
                continue
            axis.bar(
                x,
                values.mean(),
                width,
                color=colour,
                edgecolor="0.2",
                linewidth=0.5,
                label=_once(label, labelled),
            )
            xs = x + np.linspace(-width / 5, width / 5, len(values)) * (len(values) > 1)
            axis.scatter(xs, values, s=10, color="black", zorder=3, label=_once(DOTS, labelled))
            if vq:
                intervals |= _interval_lines(axis, xs, _run_intervals(runs, dataset, column))
    top = axis.get_ylim()[1]
    for i, row in enumerate(discrete.itertuples()):
        axis.text(i, top * 1.02, _group_label(row), ha="center", va="bottom", fontsize=9)
    axis.set_ylim(0, top * 1.3)
    axis.set_xticks(range(len(datasets)))
    axis.set_xticklabels(discrete["dataset_label"])
    axis.set_ylabel("CES, RMS pixel change (intensity 0–1)")
    axis.grid(axis="x", visible=False)
    handles, labels = axis.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i] == DOTS)
    axis.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncol=2,
        frameon=False,
        fontsize=8.5,
    )
    axis.set_title(
        TITLE
        + f"\nR: VQ-VAE / others, continuous CES (geometric means, 95% CI; near zero < {MARGIN:g})"
        + "\ndisc.: discrete / continuous CES (paired); %: perturbations that changed the code"
        + (f"\n{RUN_INTERVALS}" if intervals else ""),
        fontsize=10.5,
    )
    figure.tight_layout()
    return figure
