"""Every paper figure renders, as PNG and PDF, from a full study and from partial ones."""

from __future__ import annotations

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

from tests.analysis.synthetic import study, write_metrics
from vaecausal.analysis.findings import Resampling
from vaecausal.interventions.mediation import TotalEffect
from vaecausal.plots import (
    capacity_bottleneck,
    ces_vs_dci,
    effect_heatmaps,
    mediation,
    metric_heatmap,
    vq_discrete_ces,
)
from vaecausal.stages import tables
from vaecausal.stages.logs import stage_log
from vaecausal.stages.paper_figures import FIGURES, run

FAST = Resampling(n_boot=200, n_perm=200)


def with_intervals(runs: pd.DataFrame, missing: int = 0) -> pd.DataFrame:
    """``runs`` with each CES's 95% bootstrap interval (its value ± 5%, over 256 evaluation
    codes), as the metrics stage reports them; the first ``missing`` runs have none."""
    runs = runs.copy()
    for column in ("ces", "ces_rms", "ces_discrete_rms"):
        if column in runs:
            runs[f"{column}_ci_low"] = 0.95 * runs[column]
            runs[f"{column}_ci_high"] = 1.05 * runs[column]
            runs[f"{column}_ci_n"] = 256
            runs.loc[runs.index[:missing], [f"{column}_ci_low", f"{column}_ci_high"]] = np.nan
    return runs


PARTIAL = {
    "full": lambda: study(("dsprites", "celeba"), seeds=(0, 1)),
    "no_run": lambda: study(("dsprites",)).iloc[:0],
    # one dataset, one seed, two architectures, only CES and DCI: no CI, no ratio, no VQ-VAE
    "tiny": lambda: study(("dsprites",), ("vae", "beta_vae"), seeds=(0,))[
        ["dataset", "dataset_label", "architecture", "seed", "ces", "dci_disentanglement"]
    ],
    # VQ-VAE without discrete CES, no CES at all on one dataset
    "gaps": lambda: (
        study(("dsprites", "3dshapes"), ("vae", "vq_vae"), seeds=(0, 1))
        .drop(columns=["ces_discrete", "ces_discrete_rms"])
        .assign(ces=lambda r: r["ces"].where(r["dataset"] == "dsprites"))
    ),
    # every CES with its per-run bootstrap interval but one run's
    "intervals": lambda: with_intervals(study(("dsprites", "3dshapes"), seeds=(0, 1)), 1),
}


def tables_of(runs: pd.DataFrame, folder) -> object:
    """Run the tables stage on ``runs``' metrics files; return the tables folder."""
    paths = write_metrics(runs, folder / "metrics")
    with stage_log(folder / "tables.log") as log:
        tables.run([str(p) for p in paths], folder / "tables", log, resampling=FAST)
    return folder / "tables"


def texts(figure: plt.Figure) -> str:
    """All text drawn on a figure (titles, annotations, tick labels, legends)."""
    return "\n".join(t.get_text() for t in figure.findobj(matplotlib.text.Text))


def vertical_bars(axis: plt.Axes) -> list[tuple[float, float, float]]:
    """(x, low, high) of every vertical bar drawn with ``vlines`` on ``axis``."""
    return [
        (float(segment[0, 0]), float(segment[0, 1]), float(segment[1, 1]))
        for collection in axis.collections
        if isinstance(collection, LineCollection)
        for segment in collection.get_segments()
    ]


@pytest.mark.parametrize("case", list(PARTIAL))
def test_every_figure_is_written_from_full_and_partial_studies(tmp_path, case):
    tables_dir = tables_of(PARTIAL[case](), tmp_path)
    with stage_log(tmp_path / "figures.log") as log:
        run(tables_dir, tmp_path / "figures", log)
    for name in FIGURES:
        png = matplotlib.image.imread(tmp_path / "figures" / f"{name}.png")
        assert png.shape[0] > 200 and png.shape[1] > 200, name
        assert png[..., :3].std() > 0.05, name  # not a blank canvas
        assert (tmp_path / "figures" / f"{name}.pdf").read_bytes().startswith(b"%PDF"), name
    assert (tmp_path / "figures.log").read_text().count("wrote") == len(FIGURES)


def test_figures_say_why_their_data_are_missing(tmp_path):
    folder = tables_of(PARTIAL["tiny"](), tmp_path)
    runs = pd.read_csv(folder / "runs.csv")
    capacity = capacity_bottleneck.plot(pd.read_csv(folder / "capacity_bottleneck.csv"))
    assert "not available:\nno factors/latents ratio (dSprites:\nn_factors or n_latents not" in (
        texts(capacity)
    )
    vq = vq_discrete_ces.plot(runs, pd.read_csv(folder / "vq_discrete_ces.csv"))
    assert "the study has no VQ-VAE run" in texts(vq)
    scatter = ces_vs_dci.plot(runs, pd.read_csv(folder / "ces_dci_correlation.csv"))
    assert "ρ n/a (2 model(s), need 3)" in texts(scatter)
    heatmap = metric_heatmap.plot(runs.drop(columns=["dci_disentanglement"]))
    assert "no run reports any of these metrics yet" in texts(heatmap)
    plt.close("all")


