"""The factor oracle learns to read factors and survives a save and load."""

from __future__ import annotations

import numpy as np
import torch

from tests.interventions.stripes import stripe_images
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import grid_factors
from vaecausal.interventions.oracle import (
    OracleSettings,
    load_oracle,
    oracle_accuracy,
    save_oracle,
    split_indices,
    train_oracle,
)


def test_oracle_reads_stripe_brightness_and_round_trips(tmp_path):
    factors = grid_factors([3, 3])
    images = BatchGatherer(stripe_images(factors, 3), torch.device("cpu"))
    settings = OracleSettings(steps=150, batch_size=16, learning_rate=3e-3, holdout=0.2, seed=0)
    train, held_out = split_indices(len(factors), settings.holdout, settings.seed)
    assert len(held_out) == 2 and len(np.intersect1d(train, held_out)) == 0
    losses: list[float] = []
    oracle = train_oracle(
        images, factors, [3, 3], train, settings, lambda s, loss: losses.append(loss)
    )
    assert len(losses) == 150 and losses[-1] < losses[0] / 5
    np.testing.assert_array_equal(oracle_accuracy(oracle, images, factors, train), [1.0, 1.0])
    everything = np.arange(len(factors))
    save_oracle(tmp_path / "oracle.pt", oracle, {})
    loaded = load_oracle(tmp_path / "oracle.pt", torch.device("cpu"))
    x = images.gather(everything)
    for a, b in zip(oracle.probabilities(x), loaded.probabilities(x), strict=True):
        torch.testing.assert_close(a, b)
