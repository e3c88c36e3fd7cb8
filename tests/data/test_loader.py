"""Batch gathering returns the right images, as floats in [0, 1], channels first, whether the
dataset is resident or read from its file per batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaecausal.data import loader
from vaecausal.data.loader import BatchGatherer, resident_copy
from vaecausal.data.store import open_images


@pytest.mark.parametrize("resident", [True, False])
def test_gather_returns_the_indexed_images(tiny_dsprites, resident):
    images = open_images(tiny_dsprites)
    gatherer = BatchGatherer(images, torch.device("cpu"), resident=resident)
    assert len(gatherer) == len(images)
    batch = gatherer.gather(np.array([5, 0, 5, 200]))
    assert batch.shape == (4, 1, 64, 64) and batch.dtype == torch.float32
    assert batch.min() >= 0 and batch.max() == 1
    np.testing.assert_array_equal(batch[3, 0].numpy() * 255, images[200, :, :, 0])
    torch.testing.assert_close(batch[0], batch[2])


def test_resident_and_file_gathers_agree_for_colour_images(monkeypatch):
    monkeypatch.setattr(loader, "UPLOAD_CHUNK", 3)  # several chunks, the last one short
    images = np.random.default_rng(0).integers(0, 256, size=(10, 64, 64, 3), dtype=np.uint8)
    copy = resident_copy(images, torch.device("cpu"))
    np.testing.assert_array_equal(copy.numpy(), np.moveaxis(images, -1, 1))
    indices = torch.tensor([9, 2, 2, 0])
    resident = BatchGatherer(images, torch.device("cpu")).gather(indices)
    from_file = BatchGatherer(images, torch.device("cpu"), resident=False).gather(indices)
    torch.testing.assert_close(resident, from_file, rtol=0, atol=0)
