"""The factor oracle learns to read factors, stops once it reads them all, is scored modulo
declared symmetries, survives a save and load, and a factor it cannot read is left out."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.interventions.stripes import stripe_images
from vaecausal.api import write_dataset
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import grid_factors
from vaecausal.interventions.oracle import (
    OracleSettings,
    Symmetry,
    chance_accuracy,
    correct_classes,
    load_oracle,
    oracle_accuracy,
    readable,
    save_oracle,
    split_indices,
    surely_readable,
    train_oracle,
)
from vaecausal.stages import oracle as oracle_stage
from vaecausal.stages.metrics import effect_metrics, oracle_factors_used

SETTINGS = dict(batch_size=16, learning_rate=3e-3, holdout=0.2, seed=0, accuracy_floor=0.8)


def test_oracle_reads_stripe_brightness_and_round_trips(tmp_path):
    factors = grid_factors([3, 3])
    images = BatchGatherer(stripe_images(factors, 3), torch.device("cpu"))
    settings = OracleSettings(steps=150, check_every=150, **SETTINGS)
    train, check, held_out = split_indices(len(factors), settings.holdout, settings.seed)
    assert len(held_out) == len(check) == 2
    assert len(np.intersect1d(train, held_out)) == len(np.intersect1d(train, check)) == 0
    assert len(np.intersect1d(check, held_out)) == 0
    losses: list[float] = []
    oracle, checks = train_oracle(
        images, factors, [3, 3], train, settings, lambda s, loss: losses.append(loss)
    )
    assert checks == [] and len(losses) == 150 and losses[-1] < losses[0] / 5
    np.testing.assert_array_equal(oracle_accuracy(oracle, images, factors, train), [1.0, 1.0])
    everything = np.arange(len(factors))
    save_oracle(tmp_path / "oracle.pt", oracle, {})
    loaded = load_oracle(tmp_path / "oracle.pt", torch.device("cpu"))
    x = images.gather(everything)
    for a, b in zip(oracle.probabilities(x), loaded.probabilities(x), strict=True):
        torch.testing.assert_close(a, b)


def test_training_stops_at_the_first_check_that_reads_every_factor():
    factors = np.random.default_rng(0).integers(0, 3, size=(200, 2))
    images = BatchGatherer(stripe_images(factors, 3), torch.device("cpu"))
    settings = OracleSettings(steps=1000, check_every=25, **SETTINGS)
    train, check, _ = split_indices(len(factors), settings.holdout, settings.seed)
    seen: list[np.ndarray] = []

    def on_check(oracle):
        seen.append(oracle_accuracy(oracle, images, factors, check))
        return seen[-1]

    chance = chance_accuracy(factors[check], [3, 3])

    def done(accuracy):
        return bool(surely_readable(accuracy, chance, len(check), 0.8).all())

    _, checks = train_oracle(
        images, factors, [3, 3], train, settings, lambda *_: None, on_check, done
    )
    assert [c.step for c in checks] == [25 * (i + 1) for i in range(len(checks))]
    assert checks[-1].step < 1000
    surely = [done(c.accuracy) for c in checks]
    assert surely[-1] and not any(surely[:-1])


def test_an_accuracy_just_at_the_floor_is_not_yet_sure_of_it():
    # 0.81 on 461 check images (the default study's): its lower bound is 0.78
    chance = np.full(3, 0.25)
    np.testing.assert_array_equal(
        surely_readable([0.81, 0.85, 1.0], chance, 461, 0.8), [False, True, True]
    )


def test_a_majority_class_guesser_reads_nothing_though_it_clears_the_floor():
    """An attribute 90% of images lack (as CelebA's are): always saying 'absent' scores 0.9."""
    true = np.zeros((1000, 1), dtype=int)
    true[:100] = 1
    chance = chance_accuracy(true, [2])
    assert chance == pytest.approx([0.9])
    assert not readable([0.9], chance, 1000, 0.8)[0]
    assert readable([0.97], chance, 1000, 0.8)[0]


def _dsprites_orientation() -> Symmetry:
    entry = {"given": "shape", "period_steps": [9.75, 19.5, 39]}
    return Symmetry.from_config(["shape", "orientation"], "orientation", entry, {})


def test_a_square_turned_by_a_quarter_turn_counts_as_read_a_heart_does_not():
    symmetry = _dsprites_orientation()
    true = np.array([[0, 0], [0, 0], [1, 0], [1, 0], [2, 0], [2, 0], [2, 3]])
    predicted = np.array([[0, 10], [0, 5], [1, 20], [1, 10], [2, 39], [2, 10], [2, 3]])
    # square 10 steps = 0.25 step from a quarter turn; square 5 steps is half way between;
    # ellipse 20 steps ~ half a turn; ellipse 10 ~ quarter; heart 39 = 0 (2 pi); heart 10 not.
    np.testing.assert_array_equal(
        correct_classes(predicted, true, [symmetry])[:, 1], [1, 0, 1, 0, 1, 0, 1]
    )
    np.testing.assert_array_equal(correct_classes(predicted, true)[:, 1], [0, 0, 0, 0, 0, 0, 1])


def test_periods_follow_a_subsampled_grid_and_chance_counts_look_alikes():
    entry = {"given": "shape", "period_steps": [9.75, 19.5, 39]}
    symmetry = Symmetry.from_config(
        ["shape", "orientation"], "orientation", entry, {"orientation": 5}
    )
    assert symmetry.periods == pytest.approx((1.95, 3.9, 7.8))
    # stored classes 0..7 are full-grid 0, 5, ..., 35: for a square, classes 2, 4 and 6 (10,
    # 20, 30 full steps) lie within half a stored step of a quarter turn's multiple
    true = np.array([[0, 0], [2, 0]])
    chance = chance_accuracy(true, [3, 8], [symmetry])
    assert chance[0] == pytest.approx(1 / 2)  # both images are of one shape or the other
    # guessing class 0 is right for both (a square's and a heart's own orientation)
    assert chance[1] == pytest.approx(1.0)
    many = np.stack([np.repeat([0, 1, 2], 8), np.tile(np.arange(8), 3)], axis=1)
    # over every shape and orientation, guess 0 is right for 4/8 of squares (0, 2, 4, 6), 2/8
    # of ellipses (0 and 4 within half a step of a half turn: 3.9 steps) and 1/8 of hearts
    assert chance_accuracy(many, [3, 8], [symmetry])[1] == pytest.approx((4 + 2 + 1) / 24)


def _stripes_with_a_shuffled_factor(n: int = 480) -> tuple[np.ndarray, np.ndarray]:
    """Images whose stripe 0 shows factor 'readable' and stripe 1 a factor value that is then
    shuffled across images: the label 'shuffled' cannot be told from the image."""
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 4, size=(n, 2))
    images = stripe_images(factors, 4)
    factors[:, 1] = rng.permutation(factors[:, 1])
    return images, factors


