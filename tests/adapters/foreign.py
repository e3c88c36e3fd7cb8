"""Foreign models for the adapter tests: a hand-written VAE with residual blocks (a module graph
that is not a chain) and tiny pythae models."""

from __future__ import annotations

from types import SimpleNamespace

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


def pythae_vq_vae() -> nn.Module:
    """A factory of a discrete-latent model under a name that says nothing of it: a pythae
    VQVAE, adapted."""
    from vaecausal.adapters.pythae import PythaeVQAdapter

    return PythaeVQAdapter(pythae_model("VQVAE"))


class SpatialNormalVAE(nn.Module):
    """A VAE as diffusers and torch.distributions users write them, with no wrapper: ``encode``
    returns a ``torch.distributions.Normal`` over a spatial latent (2, 4, 4), ``decode`` an object
    whose ``sample`` is a Tanh image in [-1, 1]."""

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.down = nn.Conv2d(channels, 4, 16, 16)  # 64 x 64 -> 4 x 4: mean and log-scale
        self.up = nn.ConvTranspose2d(2, channels, 16, 16)

    def encode(self, x: torch.Tensor) -> torch.distributions.Normal:
        loc, log_scale = self.down(x).chunk(2, dim=1)
        return torch.distributions.Normal(loc, log_scale.exp())

    def decode(self, z: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(sample=torch.tanh(self.up(z)))


def spatial_normal_vae(seed: int = 0) -> SpatialNormalVAE:
    """Its decoder starts near a black background (-1), as a trained Tanh decoder of dSprites
    draws it."""
    torch.manual_seed(seed)
    model = SpatialNormalVAE()
    with torch.no_grad():
        model.up.bias.fill_(-1.5)
    return model.eval()
