"""What every objective offers the training loop, and what Gaussian-encoder objectives share.

An objective is a callable ``(model, x, generator) -> LossTerms``. Objectives with parts of their
own (FactorVAE's discriminator) train them in ``auxiliary_step`` after the model's update and
expose their state for checkpoints. Gaussian objectives add only their regulariser, so the
reconstruction term and sampling are written once. Logged terms stay detached tensors; the
training loop turns them into numbers only when it writes a log row, so logging adds no device
synchronisation per step.
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
    latents: torch.Tensor | None = None  # the sampled codes, detached, for auxiliary steps


class Objective(ABC):
    """The training loop's view of an objective."""

    @abstractmethod
    def __call__(
        self, model: torch.nn.Module, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> LossTerms:
        """Loss of ``model`` on batch ``x``."""

    def auxiliary_step(
        self, terms: LossTerms, generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        """Update the objective's own parts after the model's step; returns terms to log."""
        return {}

    def to(self, device: torch.device) -> Objective:
        return self

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:  # noqa: B027 (a no-op by default)
        """Restore what ``state_dict`` returned (nothing for objectives without parts)."""


class GaussianObjective(Objective):
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
        return LossTerms(total, {k: v.detach() for k, v in logs.items()}, z.detach())


def batch_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) summed over dimensions, averaged over the batch."""
    return gaussian_kl_per_dim(mu, logvar).sum(1).mean()
