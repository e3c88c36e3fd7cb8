"""The reference network: shapes, named hook points, FLOP budget of the reference."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vaecausal.models.network import GaussianVAE, ImageDeconv, reference_flops


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
    """Forward multiply-adds x 2 FLOP x 3 (forward + backward) ~ 82 MFLOP (docs/models.md)."""
    assert 75e6 < reference_flops() < 90e6
    # decoding is the decoder's forward alone: about a sixth of the whole
    assert 12e6 < reference_flops(decode_only=True) < 18e6


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_image_deconv_computes_a_transposed_convolution(channels, layout):
    torch.manual_seed(0)
    image = ImageDeconv(32, channels, 4, 2, 1).to(memory_format=layout)
    reference = nn.ConvTranspose2d(32, channels, 4, 2, 1)
    reference.load_state_dict(image.state_dict())
    x = torch.randn(4, 32, 32, 32).contiguous(memory_format=layout).requires_grad_()
    outputs = image(x), reference(x)
    torch.testing.assert_close(outputs[0], outputs[1])
    grads = [
        torch.autograd.grad(out.square().sum(), [x, *net.parameters()])
        for out, net in zip(outputs, (image, reference), strict=True)
    ]
    for ours, theirs in zip(*grads, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-3)


def test_networks_start_with_the_reference_glorot_init():
    """Glorot-uniform weights (bound sqrt(6 / (fan_in + fan_out))) and zero biases, as the
    reference's TensorFlow layers: torch's default starts the encoder's mean nearly constant."""
    import math

    from torch import nn

    from vaecausal.models.network import GaussianVAE
    from vaecausal.models.vq_vae import VQVAE

    for model in (GaussianVAE(1, 10), VQVAE(3, 4, 8, 16)):
        layers = [
            m for m in model.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear)
        ]
        assert len(layers) >= 10
        for layer in layers:
            receptive = layer.weight[0, 0].numel()
            fans = (layer.weight.shape[0] + layer.weight.shape[1]) * receptive
            assert layer.weight.abs().max() <= math.sqrt(6 / fans)
            assert layer.weight.abs().max() > 0.8 * math.sqrt(6 / fans)  # not a narrower init
            assert (layer.bias == 0).all()