def test_scatter_annotates_the_findings_table_numbers(tmp_path):
    folder = tables_of(PARTIAL["full"](), tmp_path)
    correlations = pd.read_csv(folder / "ces_dci_correlation.csv")
    figure = ces_vs_dci.plot(pd.read_csv(folder / "runs.csv"), correlations)
    row = correlations.query("runs == 'continuous latents only' and dataset == 'celeba'")
    row = row.query("unit == 'model means' and method == 'spearman'").iloc[0]
    expected = f"models (k=5): ρ={row['estimate']:.2f}, p={row['p_value']:.2g}"
    assert expected in texts(figure) and "runs, descriptive (n=10): ρ=" in texts(figure)
    assert "architectures (k=5): ρ=" in texts(figure)
    assert "fit, model means (no VQ-VAE)" in texts(figure) and "CelebA" in texts(figure)
    plt.close(figure)


def test_capacity_names_datasets_on_the_axis_and_a_sweep_gets_lines(tmp_path):
    folder = tables_of(PARTIAL["full"](), tmp_path)
    capacity = pd.read_csv(folder / "capacity_bottleneck.csv")
    named = texts(capacity_bottleneck.plot(capacity))
    assert "dSprites (5/10)" in named and "Not on the ratio axis: CelebA: factors are" in named
    sweep = pd.concat(
        [
            capacity.assign(n_latents=d, factors_per_latent=capacity["n_factors"] / d)
            for d in (4, 6, 8, 10)
        ]
    )
    figure = capacity_bottleneck.plot(sweep)
    right = figure.axes[1]
    assert len(right.get_lines()) >= 2  # one line per dataset's sweep (plus the zero line)
    assert "CelebA" in texts(figure) and "CelebA (40/10)" not in texts(figure)
    plt.close("all")


def test_mediation_figure_draws_defined_shares_and_names_the_undefined_ones():
    defined = TotalEffect(0.4, 0.05, 1e-6, 16)
    noise = TotalEffect(0.01, 0.05, 0.8, 16)
    nie = {f"encoder.{n}": np.full((8, 2), 0.05) for n in ("conv1", "fc")}
    figure = mediation.plot(nie, [defined, noise], ["posX up", "shape 0->1"], "run")
    assert "Shares undefined (TE within noise): shape 0->1" in texts(figure)
    bars = [p for p in figure.axes[1].patches if p.get_height() != 0]
    assert len(bars) == 2  # one treatment x two layers: the noisy one is not drawn
    assert {round(p.get_height(), 6) for p in bars} == {1.0}  # 8 x 0.05 / 0.4
    none_defined = mediation.plot(nie, [noise, noise], ["a up", "b up"], "run")
    assert "not available:\nno treatment's TE is told" in texts(none_defined)
    nothing = TotalEffect(np.nan, np.nan, np.nan, 16)
    collapsed = mediation.plot(nie, [nothing, nothing], ["a up", "b up"], "run")
    assert "posterior collapse" in texts(collapsed)
    plt.close("all")


def test_a_users_model_and_size_variants_are_drawn_and_variants_only_in_capacity(tmp_path):
    runs = study(("dsprites", "3dshapes"), seeds=(0, 1))
    vae = runs[runs["architecture"] == "vae"]
    runs = pd.concat(
        [
            runs,
            vae.assign(architecture="my_vae"),
            vae.assign(architecture="vae_d3", n_latents=3, family="vae"),
        ],
        ignore_index=True,
    )
    paths = write_metrics(runs, tmp_path / "metrics")
    with stage_log(tmp_path / "tables.log") as log:
        tables.run(
            [str(p) for p in paths],
            tmp_path / "tables",
            log,
            resampling=FAST,
        )
    ranks = pd.read_csv(tmp_path / "tables" / "architecture_ranks.csv")
    assert "my_vae" in set(ranks["architecture"]) and "vae_d3" not in set(ranks["architecture"])
    with stage_log(tmp_path / "figures.log") as log:
        run(tmp_path / "tables", tmp_path / "figures", log)
    assert (tmp_path / "figures.log").read_text().count("wrote") == len(FIGURES)


