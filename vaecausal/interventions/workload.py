"""What the cost plan counts, in a module of its own so that each manipulation of the registry
declares its own passes (``Manipulation.workload``) and ``plan`` sums them: the ``Design`` a
model's manipulations will run on and the ``Workload`` of one of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Workload:
    """Image passes one manipulation makes."""

    name: str
    encoder: int = 0
    decoder: int = 0
    oracle: int = 0
    resumed: Mapping[str, int] = field(default_factory=dict)  # hook point -> passes from it
    codes: int = 0  # evaluation codes it goes through, for one timed per code


@dataclass(frozen=True)
class Design:
    """What the manipulations will be run on: counts the settings and the data fix."""

    n_eval: int
    n_latents: int
    decode_batch: int  # codes per decoder call
    analysed: int
    analysed_active: int
    families: int
    treatments: int
    discrete: bool
    hook_units: Mapping[str, int]  # every hook point's units, encoder then decoder
    patched_units: Mapping[str, int]  # units patched per hook point
    encoder_hooks: tuple[str, ...]
    latent_selection: str


def input_pair_count(design: Design, settings: Mapping[str, Any]) -> int:
    """Input pairs per family (at most one per evaluation code): the pairs input manipulation
    draws, which activation patching and causal mediation take theirs from."""
    return min(settings["input_pairs"], design.n_eval)


def split_units(design: Design) -> tuple[list[str], list[str]]:
    """The hook points of the encoder, then of the decoder (every hook point is patched, some
    on a subset of its units), in the model's order."""
    hooks = list(design.patched_units)
    encoder = [h for h in hooks if h in design.encoder_hooks]
    return encoder, [h for h in hooks if h not in encoder]
