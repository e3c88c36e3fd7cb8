"""The figures' shared look and the one way they are written (PNG for screens, PDF for papers)."""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

ARCHITECTURE_ORDER = ("vae", "beta_vae", "factor_vae", "beta_tc_vae", "dip_vae_ii", "vq_vae")
ARCHITECTURE_LABELS = {
    "vae": "VAE",
    "beta_vae": "β-VAE",
    "factor_vae": "FactorVAE",
    "beta_tc_vae": "β-TC-VAE",
    "dip_vae_ii": "DIP-VAE-II",
    "vq_vae": "VQ-VAE",
}


def apply_style() -> None:
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.2)
    plt.rcParams.update({"figure.dpi": 150, "savefig.bbox": "tight", "pdf.fonttype": 42})


def architecture_label(name: str) -> str:
    """Display name of an architecture; unknown names (a new objective) are shown as they are."""
    return ARCHITECTURE_LABELS.get(name, name)


def architecture_order(names: object) -> list[str]:
    """The architectures present in ``names``, in the house order, unknown ones last."""
    present = set(names)  # type: ignore[call-overload]
    known = [a for a in ARCHITECTURE_ORDER if a in present]
    return known + sorted(present - set(known))


def _others(labels: Iterable[str]) -> list[str]:
    """The display names in ``labels`` that are not the six reference architectures' (a user's
    own models, size variants), in the order given."""
    known = set(ARCHITECTURE_LABELS.values())
    return [label for label in dict.fromkeys(labels) if label not in known]


def architecture_markers(labels: Iterable[str] = ()) -> dict[str, str]:
    """One fixed marker per reference architecture (display name), so colour is not the only
    cue; the other ``labels`` get further markers in their order (consistent within a figure
    that passes all its labels)."""
    markers = ("o", "s", "D", "^", "v", "P")
    fixed = {ARCHITECTURE_LABELS[a]: m for a, m in zip(ARCHITECTURE_ORDER, markers, strict=True)}
    extra = itertools.cycle(("X", "*", "<", ">", "p", "h", "8"))
    return fixed | {label: next(extra) for label in _others(labels)}


def panel_grid(
    n_panels: int, panel_size: tuple[float, float], max_columns: int = 3
) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure of ``n_panels`` axes on a grid at most ``max_columns`` wide; spare cells hidden.

    Returns the visible axes in reading order, then the hidden ones (free room for a legend).
    """
    columns = max(1, min(max_columns, n_panels))
    rows = max(1, math.ceil(n_panels / columns))
    figure, axes = plt.subplots(
        rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows), squeeze=False
    )
    flat = list(axes.flat)
    for axis in flat[n_panels:]:
        axis.set_axis_off()
    return figure, flat


def unavailable(axis: plt.Axes, reason: str) -> None:
    """Mark a panel whose data do not exist yet, saying why, instead of leaving it blank."""
    axis.set_axis_off()
    axis.text(
        0.5,
        0.5,
        "not available:\n" + textwrap.fill(reason, 40),
        transform=axis.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        color="0.35",
        bbox={"boxstyle": "round,pad=0.6", "facecolor": "0.96", "edgecolor": "0.75"},
    )


def unavailable_figure(title: str, reason: str) -> plt.Figure:
    """A whole figure that cannot be drawn from a partial study: one labelled panel."""
    figure, axis = plt.subplots(figsize=(6.0, 3.0))
    unavailable(axis, reason)
    figure.suptitle(title)
    return figure


def architecture_palette(labels: Iterable[str] = ()) -> dict[str, tuple[float, float, float]]:
    """One fixed colour per reference architecture, so every figure uses the same; the other
    ``labels`` get the colour-blind palette's remaining colours, then the dark palette's."""
    colours = sns.color_palette("colorblind", 10)
    fixed = dict(zip((ARCHITECTURE_LABELS[a] for a in ARCHITECTURE_ORDER), colours, strict=False))
    spare = itertools.cycle(colours[len(fixed) :] + sns.color_palette("dark", 10))
    return fixed | {label: next(spare) for label in _others(labels)}


def save_figure(figure: plt.Figure, png_path: Path) -> None:
    """Write ``png_path`` and the PDF beside it, then free the figure."""
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png_path)
    figure.savefig(png_path.with_suffix(".pdf"))
    plt.close(figure)
