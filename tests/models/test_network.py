"""The reference network: shapes, named hook points, FLOP budget of the reference."""

from __future__ import annotations

import pytest
import torch

from vaecausal.models.network import GaussianVAE


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("kernels", [(4, 4, 2, 2), (4, 4, 4, 4)])
def test_shapes(channels, kernels):
    model = GaussianVAE(channels, 10, kernels)
    x = torch.rand(2, channels, 64, 64)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (2, 10)
    assert model.decode(mu).shape == (2, channels, 64, 64)


def test_every_hook_point_is_a_module_with_activations():
    model = GaussianVAE(1, 10)
    seen: dict[str, torch.Size] = {}
    modules = dict(model.named_modules())
    for name in model.hook_point_names():
        modules[name].register_forward_hook(
            lambda _m, _i, out, name=name: seen.__setitem__(name, out.shape)
        )
    mu, _ = model.encode(torch.rand(3, 1, 64, 64))
    model.decode(mu)
    assert seen == {
        "encoder.conv1": (3, 32, 32, 32),
        "encoder.conv2": (3, 32, 16, 16),
        "encoder.conv3": (3, 64, 8, 8),
        "encoder.conv4": (3, 64, 4, 4),
        "encoder.fc": (3, 256),
        "decoder.fc1": (3, 256),
        "decoder.fc2": (3, 64, 4, 4),
        "decoder.deconv1": (3, 64, 8, 8),
        "decoder.deconv2": (3, 32, 16, 16),
        "decoder.deconv3": (3, 32, 32, 32),
        "decoder.deconv4": (3, 1, 64, 64),
    }


def test_reference_network_costs_about_82_mflop_per_image():
    """Forward multiply-adds x 2 FLOP x 3 (forward + backward) ~ 82 MFLOP (models.md)."""
    from torch.utils.flop_counter import FlopCounterMode

    model = GaussianVAE(1, 10)
    with FlopCounterMode(display=False) as counter:
        mu, _ = model.encode(torch.rand(1, 1, 64, 64))
        model.decode(mu).sum().backward()
    assert 75e6 < counter.get_total_flops() < 90e6
