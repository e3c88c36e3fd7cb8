"""Every figure renders from a runs table, as PNG and PDF."""

from __future__ import annotations

import matplotlib.image
import pandas as pd

from tests.analysis.test_aggregate import write_runs
from vaecausal.analysis.aggregate import load_runs
from vaecausal.stages.logs import stage_log
from vaecausal.stages.paper_figures import FIGURES, run


def test_paper_figures_are_written(tmp_path):
    runs_csv = tmp_path / "runs.csv"
    load_runs(write_runs(tmp_path)).to_csv(runs_csv, index=False)
    with stage_log(tmp_path / "log.txt") as log:
        run(runs_csv, tmp_path / "figures", log)
    for name in FIGURES:
        png = matplotlib.image.imread(tmp_path / "figures" / f"{name}.png")
        assert png.shape[0] > 200 and png.shape[1] > 200
        assert png[..., :3].std() > 0.05  # not a blank canvas
        assert (tmp_path / "figures" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert pd.read_csv(runs_csv).shape[0] == 12
