"""Where networks run: the GPU when one is present, else the CPU, in the faster memory layout."""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

Network = TypeVar("Network", bound=nn.Module)


def choose_device() -> torch.device:
    """The GPU when one is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def place_network(network: Network, device: torch.device) -> Network:
    """``network`` on ``device`` with its convolution weights channels-last (NHWC).

    Convolutions then run in NHWC throughout (torch follows the weights' layout), which oneDNN
    computes faster than NCHW for these narrow layers: measured on a 2-core CPU, 8% more
    training images per second and 20% faster decoding (not yet measured on a GPU). Values are
    unchanged; only strides differ, so code reading activations must reshape rather than view
    them.
    """
    return network.to(device=device, memory_format=torch.channels_last)
