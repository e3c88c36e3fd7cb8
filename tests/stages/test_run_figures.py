"""The run_figures stage draws the catalog's run figures, in its order."""

from __future__ import annotations

import matplotlib.pyplot as plt

from tests.plots.synthetic_run import write_run
from vaecausal import catalog
from vaecausal.stages import run_figures


def test_the_stage_draws_exactly_the_catalogs_run_figures(tmp_path, tiny_dsprites, monkeypatch):
    run = write_run(tmp_path / "run", tiny_dsprites, d=4, n_hooks=2, strongest=1)
    saved = []

    def save(figure, path, **kwargs):  # the names, not the pictures: no rendering
        saved.append(path.name)
        plt.close(figure)

    monkeypatch.setattr(run_figures, "save_figure", save)
    run.draw(tiny_dsprites, tmp_path / catalog.FIGURES_DIR)
    assert saved == [f"{name}.png" for name in catalog.RUN_FIGURES]
