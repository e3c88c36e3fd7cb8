"""What a manipulation declares and what it gets: the registry's types.

A ``Manipulation`` names itself (its timing name), says which models it applies to, and runs on
the ``Context`` the intervene stage builds once per model; it returns an ``Output``: arrays
under ``interventions.effects`` names and tidy rows. A manipulation that needs another's work
reads it from the context (the input pair families) rather than from that one's output, so
entries do not reach into each other's arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from vaecausal.adapters.protocol import DiscreteAdapter, VAEAdapter
from vaecausal.data.loader import BatchGatherer
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.interventions.pairs import PairFamily, input_pairs
from vaecausal.interventions.workload import Design, Workload


@dataclass
class Context:
    """One model's manipulations' shared inputs, built once by the intervene stage: the cached
    evaluation codes, the scope (active and analysed latents, patched units), the bootstrap
    weights every decoder metric's replicates use, the oracle and the dataset."""

    model: VAEAdapter
    settings: dict[str, Any]  # the ``interventions`` settings
    latents: np.ndarray  # (N, d) evaluation codes
    codes: np.ndarray | None  # (N, d) a discrete model's code indices, where cached
    active: np.ndarray  # (d,) bool
    analysed: np.ndarray  # (d,) bool
    units: dict[str, np.ndarray]  # hook point -> indices of the units patched
    weights: np.ndarray  # (R, N) bootstrap weights over the evaluation codes
    oracle: FactorOracle
    factor_names: list[str]
    factor_sizes: list[int]
    images: BatchGatherer
    factors: np.ndarray  # (N_images, K) factor indices of every image
    pair_rows: np.ndarray  # image indices the pairs start from
    split_seed: int
    categorical: list[str]
    log: Callable[[str], None]

    @property
    def discrete(self) -> bool:
        return isinstance(self.model, DiscreteAdapter)

    @cached_property
    def families(self) -> list[PairFamily]:
        """The symmetric input pairs, one family per factor: drawn on first use (by input
        manipulation) and reused by encoder patching, which restores the same pairs."""
        return input_pairs(
            self.images,
            self.factors,
            self.factor_names,
            self.factor_sizes,
            self.pair_rows,
            self.split_seed,
        )


@dataclass
class Output:
    """A manipulation's arrays for ``effects.npz`` (in the order written) and tidy rows."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    rows: list[pd.DataFrame] = field(default_factory=list)


@dataclass(frozen=True)
class Manipulation:
    """One manipulation type: ``name`` is its timing name; ``discrete_only`` ones run on a
    discrete model alone, ``needs_codes`` ones only where its code indices were cached;
    ``shrinks`` names the settings that shrink its cost (the budget check's advice) and
    ``workload`` counts its image passes for the cost plan (None: not in the plan)."""

    name: str
    run: Callable[[Context], Output]
    discrete_only: bool = False
    needs_codes: bool = False
    shrinks: str = ""
    workload: Callable[[Design, Mapping[str, Any]], Workload] | None = None

    def runs_on(self, discrete: bool, has_codes: bool) -> bool:
        """Whether it runs on a model whose latent is ``discrete`` or not, with or without its
        code indices cached (``has_codes``)."""
        return (discrete or not self.discrete_only) and (has_codes or not self.needs_codes)

    def applies(self, context: Context) -> bool:
        return self.runs_on(context.discrete, context.codes is not None)
