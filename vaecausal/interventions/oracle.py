"""The factor oracle: a small CNN that reads every factor's class off an image.

It is trained once per dataset on real images, independent of the VAEs, and turns "which factor
did this intervention change" into a measurement (the TV distance between its class
distributions before and after). It trains until it reads every factor at the accuracy floor, with
95% confidence, on images it does not learn from (the check split), or until its step budget
runs out, and reports
its accuracy per factor on a third split (held out). A factor it still cannot read is left out
of every oracle-based metric (``readable``).

Some factor values cannot be told apart from the image at all: a square turned by 90 degrees is
the same square. A :class:`Symmetry` declares such a period, and the oracle is then scored on
what can be told (orientation modulo the shape's period), not on a guess between look-alikes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vaecausal.data.loader import BatchGatherer
from vaecausal.models.device import place_network

# One-sided 95% normal quantile: the stopping rule's confidence that a factor reads at the floor.
STOPPING_Z = 1.645


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
    """``steps`` is a budget: training stops earlier once every factor reaches
    ``accuracy_floor`` on the check split, looked at every ``check_every`` steps."""

    steps: int
    batch_size: int
    learning_rate: float
    holdout: float
    seed: int
    check_every: int
    accuracy_floor: float


@dataclass(frozen=True)
class Symmetry:
    """Values of factor ``factor`` that look alike: those ``period`` class steps apart, where
    ``period`` depends on the class of factor ``given`` (a square's orientation repeats every
    quarter turn). Periods are in class steps of the factor as stored and need not be whole
    (``from_config`` converts them from the full grid to a subsampled one)."""

    factor: int
    given: int
    periods: tuple[float, ...]  # one per class of ``given``

    @classmethod
    def from_config(
        cls,
        factor_names: Sequence[str],
        name: str,
        entry: dict[str, Any],
        subsample: dict[str, int],
    ) -> Symmetry:
        """From a dataset's ``symmetries.<name>`` entry (``given``, ``period_steps`` per class of
        the full grid). A grid that keeps every s-th value makes a period of P full steps P / s
        stored steps, and class j of ``given`` class j * s_given of the full grid."""
        given = entry["given"]
        step, given_step = subsample.get(name, 1), subsample.get(given, 1)
        full = entry["period_steps"]
        periods = tuple(full[j] / step for j in range(0, len(full), given_step))
        return cls(factor_names.index(name), factor_names.index(given), periods)

    def alike(self, predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
        """Whether each predicted class of the factor lies within half a class step of a value
        that looks like the true one: (n,) bool, from (n, K) predicted and true classes."""
        period = np.asarray(self.periods)[true[:, self.given]]
        offset = (predicted[:, self.factor] - true[:, self.factor]) / period
        return np.abs(offset - np.round(offset)) * period <= 0.5


def split_indices(
    n_images: int, holdout: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, check, held-out) image indices, drawn with a fixed seed: check and held-out are
    each a ``holdout`` share. Check decides when training stops; held-out, never looked at
    during training, gives the accuracy reported."""
    order = np.random.default_rng(seed).permutation(n_images)
    n_held = max(1, int(round(holdout * n_images)))
    held, check = order[:n_held], order[n_held : 2 * n_held]
    return np.sort(order[2 * n_held :]), np.sort(check), np.sort(held)


def correct_classes(
    predicted: np.ndarray, true: np.ndarray, symmetries: Sequence[Symmetry] = ()
) -> np.ndarray:
    """(n, K) bool: the predicted class is the true one, or one that looks alike."""
    correct = predicted == true
    for symmetry in symmetries:
        correct[:, symmetry.factor] = symmetry.alike(predicted, true)
    return correct


def chance_accuracy(
    true: np.ndarray, factor_sizes: Sequence[int], symmetries: Sequence[Symmetry] = ()
) -> np.ndarray:
    """(K,) the accuracy of the best constant guess on images of classes ``true`` (n, K): the
    majority class's share (1 / size on a balanced grid, more on CelebA's imbalanced
    attributes), or with a symmetry the share of the value most images look alike to."""
    chance = np.zeros(len(factor_sizes))
    for k, size in enumerate(factor_sizes):
        for guess in range(size):
            predicted = true.copy()
            predicted[:, k] = guess
            rate = correct_classes(predicted, true, symmetries)[:, k].mean()
            chance[k] = max(chance[k], rate)
    return chance


