"""Latent perturbation (manipulation 2): move one latent by a grid value and decode.

For every evaluation code z (mu(x), or a VQ-VAE's z_e), latent i and value v, the perturbed code
z^{i,v} is z with latent i replaced, in the model's perturbation frame (centre, scale), by

- ``set``: centre_i + v * scale_i, one target for every code: the study's form for Gaussian
  latents, in prior units (z_i := v);
- ``additive``: z_i + v * scale_i, each code's own target. The study's VQ-VAE perturbation: slot
  i of z_e moved by v times its per-dim standard deviation before quantisation, so a small move
  can snap back to the same code (``code_changes`` counts how often it does not).

Measured per change (see ``decoder_effects``): the pixel effect ||xhat(z^{i,v}) - xhat(z)||_2,
the oracle's factor effect E[i, k] and each decoder unit's activation change. All latents and
values of a batch of codes go through the decoder together with the batch's unchanged codes, in
calls of at most ``decode_batch`` codes; where one code's changes alone exceed that (hundreds of
latents), the latents go in groups whose changes fit, each group with its own unchanged codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from vaecausal.adapters.protocol import DiscreteAdapter, VAEAdapter, model_device
from vaecausal.interventions import effects as keys
from vaecausal.interventions.decoder_effects import (
    MAX_REPLICATE_ELEMENTS,
    EffectSums,
    images_per_call,
    measure_decoder_change,
)
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.interventions.selection import spread

PERTURBATION_MODES = ("additive", "set")


def perturbation_targets(
    centre: torch.Tensor, scale: torch.Tensor, values: torch.Tensor
) -> torch.Tensor:
    """targets[..., i, k] = centre[..., i] + v_k * scale_i with ``scale`` (d, ...): (d, V, ...)
    for a centre shared by every code (d, ...), (B, d, V, ...) for one per code (B, d, ...)."""
    value_axis = -scale.dim()  # just after the latent axis
    shaped = values.reshape(-1, *([1] * (scale.dim() - 1)))
    return centre.unsqueeze(value_axis) + shaped * scale.unsqueeze(value_axis)


def perturbed_codes(
    z: torch.Tensor, targets: torch.Tensor, chosen: torch.Tensor | None = None
) -> torch.Tensor:
    """Every single-latent perturbation of ``z`` (B, d, ...) of the ``chosen`` latents (m,)
    (all d by default): (B, m, V, d, ...) with [b, j, k] = z[b] whose latent i = chosen[j] is
    replaced by ``targets[i, k]`` (targets shared by every code, (d, V, ...)) or by
    ``targets[b, i, k]`` (each code's own, (B, d, V, ...))."""
    batch, d = z.shape[:2]
    latent = torch.arange(d, device=z.device) if chosen is None else chosen
    targets = targets.expand(batch, *targets.shape[targets.dim() - z.dim() :])
    codes = z[:, None, None].repeat(1, len(latent), targets.shape[2], *([1] * (z.dim() - 1)))
    codes[:, torch.arange(len(latent), device=z.device), :, latent] = targets[:, latent].transpose(
        0, 1
    )
    return codes


@dataclass(frozen=True)
class Perturbation:
    """A grid of values in a model's perturbation frame, applied in one of
    ``PERTURBATION_MODES`` (see the module's docstring)."""

    centre: torch.Tensor  # (d, ...)
    scale: torch.Tensor  # (d, ...)
    values: torch.Tensor  # (V,)
    mode: str

    def targets(self, z: torch.Tensor) -> torch.Tensor:
        """Latent i's value after perturbation k of the codes ``z`` (B, d, ...): each code's own,
        (B, d, V, ...), when additive; else one for every code, (d, V, ...)."""
        centre = z if self.mode == "additive" else self.centre
        return perturbation_targets(centre, self.scale, self.values)

    def value_targets(self, z: torch.Tensor, k: int) -> torch.Tensor:
        """Latent i's value after grid value k alone: (B, d, ...) when additive, else (d, ...)."""
        return self.targets(z).select(-self.scale.dim(), k)

    def codes(self, z: torch.Tensor, chosen: torch.Tensor | None = None) -> torch.Tensor:
        """Every perturbed code of ``z`` of the ``chosen`` latents (m,; all d by default),
        (B, m, V, d, ...)."""
        return perturbed_codes(z, self.targets(z), chosen)


def perturbation_mode(settings: Mapping[str, Any], model: VAEAdapter) -> str:
    """``set`` for Gaussian latents (z_i := v, as the study does); ``interventions.vq_perturbation``
    for a discrete model's z_e."""
    return settings["vq_perturbation"] if isinstance(model, DiscreteAdapter) else "set"


def grid_perturbation(
    model: VAEAdapter, latents: torch.Tensor, values: list[float], mode: str = "set"
) -> Perturbation:
    """The grid ``values`` in the model's perturbation frame estimated on ``latents``."""
    if mode not in PERTURBATION_MODES:
        raise ValueError(f"perturbation mode {mode!r} is not one of {PERTURBATION_MODES}")
    centre, scale = model.perturbation_frame(latents)
    grid = torch.as_tensor(values, dtype=latents.dtype, device=latents.device)
    return Perturbation(centre, scale, grid, mode)


@torch.no_grad()
def latent_perturbation(
    model: VAEAdapter,
    latents: np.ndarray,
    values: list[float],
    decode_batch: int,
    oracle: FactorOracle | None = None,
    hooks: tuple[str, ...] | None = None,
    mode: str = "set",
    weights: np.ndarray | None = None,
    analysed: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(pixel effect norms (N, d, V), mean factor effects (with an oracle) and activation effects
    at ``hooks`` (every decoder hook point by default), as ``EffectSums.means``) of the
    perturbations in ``mode``; with bootstrap ``weights`` (R, N) also per replicate. Only the
    ``analysed`` latents (a mask; all by default) are perturbed: the others' entries are NaN,
    but for the replicates' activation effects, (R, m, U) over the m analysed latents alone
    (spread over all d they could take d / m times the memory their budget allows).

    A decoder call holds a code and its changes: where one code's changes of every analysed
    latent exceed ``decode_batch`` (hundreds of latents), the latents go in groups that fit,
    each group's replicate sums held to its share of ``MAX_REPLICATE_ELEMENTS``."""
    perturbation = grid_perturbation(
        model, torch.as_tensor(latents, device=model_device(model)), values, mode
    )
    n, d = latents.shape[:2]
    chosen = np.arange(d) if analysed is None else np.flatnonzero(analysed)
    if not len(chosen):  # nothing analysed (a collapsed model): every effect undefined
        shapes = _perturb(model, latents[:1], perturbation, np.arange(1), 1, oracle, hooks, None, 0)
        return np.full((n, d, len(values)), np.nan, np.float32), {
            key: np.full((d, *value.shape[1:]), np.nan, np.float32)
            for key, value in shapes[1].items()
        }
    group = max(1, (decode_batch - 1) // len(values))
    groups = [chosen[start : start + group] for start in range(0, len(chosen), group)]
    parts = [
        _perturb(
            model,
            latents,
            perturbation,
            g,
            decode_batch,
            oracle,
            hooks,
            weights,
            MAX_REPLICATE_ELEMENTS * len(g) // len(chosen),
        )
        for g in groups
    ]
    norms = np.concatenate([p[0] for p in parts], axis=1)
    # replicate sums are kept for every group or for none; the first group's order of keys
    # (the decoder's order of hook points, which modularity_layers reports)
    kept = [key for key in parts[0][1] if all(key in part[1] for part in parts)]
    means = {
        key: np.concatenate([p[1][key] for p in parts], axis=_latent_axis(key)) for key in kept
    }
    if len(chosen) == d:
        return norms, means
    return spread(norms, chosen, d, axis=1), {
        key: value
        if key.startswith(COMPACT_REPLICATES)
        else spread(value, chosen, d, axis=_latent_axis(key))
        for key, value in means.items()
    }


# Replicate arrays kept over the analysed latents alone (``latent_perturbation``).
COMPACT_REPLICATES = keys.REPLICATE_ACTIVATION_DELTA


def _latent_axis(key: str) -> int:
    """The latent axis of an ``EffectSums.means`` array: after the replicates', if any."""
    return 1 if key.startswith(keys.REPLICATES) else 0


def _perturb(
    model: VAEAdapter,
    latents: np.ndarray,
    perturbation: Perturbation,
    chosen: np.ndarray,
    decode_batch: int,
    oracle: FactorOracle | None,
    hooks: tuple[str, ...] | None,
    weights: np.ndarray | None,
    max_replicate_elements: int,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``latent_perturbation`` of the ``chosen`` latents (indices), its arrays over them alone."""
    device = model_device(model)
    all_latents = torch.as_tensor(latents, device=device)
    n, m, n_values = latents.shape[0], len(chosen), len(perturbation.values)
    chosen_t = torch.as_tensor(chosen, device=device)
    per_call = images_per_call(decode_batch, m * n_values)
    norms = np.empty((n, m, n_values), dtype=np.float32)
    sums = EffectSums.over_codes(m, weights, device, max_replicate_elements)
    for start in range(0, n, per_call):
        z = all_latents[start : start + per_call]
        changed = model.decoder_input(perturbation.codes(z, chosen_t).flatten(0, 2))
        change = measure_decoder_change(
            model,
            model.decoder_input(z),
            changed.reshape(len(z), m, n_values, *changed.shape[1:]),
            oracle,
            sums,
            hooks,
            start,
        )
        norms[start : start + len(z)] = change.cpu().numpy()
    return norms, sums.means()


@torch.no_grad()
def code_changes(
    model: DiscreteAdapter, latents: np.ndarray, values: list[float], mode: str, chunk: int = 256
) -> np.ndarray:
    """(N, d, V) bool: whether perturbation (i, v) of each z_e puts slot i on another code than
    its own. Only slot i moves, so only its target is quantised; ``chunk`` codes at a time bound
    the (codes x codebook) distance matrix."""
    all_latents = torch.as_tensor(latents, device=model_device(model))
    perturbation = grid_perturbation(model, all_latents, values, mode)
    quantise = model.codes
    changed = [
        quantise(perturbation.targets(z)) != quantise(z)[:, :, None]
        for z in all_latents.split(chunk)
    ]
    return torch.cat(changed).cpu().numpy()
