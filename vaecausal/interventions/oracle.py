"""The factor oracle: a small CNN that reads every factor's class off an image.

It is trained once per dataset on real images, independent of the VAEs, and turns "which factor
did this intervention change" into a measurement (the TV distance between its class
distributions before and after). Its held-out accuracy per factor is reported, so a metric that
leans on a factor the oracle cannot read is flagged rather than trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vaecausal.data.loader import BatchGatherer
from vaecausal.models.device import place_network


class FactorOracle(nn.Module):
    """Four stride-2 convs, one hidden layer, and one softmax head per factor."""

    def __init__(self, channels: int, factor_sizes: Sequence[int]) -> None:
        super().__init__()
        self.channels = channels
        self.factor_sizes = [int(s) for s in factor_sizes]
        widths = (channels, 32, 32, 64, 64)
        layers: list[nn.Module] = []
        for i in range(4):
            layers += [nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1), nn.ReLU()]
        self.body = nn.Sequential(
            *layers,
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 256),
            nn.ReLU(),
            nn.Linear(256, sum(self.factor_sizes)),
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Logits per factor, each (B, size_k)."""
        return list(self.body(x).split(self.factor_sizes, dim=1))

    def probabilities(self, x: torch.Tensor, batch_size: int = 4096) -> list[torch.Tensor]:
        """Class distributions per factor, computed in batches of at most ``batch_size``."""
        parts = [self(x[s : s + batch_size]) for s in range(0, len(x), batch_size)]
        return [torch.cat([p[k] for p in parts]).softmax(-1) for k in range(len(self.factor_sizes))]


@dataclass(frozen=True)
class OracleSettings:
    steps: int
    batch_size: int
    learning_rate: float
    holdout: float
    seed: int


def split_indices(n_images: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) image indices, drawn with a fixed seed."""
    order = np.random.default_rng(seed).permutation(n_images)
    n_held = max(1, int(round(holdout * n_images)))
    return np.sort(order[n_held:]), np.sort(order[:n_held])


def train_oracle(
    images: BatchGatherer,
    factors: np.ndarray,
    factor_sizes: Sequence[int],
    train_indices: np.ndarray,
    settings: OracleSettings,
    progress: Callable[[int, torch.Tensor], None],
) -> FactorOracle:
    """Cross-entropy summed over factors, Adam, uniform minibatches of the training images."""
    device = images.device
    generator = torch.Generator().manual_seed(settings.seed)
    torch.manual_seed(settings.seed)
    oracle = place_network(FactorOracle(images.gather([0]).shape[1], factor_sizes), device)
    optimiser = torch.optim.Adam(oracle.parameters(), lr=settings.learning_rate)
    targets = torch.as_tensor(factors, device=device)
    train = torch.as_tensor(train_indices)
    for step in range(1, settings.steps + 1):
        draw = torch.randint(len(train), (settings.batch_size,), generator=generator)
        batch = train[draw].to(device)  # one upload a step, used for images and labels
        logits = oracle(images.gather(batch))
        labels = targets[batch]
        loss = sum(F.cross_entropy(lk, labels[:, k]) for k, lk in enumerate(logits))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        progress(step, loss.detach())
    return oracle.eval()


@torch.no_grad()
def oracle_accuracy(
    oracle: FactorOracle, images: BatchGatherer, factors: np.ndarray, indices: np.ndarray
) -> np.ndarray:
    """Share of the indexed images whose every factor class the oracle gets right, per factor."""
    correct = np.zeros(len(oracle.factor_sizes))
    for start in range(0, len(indices), 1024):
        batch = indices[start : start + 1024]
        logits = oracle(images.gather(batch))
        predicted = np.stack([lk.argmax(1).cpu().numpy() for lk in logits], axis=1)
        correct += (predicted == factors[batch]).sum(0)
    return correct / len(indices)


def save_oracle(path: Path, oracle: FactorOracle, info: dict[str, Any]) -> None:
    payload = {
        "arguments": {"channels": oracle.channels, "factor_sizes": oracle.factor_sizes},
        "state_dict": {k: v.detach().cpu() for k, v in oracle.state_dict().items()},
        "info": info,
    }
    torch.save(payload, path)


def load_oracle(path: Path, device: torch.device) -> FactorOracle:
    payload = torch.load(path, map_location="cpu", weights_only=False)
    oracle = FactorOracle(**payload["arguments"])
    oracle.load_state_dict(payload["state_dict"])
    return place_network(oracle, device).eval()
