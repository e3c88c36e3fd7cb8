"""Every paper figure renders, as PNG and PDF, from a full study and from partial ones."""

from __future__ import annotations

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from tests.analysis.synthetic import study, write_metrics
from vaecausal.analysis.findings import Resampling
from vaecausal.interventions.mediation import TotalEffect
from vaecausal.plots import (
    capacity_bottleneck,
    ces_vs_dci,
    mediation,
    metric_heatmap,
    vq_discrete_ces,
)
from vaecausal.stages import tables
from vaecausal.stages.logs import stage_log
from vaecausal.stages.paper_figures import FIGURES, run

FAST = Resampling(n_boot=200, n_perm=200)
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
        [runs, vae.assign(architecture="my_vae"), vae.assign(architecture="vae_d3", n_latents=3)],
        ignore_index=True,
    )
    paths = write_metrics(runs, tmp_path / "metrics")
    with stage_log(tmp_path / "tables.log") as log:
        tables.run(
            [str(p) for p in paths],
            tmp_path / "tables",
            log,
            resampling=FAST,
            families={"vae_d3": "vae"},
        )
    ranks = pd.read_csv(tmp_path / "tables" / "architecture_ranks.csv")
    assert "my_vae" in set(ranks["architecture"]) and "vae_d3" not in set(ranks["architecture"])
    with stage_log(tmp_path / "figures.log") as log:
        run(tmp_path / "tables", tmp_path / "figures", log)
    assert (tmp_path / "figures.log").read_text().count("wrote") == len(FIGURES)
