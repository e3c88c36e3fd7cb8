"""What every finding's calculator shares: the study's planned layout, the assumptions, the row
each calculator returns, and the search for the smallest effect with 80% power."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vaecausal.analysis.findings import capacity
from vaecausal.catalog import DISCRETE_OBJECTIVES
from vaecausal.config import Study

TARGET_POWER = 0.8
VERDICTS = ("supported", "contradicted")  # the two verdicts a null can make falsely
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Assumptions:
    """What the simulations assume where the finding's effect is not in seed SDs.

    ``model_noise``: the seed SD of a model's DCI and CES relative to the spread of the models'
    true values (finding i; a model averaged over s seeds has s^-1/2 of it). ``vq_log_sd``: the
    seed SD of VQ-VAE's log CES; ``others_log_sd``: the SD of the continuous architectures' mean
    log CES around their geometric mean (finding iv). Defaults are rounded from the findings
    study's runs; ``draws`` per simulated rate."""

    model_noise: float = 0.3
    vq_log_sd: float = 0.3
    others_log_sd: float = 0.5
    draws: int = 1000
    seed: int = 0

    @property
    def null_draws(self) -> int:
        """Draws per null shape: twice ``draws``, since a rate near 2.5% needs them."""
        return 2 * self.draws


@dataclass(frozen=True)
class Layout:
    """A study's planned runs as the findings will see them."""

    study: str
    datasets: tuple[str, ...]
    reference: tuple[str, ...]  # architectures at their reference settings
    discrete: frozenset[str]
    population: tuple[str, ...]  # continuous models of finding (i): reference and strength variants
    seeds: dict[tuple[str, str], int]  # (dataset, architecture) -> planned runs
    # dataset -> (factors per latent, VAE runs, beta-VAE runs) per latent size of a sweep
    sweeps: dict[str, tuple[tuple[float, int, int], ...]] = field(default_factory=dict)

    def runs(self, dataset: str, architecture: str) -> int:
        return self.seeds.get((dataset, architecture), 0)


@dataclass(frozen=True)
class FindingPower:
    """One finding's calculator row."""

    finding: str
    null_supported: float
    null_contradicted: float
    worst_null: str
    effect: str
    smallest_effect: float
    power: float
    note: str = ""

    @classmethod
    def untested(cls, finding: str, effect: str, why: str) -> FindingPower:
        """The row of a finding the layout cannot test, saying why."""
        return cls(finding, math.nan, math.nan, "", effect, math.nan, math.nan, why)


class WorstNull:
    """The largest false 'supported' and false 'contradicted' rate over a finding's null shapes,
    each with the shape that gave it."""

    def __init__(self) -> None:
        self.rates = {"supported": (0.0, ""), "contradicted": (0.0, "")}

    def record(self, words: np.ndarray, shape: str, wrong: tuple[str, ...] = VERDICTS) -> None:
        """Count the verdicts of one shape's draws that are ``wrong`` under it."""
        for word in wrong:
            self.rates[word] = max(self.rates[word], (rate(words, word), shape))

    @property
    def supported(self) -> float:
        return self.rates["supported"][0]

    @property
    def contradicted(self) -> float:
        return self.rates["contradicted"][0]

    @property
    def shape(self) -> str:
        """The shape behind the larger of the two rates."""
        return max(self.rates.values())[1]


def _varying_factors(spec) -> int:
    """Factors with two or more values on the dataset's (subsampled) grid."""
    return sum(
        len(range(0, size, int(spec.subsample.get(name, 1)))) > 1
        for name, size in spec.factors.items()
    )


def _sweeps(study: Study, seeds: dict[tuple[str, str], int]) -> dict:
    """Per dataset, the latent sizes with both families' runs, as (ratio, VAE, beta-VAE)."""
    sweeps = {}
    for dataset, spec in study.datasets.items():
        if dataset in capacity.ATTRIBUTE_DATASETS:
            continue
        sizes: dict[int, dict[str, int]] = {}
        for name, arch in study.architectures.items():
            if arch.family in (capacity.BASELINE, capacity.TREATED) and not arch.strength_of:
                latents = study.model_settings(name)["n_latents"]
                cell = sizes.setdefault(latents, {})
                cell[arch.family] = cell.get(arch.family, 0) + seeds.get((dataset, name), 0)
        levels = tuple(
            (_varying_factors(spec) / latents, cell[capacity.BASELINE], cell[capacity.TREATED])
            for latents, cell in sorted(sizes.items())
            if min(cell.get(capacity.BASELINE, 0), cell.get(capacity.TREATED, 0)) >= 2
        )
        if len(levels) >= capacity.MIN_LEVELS:
            sweeps[dataset] = levels
    return sweeps


def layout(study: Study) -> Layout:
    """The planned layout of ``study``; raises ValueError when it plans no run."""
    if not study.runs:
        raise ValueError(f"study '{study.name}' plans no run of the project's architectures")
    seeds: dict[tuple[str, str], int] = {}
    for dataset, arch, _ in study.runs:
        seeds[(dataset, arch)] = seeds.get((dataset, arch), 0) + 1
    specs = study.architectures
    reference = tuple(n for n, a in specs.items() if a.family == n and not a.strength_of)
    discrete_ = frozenset(n for n, a in specs.items() if a.objective in DISCRETE_OBJECTIVES)
    population = tuple(n for n, a in specs.items() if a.family == n and n not in discrete_)
    return Layout(
        study.name,
        tuple(study.datasets),
        reference,
        discrete_,
        population,
        seeds,
        _sweeps(study, seeds),
    )


def rate(words: np.ndarray, word: str) -> float:
    return float(np.mean(words == word))


def smallest(power_at: Callable[[float], float], low: float, high: float) -> tuple[float, float]:
    """The smallest effect in [low, high] with power >= TARGET_POWER (bisection over
    SEARCH_STEPS - 1 steps; power rises with the effect under common random numbers) and its
    power; (inf, power at high) when even ``high`` falls short."""
    top = power_at(high)
    if top < TARGET_POWER:
        return math.inf, top
    best = (high, top)
    for _ in range(SEARCH_STEPS - 1):
        middle = (low + high) / 2
        power = power_at(middle)
        if power >= TARGET_POWER:
            high, best = middle, (middle, power)
        else:
            low = middle
    return best


SEARCH_STEPS = 9  # power at the top of the range, then 8 bisection steps
