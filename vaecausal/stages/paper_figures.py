"""Stage ``paper_figures``: the study's figures from the tables stage's outputs.

Figures read the findings' tables rather than recomputing them, so every number drawn (a
correlation, a CI, a rank) is the one in the tables and in ``findings.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from vaecausal.analysis.findings import population_runs
from vaecausal.analysis.findings.capacity import reference_runs
from vaecausal.catalog import PAPER_FIGURES, RUNS
from vaecausal.plots import (
    architecture_ranks,
    capacity_bottleneck,
    causal_metric_heatmap,
    ces_vs_dci,
    metric_heatmap,
    vq_discrete_ces,
)
from vaecausal.plots.style import apply_style, save_figure
from vaecausal.stages.logs import Log

# Figure name (one per name of the catalog's PAPER_FIGURES) -> the tables it needs (file stems in
# the tables folder) and how it is drawn.
FIGURES: dict[str, tuple[tuple[str, ...], Callable[..., plt.Figure]]] = {
    "ces_vs_dci": (("runs", "ces_dci_correlation"), ces_vs_dci.plot),
    "metric_heatmap": (("runs",), metric_heatmap.plot),
    "causal_metric_heatmap": (("runs",), causal_metric_heatmap.plot),
    "architecture_ranks": (("architecture_ranks", "top_architectures"), architecture_ranks.plot),
    "vq_discrete_ces": (("runs", "vq_discrete_ces"), vq_discrete_ces.plot),
    "capacity_bottleneck": (("capacity_bottleneck", "capacity_trend"), capacity_bottleneck.plot),
}
INPUT_TABLES = sorted({stem for stems, _ in FIGURES.values() for stem in stems})
# Which runs a figure draws, as its finding uses them: size variants appear in the capacity figure
# only (its own tables), strength variants in the trade-off's model population only.
FIGURE_RUNS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {"ces_vs_dci": population_runs}


def run(tables_dir: Path, out_dir: Path, log: Log) -> None:
    """Draw every figure from ``tables_dir``/{stem}.csv into ``out_dir``/{name}.{png,pdf}."""
    apply_style()
    tables = {stem: pd.read_csv(Path(tables_dir) / f"{stem}.csv") for stem in INPUT_TABLES}
    for name in PAPER_FIGURES:
        stems, draw = FIGURES[name]
        runs = FIGURE_RUNS.get(name, reference_runs)(tables[RUNS.stem])
        inputs = (runs if stem == RUNS.stem else tables[stem] for stem in stems)
        save_figure(draw(*inputs), Path(out_dir) / f"{name}.png")
        log(f"wrote {name}.png and {name}.pdf")
