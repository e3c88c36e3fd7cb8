"""Cached summaries: the model's arrays for the indexed images and the mean-image baseline."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images
from vaecausal.interventions.cache import encode, mean_image_reconstruction
from vaecausal.models.device import place_network
from vaecausal.models.network import GaussianVAE


def test_encode_returns_the_models_summary_in_index_order(tiny_dsprites):
    torch.manual_seed(0)
    model = place_network(GaussianVAE(1, 3), torch.device("cpu")).eval()
    images = BatchGatherer(open_images(tiny_dsprites), torch.device("cpu"))
    indices = np.array([7, 3, 100, 3])
    arrays = encode(model, images, indices, batch_size=3)
    with torch.no_grad():
        mu, logvar = model.encode(images.gather(indices))
    np.testing.assert_allclose(arrays["latents"], mu.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arrays["logvar"], logvar.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arrays["reconstruction"][1], arrays["reconstruction"][3])
    assert arrays["reconstruction"].shape == (4,) and (arrays["reconstruction"] > 0).all()


def test_mean_image_baseline_matches_its_definition(tiny_dsprites):
    images = BatchGatherer(open_images(tiny_dsprites), torch.device("cpu"))
    reference = np.arange(0, 384, 2)
    indices = np.array([1, 5])
    losses = mean_image_reconstruction(images, indices, reference, batch_size=50)
    mean = images.gather(reference).mean(0).clamp(1e-6, 1 - 1e-6)
    x = images.gather(indices)
    expected = F.binary_cross_entropy(mean.expand_as(x), x, reduction="none").flatten(1).sum(1)
    np.testing.assert_allclose(losses, expected.numpy(), rtol=1e-4)
