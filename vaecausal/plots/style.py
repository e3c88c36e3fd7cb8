"""The figures' shared look and the one way they are written (PNG for screens, PDF for papers)."""

from __future__ import annotations

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


def architecture_palette() -> dict[str, tuple[float, float, float]]:
    """One fixed colour per architecture, so every figure uses the same."""
    colours = sns.color_palette("colorblind", len(ARCHITECTURE_ORDER))
    return {ARCHITECTURE_LABELS[a]: c for a, c in zip(ARCHITECTURE_ORDER, colours, strict=True)}


def save_figure(figure: plt.Figure, png_path: Path) -> None:
    """Write ``png_path`` and the PDF beside it, then free the figure."""
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png_path)
    figure.savefig(png_path.with_suffix(".pdf"))
    plt.close(figure)
