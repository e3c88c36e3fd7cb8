"""What every Gaussian-encoder objective shares: encode, sample, decode, reconstruct.

An objective is a callable ``(model, x, generator) -> LossTerms``. Subclasses add only their
regulariser, so the reconstruction term and sampling are written once. Logged terms stay detached
tensors; the training loop turns them into numbers only when it writes a log row, so logging adds
no device synchronisation per step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch

from vaecausal.models.losses import bernoulli_reconstruction, gaussian_kl_per_dim, reparameterise
from vaecausal.models.network import GaussianVAE


@dataclass
class LossTerms:
    total: torch.Tensor
    logs: dict[str, torch.Tensor]


class GaussianObjective(ABC):
    """ELBO-style objective: reconstruction + ``regulariser(mu, logvar, z)``."""

    @abstractmethod
    def regulariser(
        self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The objective's own terms: (weighted total, named terms to log)."""

    def __call__(
        self, model: GaussianVAE, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> LossTerms:
        mu, logvar = model.encode(x)
        z = reparameterise(mu, logvar, generator)
        reconstruction = bernoulli_reconstruction(model.decode(z), x)
        regulariser, logs = self.regulariser(mu, logvar, z)
        total = reconstruction + regulariser
        logs = {"loss": total, "reconstruction": reconstruction, **logs}
        return LossTerms(total, {k: v.detach() for k, v in logs.items()})


def batch_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) summed over dimensions, averaged over the batch."""
    return gaussian_kl_per_dim(mu, logvar).sum(1).mean()