def test_a_factor_the_oracle_cannot_read_is_left_out_of_specificity(tmp_path):
    images, factors = _stripes_with_a_shuffled_factor()
    prepared = tmp_path / "data"
    write_dataset(prepared, images, factors, ["readable", "shuffled"])
    settings = {**SETTINGS, "steps": 300, "check_every": 100, "holdout": 0.1}
    oracle_stage.run(prepared, tmp_path / "o.pt", tmp_path / "o.json", settings, 1, lambda _: None)
    report = json.loads((tmp_path / "o.json").read_text())
    assert report["readable"] == ["readable"] and report["below_floor"] == ["shuffled"]
    assert report["held_out_accuracy"]["readable"] >= 0.8
    assert report["steps_trained"] == 300  # the budget ran out: 'shuffled' never reads

    used = oracle_factors_used(["readable", "shuffled"], [4, 4], report)
    np.testing.assert_array_equal(used, [True, False])
    # latent 0 moves the readable factor only; the oracle's noise on 'shuffled' (as large)
    # would halve its specificity if it were counted
    effects = {
        "pixel_effect_norms": np.ones((2, 1, 3)),
        "factor_effect": np.array([[0.6, 0.6]]),
    }
    causal = effect_metrics(effects, "", np.array([True]), 1, used)
    assert causal["specificity"] == pytest.approx(1.0)
    counted = effect_metrics(effects, "", np.array([True]), 1, np.ones(2, bool))
    assert counted["specificity"] == pytest.approx(0.0)
