"""Stage ``paper_figures``: the study's figures from the aggregated runs table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vaecausal.plots import ces_vs_dci, metric_heatmap
from vaecausal.plots.style import apply_style, save_figure
from vaecausal.stages.logs import Log

FIGURES = {"ces_vs_dci": ces_vs_dci.plot, "metric_heatmap": metric_heatmap.plot}


def run(runs_csv: Path, out_dir: Path, log: Log) -> None:
    apply_style()
    runs = pd.read_csv(runs_csv)
    for name, plot in FIGURES.items():
        save_figure(plot(runs), Path(out_dir) / f"{name}.png")
        log(f"wrote {name}.png and {name}.pdf")
