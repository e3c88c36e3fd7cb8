"""Foreign models for the adapter tests: a hand-written VAE with residual blocks (a module graph
that is not a chain) and tiny pythae models."""

from __future__ import annotations

import torch
from torch import nn


class Residual(nn.Module):
    """x + conv(relu(conv(x))): the skip path bypasses both inner layers."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.inner = nn.Conv2d(channels, channels, 3, padding=1)
        self.outer = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.outer(torch.relu(self.inner(x)))


class ResidualVAE(nn.Module):
    """64 x 64 images -> (mean, log-variance) of ``n_latents``; decoder -> logits."""

    def __init__(self, n_latents: int = 4, channels: int = 1) -> None:
        super().__init__()
        self.stem = nn.Conv2d(channels, 8, 4, 4)  # 16 x 16
        self.block = Residual(8)
        self.down = nn.Conv2d(8, 8, 4, 4)  # 4 x 4
        self.fc = nn.Linear(8 * 4 * 4, 32)
        self.mean = nn.Linear(32, n_latents)
        self.logvar = nn.Linear(32, n_latents)
        self.expand = nn.Linear(n_latents, 8 * 16 * 16)
        self.decoder_block = Residual(8)
        self.out = nn.ConvTranspose2d(8, channels, 4, 4)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.down(self.block(torch.relu(self.stem(x)))))
        h = torch.relu(self.fc(h.flatten(1)))
        return self.mean(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.expand(z)).reshape(-1, 8, 16, 16)
        return self.out(self.decoder_block(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])


def residual_vae(seed: int = 0) -> ResidualVAE:
    torch.manual_seed(seed)
    return ResidualVAE().eval()


def pythae_model(name: str, seed: int = 0, latent_dim: int = 4) -> nn.Module:
    """A pythae model of class ``name`` on 1 x 64 x 64 images with pythae's default networks."""
    import pythae.models as models

    torch.manual_seed(seed)
    config_class = getattr(models, f"{name}Config")
    config = config_class(input_dim=(1, 64, 64), latent_dim=latent_dim)
    return getattr(models, name)(config).eval()


def pythae_beta_vae() -> nn.Module:
    """A factory as ``vaecausal-analyze --factory`` takes one: a pythae BetaVAE, adapted."""
    from vaecausal.adapters.pythae import PythaeAdapter

    return PythaeAdapter(pythae_model("BetaVAE"))
