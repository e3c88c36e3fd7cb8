"""Networks are placed channels-last: same values and outputs, faster convolution layout."""

from __future__ import annotations

import copy

import torch

from vaecausal.models.device import choose_device, place_network
from vaecausal.models.network import GaussianVAE


def test_placed_network_keeps_its_values_and_outputs() -> None:
    torch.manual_seed(0)
    network = GaussianVAE(3, 5)
    placed = place_network(copy.deepcopy(network), torch.device("cpu"))
    after = placed.state_dict()
    for name, before in network.state_dict().items():
        assert torch.equal(before, after[name]), name
    conv = placed.encoder.conv1[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    x = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            placed.decode(placed.encode(x)[0]), network.decode(network.encode(x)[0])
        )


def test_device_is_the_gpu_when_present() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert choose_device().type == expected
