"""Per-run figures stay readable at any number of latents and hook points: at most
``MAX_LATENT_ROWS`` latents drawn, the top ones by CES, the rest summarised in one mean row;
latents not analysed (NaN rows) neither ranked nor summarised but counted; no PNG above
``MAX_PIXELS`` on a side; a small model's figures as they always were."""

from __future__ import annotations

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest

from tests.plots.synthetic_run import VALUES, latent_ces, write_run
from vaecausal.interventions.mediation import TotalEffect
from vaecausal.plots import effect_heatmaps, mediation, patching_heatmap, traversals
from vaecausal.plots.bounds import MAX_LATENT_ROWS, MAX_PIXELS, latent_rows, top_in_order
from vaecausal.plots.style import apply_style, save_figure
from vaecausal.stages import run_figures

FACTORS = ["shape", "scale", "orientation", "posX", "posY"]


def texts(figure: plt.Figure) -> str:
    return "\n".join(t.get_text() for t in figure.findobj(matplotlib.text.Text))


def row_labels(axis: plt.Axes) -> list[str]:
    return [t.get_text() for t in axis.get_yticklabels()]


def drawn(axis: plt.Axes) -> np.ndarray:
    """The matrix a seaborn heatmap drew on ``axis`` (NaN where masked)."""
    mesh = axis.collections[0]
    values = np.ma.filled(mesh.get_array().astype(float), np.nan)
    rows = len(row_labels(axis))
    return values.reshape(rows, -1)


def pixels(figure: plt.Figure, path) -> tuple[int, int]:
    save_figure(figure, path, max_pixels=MAX_PIXELS)
    height, width = matplotlib.image.imread(path).shape[:2]
    return width, height