def _lower_bound(accuracy: np.ndarray, n_images: int) -> np.ndarray:
    """One-sided 95% lower bound of an accuracy on ``n_images`` (normal approximation)."""
    accuracy = np.asarray(accuracy, dtype=np.float64)
    return accuracy - STOPPING_Z * np.sqrt(accuracy * (1 - accuracy) / max(n_images, 1))


def readable(accuracy: np.ndarray, chance: np.ndarray, n_images: int, floor: float) -> np.ndarray:
    """(K,) bool: the factors the oracle reads at ``floor`` or better on ``n_images``, and
    surely better than the best constant guess (``chance``): a majority-class guesser can clear
    the floor on an imbalanced attribute, and reads nothing."""
    return (np.asarray(accuracy) >= floor) & (_lower_bound(accuracy, n_images) > chance)


def surely_readable(
    accuracy: np.ndarray, chance: np.ndarray, n_images: int, floor: float
) -> np.ndarray:
    """(K,) bool: as ``readable`` with the floor cleared by the accuracy's one-sided 95% lower
    bound. Stopping as soon as the check images' accuracy touches the floor would leave the
    held-out accuracy, a fresh sample, below it about half the time."""
    bound = _lower_bound(accuracy, n_images)
    return (bound >= floor) & (bound > chance)


@dataclass(frozen=True)
class Check:
    """The oracle's accuracy per factor on the check split after ``step`` steps."""

    step: int
    accuracy: np.ndarray


def train_oracle(
    images: BatchGatherer,
    factors: np.ndarray,
    factor_sizes: Sequence[int],
    train_indices: np.ndarray,
    settings: OracleSettings,
    progress: Callable[[int, torch.Tensor], None],
    check: Callable[[FactorOracle], np.ndarray] | None = None,
    done: Callable[[np.ndarray], bool] = lambda _: False,
) -> tuple[FactorOracle, list[Check]]:
    """Cross-entropy summed over factors, Adam, uniform minibatches of the training images, for
    ``settings.steps`` steps or until ``done`` says the accuracies ``check`` measures (per
    factor, on images not trained on) are enough (the stage: ``surely_readable``); the checks
    made are returned with the oracle."""
    device = images.device
    generator = torch.Generator().manual_seed(settings.seed)
    torch.manual_seed(settings.seed)
    oracle = place_network(FactorOracle(images.gather([0]).shape[1], factor_sizes), device)
    optimiser = torch.optim.Adam(oracle.parameters(), lr=settings.learning_rate)
    targets = torch.as_tensor(factors, device=device)
    train = torch.as_tensor(train_indices)
    checks: list[Check] = []
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
        if check is not None and (step % settings.check_every == 0 or step == settings.steps):
            checks.append(Check(step, check(oracle.eval())))
            oracle.train()
            if done(checks[-1].accuracy):
                break
    return oracle.eval(), checks


def seconds_per_step(
    images: BatchGatherer,
    factors: np.ndarray,
    factor_sizes: Sequence[int],
    settings: OracleSettings,
) -> float:
    """Seconds of one training step of the oracle at ``settings``' batch size, timed over
    three steps after a first (for the cost plan, before the oracle is trained)."""
    times: list[float] = []

    def record(_step: int, loss: torch.Tensor) -> None:
        loss.item()  # waits for the step on an accelerator
        times.append(time.perf_counter())

    train_oracle(
        images, factors, factor_sizes, np.arange(len(images)), replace(settings, steps=4), record
    )
    return (times[-1] - times[0]) / (len(times) - 1)


@torch.no_grad()
def oracle_accuracy(
    oracle: FactorOracle,
    images: BatchGatherer,
    factors: np.ndarray,
    indices: np.ndarray,
    symmetries: Sequence[Symmetry] = (),
) -> np.ndarray:
    """Share of the indexed images whose class the oracle gets right (or a look-alike of it,
    ``symmetries``), per factor."""
    correct = np.zeros(len(oracle.factor_sizes))
    for start in range(0, len(indices), 1024):
        batch = indices[start : start + 1024]
        logits = oracle(images.gather(batch))
        predicted = np.stack([lk.argmax(1).cpu().numpy() for lk in logits], axis=1)
        correct += correct_classes(predicted, factors[batch], symmetries).sum(0)
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
