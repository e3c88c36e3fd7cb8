"""Aggregation of runs: means and standard deviations over seeds, and their renderings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vaecausal.analysis.aggregate import METRICS, load_runs, summarise, to_latex, to_markdown


def write_runs(folder, rng=None):
    """Synthetic metrics.json files: 2 datasets x 2 architectures x 3 seeds; returns paths."""
    rng = rng or np.random.default_rng(0)
    paths = []
    for dataset in ("dsprites", "shapes"):
        for architecture in ("vae", "beta_vae"):
            for seed in range(3):
                record = {
                    "dataset": dataset,
                    "dataset_label": dataset.title(),
                    "architecture": architecture,
                    "seed": seed,
                    "ces_per_latent": [1.0, 2.0],
                    **{metric: float(seed + rng.random()) for metric in METRICS},
                }
                path = folder / f"{dataset}_{architecture}_{seed}.json"
                path.write_text(json.dumps(record))
                paths.append(path)
    return paths


def test_summary_matches_numpy(tmp_path):
    runs = load_runs(write_runs(tmp_path))
    assert len(runs) == 12 and "ces_per_latent" not in runs
    summary = summarise(runs)
    assert len(summary) == 4 and (summary["n_runs"] == 3).all()
    row = summary[(summary.dataset == "shapes") & (summary.architecture == "vae")].iloc[0]
    values = runs[(runs.dataset == "shapes") & (runs.architecture == "vae")]["ces"].to_numpy()
    assert row["ces_mean"] == pytest.approx(values.mean())
    assert row["ces_std"] == pytest.approx(values.std(ddof=1))


def test_renderings_hold_every_metric(tmp_path):
    summary = summarise(load_runs(write_runs(tmp_path)))
    markdown, latex = to_markdown(summary), to_latex(summary)
    for label in METRICS.values():
        assert label in markdown
    assert "±" in markdown and r"$\pm$" in latex and r"beta\_vae" in latex
    assert markdown.count("\n") == 2 + len(summary)