def effects(d: int, not_analysed=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(CES, A (K, d), E (d, K')) of a ``d``-latent model: latent 200 (or the last) strongest."""
    ces = latent_ces(d, min(200, d - 1), not_analysed)
    rng = np.random.default_rng(1)
    input_effect = rng.uniform(0, 0.3, (len(FACTORS), d))
    factor_effect = np.outer(ces, np.linspace(0.2, 0.05, len(FACTORS)))
    return ces, input_effect, factor_effect


def test_rows_are_every_latent_in_order_when_few_and_the_top_by_the_ranking_when_many():
    small = latent_rows(latent_ces(8, 5), "CES")
    assert small.shown.tolist() == list(range(8)) and not small.summarised
    assert small.labels() == [f"z{i}" for i in range(8)] and small.description() == ""
    ces = latent_ces(256, 200)
    rows = latent_rows(ces, "CES")
    assert len(rows.shown) == MAX_LATENT_ROWS and rows.shown[0] == 200
    assert rows.shown.tolist() == [200, *range(MAX_LATENT_ROWS - 1)]  # CES falls with the index
    assert sorted([*rows.shown, *rows.rest]) == list(range(256))
    assert rows.labels()[-1] == f"other {256 - MAX_LATENT_ROWS}: mean"
    matrix = np.arange(256 * 3, dtype=float).reshape(256, 3)
    assert np.allclose(rows.rows(matrix)[-1], matrix[rows.rest].mean(axis=0))
    assert "top 20 of 256 latents by CES (largest first)" in rows.description()
    assert rows.axis_label() == "latent (top 20 of 256 by CES)"


def test_latents_not_analysed_are_never_ranked_nor_summarised_but_counted():
    ces = latent_ces(256, 200, not_analysed=[0, 1, 2, 200])  # the four strongest
    rows = latent_rows(ces, "CES")
    assert not {0, 1, 2, 200} & {*rows.shown, *rows.rest}
    assert rows.shown.tolist() == list(range(3, 3 + MAX_LATENT_ROWS))
    assert rows.not_analysed.tolist() == [0, 1, 2, 200]
    matrix = np.where(np.isnan(ces)[:, None], np.nan, np.ones((256, 2)))
    matrix[rows.rest[0]] = 3.0
    expected = (3.0 + len(rows.rest) - 1) / len(rows.rest)  # NaN rows left out of the mean
    assert np.allclose(rows.rows(matrix)[-1], expected)
    assert "4 of 256 latents not analysed (z0, z1, z2, z200)" in rows.description()
    few = latent_rows(latent_ces(8, 5, not_analysed=[3]), "CES")
    assert few.shown.tolist() == [0, 1, 2, 4, 5, 6, 7] and not few.summarised
    assert few.description() == "1 of 8 latents not analysed (z3)"
    assert not len(latent_rows(np.full(4, np.nan), "CES").shown)


def test_hook_points_kept_are_the_strongest_in_the_order_they_run():
    assert top_in_order([0.1, 0.9, np.nan, 0.5, 0.7], 3) == [1, 3, 4]
    assert top_in_order([0.1, 0.2], 3) == [0, 1]


def test_effect_heatmaps_at_256_latents_show_the_top_by_ces_and_the_others_mean(tmp_path):
    apply_style()
    ces, input_effect, factor_effect = effects(256)
    rows = latent_rows(ces, "CES")
    figure = effect_heatmaps.plot(input_effect, FACTORS, factor_effect, FACTORS, "run", rows=rows)
    for axis, matrix in zip(figure.axes[:2], (input_effect.T, factor_effect), strict=True):
        labels = row_labels(axis)
        assert labels[0] == "z200" and labels[-1] == "other 236: mean"
        assert len(labels) == MAX_LATENT_ROWS + 1
        values = drawn(axis)
        assert np.allclose(values[0], matrix[200])
        others = [i for i in range(256) if f"z{i}" not in labels]
        assert np.allclose(values[-1], matrix[others].mean(axis=0))
    assert "top 20 of 256 latents by CES (largest first); other 236: mean row" in texts(figure)
    assert max(pixels(figure, tmp_path / "effects.png")) <= MAX_PIXELS


def test_effect_heatmaps_leave_out_and_count_the_latents_not_analysed(tmp_path):
    apply_style()
    ces, input_effect, factor_effect = effects(256, not_analysed=[200, 7])
    factor_effect[[200, 7]] = np.nan
    input_effect[:, 7] = 100.0  # the encoder side measured: still not drawn nor averaged
    figure = effect_heatmaps.plot(input_effect, FACTORS, factor_effect, FACTORS, "run")
    labels = row_labels(figure.axes[0])
    assert "z200" not in labels and "z7" not in labels and labels[0] == "z0"
    assert labels[-1] == "other 234: mean"
    assert np.all(drawn(figure.axes[0])[-1] < 1.0) and np.isfinite(drawn(figure.axes[1])).all()
    assert "2 of 256 latents not analysed (z7, z200)" in texts(figure)
    plt.close("all")


def test_a_small_models_effect_heatmaps_and_traversals_draw_every_latent():
    ces, input_effect, factor_effect = effects(6)
    figure = effect_heatmaps.plot(input_effect, FACTORS, factor_effect, FACTORS, "run")
    assert row_labels(figure.axes[0]) == [f"z{i}" for i in range(6)]
    assert figure.axes[0].get_ylabel() == "latent" and figure.get_suptitle() == "run"
    assert np.allclose(drawn(figure.axes[1]), factor_effect)
    images = np.zeros((6, len(VALUES), 64, 64, 1))
    grid = traversals.plot(images, VALUES, ces, "run")
    assert len(grid.axes) == 6 * len(VALUES)
    assert [grid.axes[r * len(VALUES)].get_ylabel().split("\n")[0] for r in range(6)] == [
        f"z{i}" for i in range(6)
    ]
    assert grid.get_suptitle() == "run\n(perturbation value: columns)"
    plt.close("all")


def test_traversals_at_256_latents_draw_the_top_by_ces_only(tmp_path):
    apply_style()
    ces = latent_ces(256, 200, not_analysed=[3])
    images = np.random.default_rng(0).uniform(0, 1, (256, len(VALUES), 64, 64, 1))
    figure = traversals.plot(images, VALUES, ces, "run")
    assert len(figure.axes) == MAX_LATENT_ROWS * len(VALUES)
    assert figure.axes[0].get_ylabel() == "z200\nCES 5.0"
    assert np.array_equal(figure.axes[0].images[0].get_array(), images[200, 0, ..., 0])
    title = figure.get_suptitle()
    assert "top 20 of 256 latents by CES (largest first); other 235: not drawn" in title
    assert "1 of 256 latents not analysed (z3)" in title
    assert max(pixels(figure, tmp_path / "traversals.png")) <= MAX_PIXELS
    rows = latent_rows(ces, "CES")
    with pytest.raises(ValueError, match="256 traversals for 20 latents drawn"):
        traversals.plot(images, VALUES, ces, "run", rows=rows)


def test_patching_and_mediation_draw_the_strongest_hook_points_in_order(tmp_path):
    apply_style()
    rng = np.random.default_rng(0)
    names = [f"encoder.block{h}" for h in range(34)]
    restoration = {n: rng.uniform(0, 0.1, (64, 40)) for n in names}
    for h in (30, 2, 17):
        restoration[names[h]][5, 3] = 0.9
    figure = patching_heatmap.plot(restoration, [f"attr{k}" for k in range(40)], "run")
    labels = [a.get_ylabel().split("\n")[0] for a in figure.axes]
    panels = [label for label in labels if label.startswith("encoder.")]
    order = [int(p.removeprefix("encoder.block")) for p in panels]
    assert {2, 17, 30} <= set(order) and order == sorted(order)  # the strongest, as they run
    assert len(order) == 4  # 40 factors: four panels fit
    assert "of 34 hook points with the largest restoration, in the order they run" in texts(figure)
    assert max(pixels(figure, tmp_path / "patching.png")) <= MAX_PIXELS
    nie = {n: rng.normal(0, 0.001, (64, 2)) for n in names}
    nie[names[25]][0, 0] = 0.3
    totals = [TotalEffect(0.4, 0.05, 1e-6, 16), TotalEffect(0.01, 0.05, 0.8, 16)]
    figure = mediation.plot(nie, totals, ["a up", "b up"], "run")
    layers = [t.get_text() for t in figure.axes[1].get_xticklabels()]
    assert len(layers) == 8 and "block25" in layers
    assert [int(name.removeprefix("block")) for name in layers] == sorted(
        int(name.removeprefix("block")) for name in layers
    )
    assert "8 of 34 encoder hook points" in texts(figure) and "Shares undefined" in texts(figure)
    assert max(pixels(figure, tmp_path / "mediation.png")) <= MAX_PIXELS


def test_a_saved_figure_is_capped_at_max_pixels_and_left_alone_without_a_cap(tmp_path):
    apply_style()
    figure, axis = plt.subplots(figsize=(40, 6))
    axis.plot([0, 1], [0, 1])
    save_figure(figure, tmp_path / "capped.png", max_pixels=MAX_PIXELS)
    height, width = matplotlib.image.imread(tmp_path / "capped.png").shape[:2]
    assert MAX_PIXELS * 0.95 <= width <= MAX_PIXELS and height < 1000
    figure, axis = plt.subplots(figsize=(40, 6))
    save_figure(figure, tmp_path / "free.png")
    assert matplotlib.image.imread(tmp_path / "free.png").shape[1] > MAX_PIXELS


def test_every_per_run_figure_of_a_256_latent_model_is_bounded(
    tmp_path, tiny_dsprites, monkeypatch
):
    run = write_run(tmp_path / "run", tiny_dsprites, d=256, n_hooks=12, not_analysed=[0, 5])
    out = tmp_path / "figures"
    drawn_figures = {}  # name -> every text drawn on the figure

    def save(figure, path, **kwargs):
        drawn_figures[path.stem] = texts(figure)
        save_figure(figure, path, **kwargs)

    monkeypatch.setattr(run_figures, "save_figure", save)
    run.draw(tiny_dsprites, out)
    names = ["training_curves", "reconstructions", "traversals", "effect_heatmaps"]
    names += ["patching_heatmap", "mediation"]
    for name in names:
        height, width = matplotlib.image.imread(out / f"{name}.png").shape[:2]
        assert height <= MAX_PIXELS and width <= MAX_PIXELS, (name, width, height)
    traversal = matplotlib.image.imread(out / "traversals.png")
    assert traversal.shape[0] < 3200  # 20 rows of images, not 256
    for name in ("traversals", "effect_heatmaps"):
        assert "top 20 of 256 latents by CES (largest first)" in drawn_figures[name]
        assert "2 of 256 latents not analysed (z0, z5)" in drawn_figures[name]
    assert "z200\nCES 5.0" in drawn_figures["traversals"]
    assert "other 234: mean" in drawn_figures["effect_heatmaps"]
    assert "8 of 12 hook points with the largest restoration" in drawn_figures["patching_heatmap"]
