"""Batch gathering returns the right images, as floats in [0, 1], channels first."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images


def test_gather_returns_the_indexed_images(tiny_dsprites):
    images = open_images(tiny_dsprites)
    gatherer = BatchGatherer(images, torch.device("cpu"))
    assert len(gatherer) == len(images)
    batch = gatherer.gather(np.array([5, 0, 5, 200]))
    assert batch.shape == (4, 1, 64, 64) and batch.dtype == torch.float32
    assert batch.min() >= 0 and batch.max() == 1
    np.testing.assert_array_equal(batch[3, 0].numpy() * 255, images[200, :, :, 0])
    torch.testing.assert_close(batch[0], batch[2])
