"""Circuit metrics of docs/methods.md#causal-metrics: modularity of the decoder, circuits and
polysemantic units of the encoder, from the intervention engine's arrays.

- Circuit modularity of decoder hook point L: M_L = 1 - mean_{i<j} |pearson(Delta a_i, Delta a_j)|
  over active latents, Delta a_i = E |a(z^{i<-v}) - a(z)| per unit. Model modularity = mean over
  the hook points with at least ``MIN_MODULARITY_UNITS`` units (``modularity_layers``). Pairs
  whose correlation is undefined (a latent that moves no unit) are skipped.
- Circuit of factor k: the top ``fraction`` of each encoder layer's units by restoration R, among
  units with R > 0; circuit overlap = mean_{k<l} Jaccard(circuit_k, circuit_l) over factors with
  a circuit.
- A unit is polysemantic when R exceeds ``threshold`` for two or more factors, monosemantic for
  exactly one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import combinations

import numpy as np

MIN_MODULARITY_UNITS = 16
"""Fewest units a decoder hook point needs to count towards model modularity.

A Pearson correlation over U points is mostly noise when U is small: |r| of two unrelated
vectors averages 2/pi = 0.64 over 3 points, 0.21 over 16 and 0.10 over 64, and over one point it
is undefined. The last decoder layer's units are the image's 1 or 3 channels, so without a floor
it would drop out on 1-channel datasets and weigh in as noise on 3-channel ones, and the two
would average over different layers. With 16, every dataset uses fc1 (256 units), fc2 (1024),
deconv1 (64), deconv2 and deconv3 (32 channels each), and never deconv4.
"""


def layer_modularity(delta: np.ndarray, active: np.ndarray) -> float:
    """M_L from Delta a of shape (d, U); NaN with fewer than two usable active latents (a
    latent that moves no unit, or moves all alike, has no correlation and is skipped)."""
    rows = np.asarray(delta, dtype=np.float64)[active]
    rows = rows[rows.std(1) > 0]
    if len(rows) < 2:
        return math.nan
    upper = np.triu_indices(len(rows), k=1)
    return 1.0 - float(np.abs(np.corrcoef(rows)[upper]).mean())


def modularity_layers(deltas: Mapping[str, np.ndarray]) -> list[str]:
    """The hook points, in order, whose Delta a (d, U) has at least ``MIN_MODULARITY_UNITS``
    units: those ``model_modularity`` averages over."""
    return [name for name, delta in deltas.items() if delta.shape[1] >= MIN_MODULARITY_UNITS]


def model_modularity(deltas: Mapping[str, np.ndarray], active: np.ndarray) -> float:
    """Mean M_L over ``modularity_layers(deltas)`` where defined; NaN where none is."""
    values = [layer_modularity(deltas[name], active) for name in modularity_layers(deltas)]
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def circuits(restoration: Mapping[str, np.ndarray], fraction: float) -> list[set[tuple[str, int]]]:
    """Per factor, the set of (layer, unit) in the top ``fraction`` of each layer by R (U, K).

    Only units that restore something (R > 0) can be in a circuit: units with R = 0 are ties,
    and ranking them by index would hand every factor the same first units, so a model whose
    patching restores nothing (a collapsed encoder) would show perfect overlap.
    """
    n_factors = next(iter(restoration.values())).shape[1]
    found: list[set[tuple[str, int]]] = [set() for _ in range(n_factors)]
    for name, r in restoration.items():
        top = max(1, math.ceil(fraction * r.shape[0]))
        for k in range(n_factors):
            score = np.nan_to_num(r[:, k], nan=0.0)
            order = np.argsort(-score, kind="stable")[:top]
            found[k].update((name, int(u)) for u in order if score[u] > 0)
    return found


def circuit_overlap(restoration: Mapping[str, np.ndarray], fraction: float) -> float:
    """Mean pairwise Jaccard index of the factors' circuits, over pairs of factors that both have
    one (NaN when fewer than two do)."""
    sets = [s for s in circuits(restoration, fraction) if s]
    scores = [len(a & b) / len(a | b) for a, b in combinations(sets, 2)]
    return float(np.mean(scores)) if scores else math.nan


def semantic_fractions(r: np.ndarray, threshold: float) -> dict[str, float]:
    """Shares of a layer's units (R of shape (U, K)) that are poly- or monosemantic."""
    strong = (np.nan_to_num(r) > threshold).sum(axis=1)
    return {
        "polysemantic": float((strong >= 2).mean()),
        "monosemantic": float((strong == 1).mean()),
    }
