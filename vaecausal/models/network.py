"""The reference encoder/decoder of the field (Locatello et al. 2019), with named hook points,
and the interface every architecture's network offers the later stages.

Every conv / linear layer followed by its nonlinearity is one submodule whose output is that
layer's activation, so a forward hook on ``encoder.conv1`` ... ``decoder.deconv4`` sees exactly the
hook point of the methods (units = channels for convs, neurons for linear layers).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

IMAGE_SIZE = 64


def _same_padding(kernel: int) -> int:
    """Padding that halves a 64-pixel side with stride 2 ('same' for kernels 2 and 4)."""
    return (kernel - 2) // 2


class Encoder(nn.Module):
    """x (B, C, 64, 64) -> features (B, 256); hook points conv1..conv4 and fc."""

    hook_points = ("conv1", "conv2", "conv3", "conv4", "fc")

    def __init__(self, channels: int, kernels: Sequence[int] = (4, 4, 2, 2)) -> None:
        super().__init__()
        widths = (channels, 32, 32, 64, 64)
        for i, kernel in enumerate(kernels):
            conv = nn.Conv2d(widths[i], widths[i + 1], kernel, 2, _same_padding(kernel))
            self.add_module(f"conv{i + 1}", nn.Sequential(conv, nn.ReLU()))
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.hook_points:
            x = getattr(self, name)(x)
        return x


class Decoder(nn.Module):
    """z (B, d) -> logits (B, C, 64, 64); hook points fc1, fc2, deconv1..deconv4."""

    hook_points = ("fc1", "fc2", "deconv1", "deconv2", "deconv3", "deconv4")

    def __init__(self, n_latents: int, channels: int) -> None:
        super().__init__()
        self.fc1 = nn.Sequential(nn.Linear(n_latents, 256), nn.ReLU())
        self.fc2 = nn.Sequential(nn.Linear(256, 64 * 4 * 4), nn.ReLU(), nn.Unflatten(1, (64, 4, 4)))
        widths = (64, 64, 32, 32, channels)
        for i in range(4):
            deconv = nn.ConvTranspose2d(widths[i], widths[i + 1], 4, 2, 1)
            last = i == 3
            self.add_module(f"deconv{i + 1}", deconv if last else nn.Sequential(deconv, nn.ReLU()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        for name in self.hook_points:
            z = getattr(self, name)(z)
        return z


class LatentModel(nn.Module):
    """What caching, interventions and metrics need from a network, whatever its latent space.

    *Intervention latents* are what manipulations act on: the posterior mean mu (B, d) of a
    Gaussian encoder, the pre-quantisation slots z_e (B, d, e) of a VQ-VAE. Latent i is always
    ``latents[:, i]``.
    """

    channels: int
    n_latents: int

    @abstractmethod
    def constructor_arguments(self) -> dict[str, Any]:
        """Arguments that rebuild this network (saved beside the weights)."""

    @abstractmethod
    def summarise(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Arrays to cache for images ``x``: at least ``latents`` and ``metric_codes`` (B, k)."""

    @abstractmethod
    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Logits of the image decoded from intervention latents."""

    @abstractmethod
    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(centre, scale) shaped like one sample's latents: value v sets latent i to
        centre_i + v * scale_i."""

    def hook_point_names(self) -> list[str]:
        return [f"encoder.{n}" for n in Encoder.hook_points] + [
            f"decoder.{n}" for n in Decoder.hook_points
        ]


class GaussianVAE(LatentModel):
    """Encoder with mean and log-variance heads of size d, and the shared decoder."""

    def __init__(self, channels: int, n_latents: int, kernels: Sequence[int] = (4, 4, 2, 2)):
        super().__init__()
        self.channels = channels
        self.n_latents = n_latents
        self.kernels = list(kernels)
        self.encoder = Encoder(channels, kernels)
        self.mean_head = nn.Linear(256, n_latents)
        self.logvar_head = nn.Linear(256, n_latents)
        self.decoder = Decoder(n_latents, channels)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.encoder(x)
        return self.mean_head(features), self.logvar_head(features)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of the reconstruction; the image is sigmoid(logits)."""
        return self.decoder(z)

    def constructor_arguments(self) -> dict[str, Any]:
        return {"channels": self.channels, "n_latents": self.n_latents, "kernels": self.kernels}

    def summarise(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(x)
        return {"latents": mu, "logvar": logvar, "metric_codes": mu}

    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        return self.decode(latents)

    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Prior units: z_i := v."""
        one = latents[0]
        return torch.zeros_like(one), torch.ones_like(one)
