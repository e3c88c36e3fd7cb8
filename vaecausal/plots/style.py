"""The figures' shared look and the one way they are written (PNG for screens, PDF for papers)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from vaecausal.catalog import ARCHITECTURE_LABELS, OBJECTIVES  # noqa: E402


def apply_style() -> None:
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.2)
    plt.rcParams.update({"figure.dpi": 150, "savefig.bbox": "tight", "pdf.fonttype": 42})


def architecture_label(name: str) -> str:
    """Display name of an architecture; unknown names (a new objective) are shown as they are."""
    return ARCHITECTURE_LABELS.get(name, name)


def architecture_order(names: object) -> list[str]:
    """The architectures present in ``names``, in the catalog's order, unknown ones last."""
    present = set(names)  # type: ignore[call-overload]
    known = [a for a in OBJECTIVES if a in present]
    return known + sorted(present - set(known))


def _labels(names: Iterable[str]) -> list[str]:
    """The house architectures' display names (``vaecausal/catalog.py``), then the other
    ``names`` (a study's external models) sorted: their place, hence colour and marker, is fixed
    within a figure."""
    house = [ARCHITECTURE_LABELS[a] for a in OBJECTIVES]
    return house + sorted(set(names) - set(house))


def architecture_markers(names: Iterable[str] = ()) -> dict[str, str]:
    """One fixed marker per architecture (display name), so colour is not the only cue; display
    names in ``names`` beyond the house architectures get further ones."""
    markers = ("o", "s", "D", "^", "v", "P", "X", "*", "p", "h")
    labels = _labels(names)
    return {label: markers[i % len(markers)] for i, label in enumerate(labels)}


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


def architecture_palette(names: Iterable[str] = ()) -> dict[str, tuple[float, float, float]]:
    """One fixed colour per architecture, so every figure uses the same; display names in
    ``names`` beyond the house architectures get further colours."""
    labels = _labels(names)
    return dict(zip(labels, sns.color_palette("colorblind", len(labels)), strict=True))


def saved_inches(figure: plt.Figure) -> tuple[float, float]:
    """(width, height) in inches of the figure as ``savefig`` writes it: the tight box around
    everything drawn, with its padding, under the style's ``savefig.bbox = "tight"``."""
    if plt.rcParams["savefig.bbox"] != "tight":
        width, height = figure.get_size_inches()
        return float(width), float(height)
    box = figure.get_tightbbox(figure.canvas.get_renderer())
    pad = 2 * float(plt.rcParams["savefig.pad_inches"])
    return box.width + pad, box.height + pad


def save_figure(figure: plt.Figure, png_path: Path, max_pixels: int | None = None) -> None:
    """Write ``png_path`` and the PDF beside it, then free the figure. With ``max_pixels`` the
    PNG is written at a lower resolution where it would be wider or taller than that."""
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    dpi = figure.dpi if plt.rcParams["savefig.dpi"] == "figure" else plt.rcParams["savefig.dpi"]
    if max_pixels is not None:
        # 2% below the cap: text extents do not scale exactly with the resolution
        dpi = min(dpi, 0.98 * max_pixels / max(saved_inches(figure)))
    figure.savefig(png_path, dpi=dpi)
    figure.savefig(png_path.with_suffix(".pdf"))
    plt.close(figure)
