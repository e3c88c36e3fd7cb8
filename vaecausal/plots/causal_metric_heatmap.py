"""Mean over seeds of the causal metrics, architecture x dataset, one heatmap per metric.

CES is shown per pixel (RMS) so grey and colour datasets share a scale; VQ-VAE's discrete CES has
its own figure (vq_discrete_ces) because only one architecture has it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from vaecausal.plots import metric_heatmap

TITLE = "Causal metrics: mean over seeds per architecture and dataset"
PANELS = {
    "ces_rms": ("CES, RMS pixel change", ".3f"),
    "specificity": ("Intervention specificity (0–1)", ".2f"),
    "modularity": ("Circuit modularity (0–1)", ".2f"),
    "circuit_overlap": ("Circuit overlap, Jaccard (0–1)", ".2f"),
}


def plot(runs: pd.DataFrame) -> plt.Figure:
    return metric_heatmap.draw(runs, PANELS, TITLE)