def test_scatter_draws_each_runs_bootstrap_interval_and_none_where_missing(tmp_path):
    folder = tables_of(PARTIAL["intervals"](), tmp_path)
    runs = pd.read_csv(folder / "runs.csv")  # the intervals survive the runs table
    figure = ces_vs_dci.plot(runs, pd.read_csv(folder / "ces_dci_correlation.csv"))
    for axis, dataset in zip(figure.axes, ("3dshapes", "dsprites"), strict=False):
        expected = runs[runs["dataset"] == dataset].dropna(subset=["ces_rms_ci_low"])
        bars = sorted(vertical_bars(axis))
        rows = expected[["dci_disentanglement", "ces_rms_ci_low", "ces_rms_ci_high"]]
        assert np.allclose(bars, sorted(map(tuple, rows.to_numpy())))
        assert axis.get_ylim()[1] > expected["ces_rms_ci_high"].max()
    assert len(vertical_bars(figure.axes[0])) + len(vertical_bars(figure.axes[1])) == len(runs) - 1
    assert "bar: one run's 95% bootstrap interval\nover its evaluation codes" in texts(figure)
    plain = ces_vs_dci.plot(
        runs.drop(columns=[c for c in runs if "_ci_" in c]),
        pd.read_csv(folder / "ces_dci_correlation.csv"),
    )
    assert not vertical_bars(plain.axes[0]) and "bootstrap" not in texts(plain)
    plt.close("all")


def test_vq_figure_draws_the_vq_runs_intervals_only(tmp_path):
    folder = tables_of(
        with_intervals(study(("dsprites",), ("vae", "vq_vae"), seeds=(0, 1))), tmp_path
    )
    runs = pd.read_csv(folder / "runs.csv")
    figure = vq_discrete_ces.plot(runs, pd.read_csv(folder / "vq_discrete_ces.csv"))
    vq = runs[runs["architecture"] == "vq_vae"]
    expected = [
        (low, high)
        for column in ("ces_rms", "ces_discrete_rms")
        for low, high in zip(vq[f"{column}_ci_low"], vq[f"{column}_ci_high"], strict=True)
    ]
    drawn = [(low, high) for _, low, high in vertical_bars(figure.axes[0])]
    assert np.allclose(sorted(drawn), sorted(expected))  # none for the other architectures
    assert vq_discrete_ces.RUN_INTERVALS in texts(figure)
    plt.close("all")


def test_mediation_figure_draws_the_runs_bootstrap_interval_of_te():
    defined = TotalEffect(0.4, 0.05, 1e-6, 16)
    noise = TotalEffect(0.01, 0.05, 0.8, 16)
    nie = {f"encoder.{n}": np.full((8, 2), 0.05) for n in ("conv1", "fc")}

    def spans(figure: plt.Figure) -> list[tuple[float, float]]:
        lines = [line for line in figure.axes[0].get_lines() if line.get_marker() == "|"]
        return [tuple(line.get_xdata()) for line in lines]

    bootstrap = mediation.plot(
        nie, [defined, noise], ["posX up", "shape 0->1"], "run", intervals=[[0.3, 0.55], None]
    )
    drawn = spans(bootstrap)
    assert drawn[0] == (0.3, 0.55) and np.isnan(drawn[1]).all()  # no interval: no bar
    assert "95% bootstrap CI over this run's pairs" in texts(bootstrap)
    partial = mediation.plot(nie, [defined, noise], ["a", "b"], "run", intervals=[[0.3, None]] * 2)
    assert all(np.isnan(span).all() for span in spans(partial))
    older = mediation.plot(nie, [defined, noise], ["posX up", "shape 0->1"], "run")
    assert spans(older)[0] == pytest.approx((0.4 - 1.96 * 0.05, 0.4 + 1.96 * 0.05))
    assert "95% normal CI" in texts(older) and "bootstrap" not in texts(older)
    plt.close("all")


def test_effect_heatmap_hatches_and_names_the_factors_the_oracle_cannot_read():
    factors = ["shape", "scale", "orientation"]
    args = (np.ones((2, 3)), ["shape", "posX"], np.ones((3, 3)), factors, "run")
    figure = effect_heatmaps.plot(*args, unread=["orientation"])
    oracle_axis = figure.axes[1]
    labels = [t.get_text() for t in oracle_axis.get_xticklabels()]
    assert labels == ["shape", "scale", "orientation (not read)"]
    hatched = [p for p in oracle_axis.patches if p.get_hatch()]
    assert [(p.get_x(), p.get_width(), p.get_height()) for p in hatched] == [(2, 1, 3)]
    assert "left out of specificity" in texts(figure)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["shape", "posX"]
    plain = effect_heatmaps.plot(*args)
    assert "not read" not in texts(plain)
    assert not [p for p in plain.axes[1].patches if p.get_hatch()]
    plt.close("all")


def test_the_mediation_figures_sum_over_a_subset_of_units_is_scaled_as_metrics_json_is():
    totals = [TotalEffect(2.0, 0.1, 0.001, 16)]
    nie = {"encoder.fc": np.array([[0.5], [1.0]])}  # two of eight units patched
    table = mediation._share_table(nie, totals, ["posX up"], {"encoder.fc": 4.0})
    shares = dict(zip(table["kind"], table["share"], strict=True))
    assert shares["sum over units"] == pytest.approx(4.0 * 1.5 / 2.0)
    assert shares["strongest unit"] == pytest.approx(0.5)
