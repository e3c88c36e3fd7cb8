"""FactorVAE (Kim & Mnih 2018): VAE + gamma * TC, the TC estimated by a discriminator.

The discriminator (6 linear layers of 1000 units, leaky ReLU, 2 logits) tells codes sampled from
q(z) (class 0) from codes whose dimensions were permuted independently across the batch, samples
of the product of marginals (class 1). With D's logits, TC ~ E[logit_0(z) - logit_1(z)]. D has its
own Adam optimiser and is updated once per model step on the same batch's codes (as in
disentanglement_lib); the step counter counts model updates only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vaecausal.models.objective import GaussianObjective, LossTerms, batch_kl


class Discriminator(nn.Module):
    def __init__(self, n_latents: int, width: int = 1000, depth: int = 6) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth - 1):
            layers += [nn.Linear(n_latents if i == 0 else width, width), nn.LeakyReLU(0.2)]
        layers.append(nn.Linear(width, 2))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def permute_dims(z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each column of ``z`` shuffled independently across the batch: a sample of prod_i q(z_i)."""
    order = torch.rand(z.shape, generator=generator, device=z.device).argsort(dim=0)
    return z.gather(0, order)


class FactorVAEObjective(GaussianObjective):
    def __init__(self, gamma: float, n_latents: int, lr: float, betas: tuple[float, float]) -> None:
        self.gamma = gamma
        self.discriminator = Discriminator(n_latents)
        self.optimiser = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas)

    def regulariser(
        self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        kl = batch_kl(mu, logvar)
        logits = self.discriminator(z)
        tc = (logits[:, 0] - logits[:, 1]).mean()
        return kl + self.gamma * tc, {"kl": kl, "total_correlation": tc}

    def auxiliary_step(
        self, terms: LossTerms, generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        z = terms.latents
        assert z is not None
        real = self.discriminator(z)
        permuted = self.discriminator(permute_dims(z, generator))
        zeros = torch.zeros(len(z), dtype=torch.long, device=z.device)
        loss = 0.5 * (F.cross_entropy(real, zeros) + F.cross_entropy(permuted, zeros + 1))
        # Clears the gradients the model's loss left on D before D's own update.
        self.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        self.optimiser.step()
        return {"discriminator_loss": loss.detach()}

    def to(self, device: torch.device) -> FactorVAEObjective:
        self.discriminator.to(device)
        return self

    def state_dict(self) -> dict:
        return {
            "discriminator": self.discriminator.state_dict(),
            "optimiser": self.optimiser.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimiser.load_state_dict(state["optimiser"])
