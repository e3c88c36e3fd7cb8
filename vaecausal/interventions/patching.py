"""Activation patching (manipulation 3), unit by unit, and the machinery mediation shares.

The control's activation at hook point L, with unit u taken from the treated input, is fed to the
rest of the model (``resume``: only the layers after L on this project's feed-forward networks,
the whole graph with L's output replaced on any other model). All units of a chunk go through
in one batched call; nothing is copied but activations.

Encoder side, per factor k and its pairs (x, x'):
  restoration R[L, u, k] = E||mu(x; a_Lu <- a_Lu(x')) - mu(x)|| / E||mu(x') - mu(x)||
  (a ratio of expectations, so pairs whose latents barely move cannot blow it up). Causal
  mediation patches the same way, with directed pairs and a scalar outcome (``mediation``).
Decoder side, per latent i and pairs (z, z^{i<-v}): R[L, u, i] with the image as outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from vaecausal.adapters.protocol import VAEAdapter, decode_images
from vaecausal.interventions.hooks import captured, is_linear, n_units, unit_view
from vaecausal.interventions.input_manipulation import as_slots
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.resume import decoder_resume, encoder_resume
from vaecausal.interventions.selection import spread

# Elements of the largest activation of one input (32 channels x 32 x 32): sizes patch chunks.
_LARGEST_ACTIVATION = 32 * 32 * 32


def patched_outcomes(
    resume: Callable[[torch.Tensor], torch.Tensor],
    base: torch.Tensor,
    source: torch.Tensor,
    linear: bool,
    reduce: Callable[[torch.Tensor], torch.Tensor],
    max_elements: int,
    units: np.ndarray | None = None,
) -> torch.Tensor:
    """``reduce`` of the outcomes of ``base`` (n, ...) with each unit in turn (every unit, or
    the indices ``units``) taken from ``source``; ``resume`` maps a hook point's activation to
    the outcome. Returns reduce's results stacked over the units patched: reduce gets (u, n, ...)
    outcomes and returns (u, ...)."""
    n = base.shape[0]
    base_units, source_units = unit_view(base, linear), unit_view(source, linear)
    chosen = torch.as_tensor(
        np.arange(base_units.shape[1]) if units is None else units, device=base.device
    )
    chunk = max(1, max_elements // (n * _LARGEST_ACTIVATION))
    results = []
    for units in chosen.split(chunk):
        patched = base_units.unsqueeze(0).repeat(len(units), 1, 1, 1)
        patched[torch.arange(len(units), device=base.device), :, units] = source_units[
            :, units
        ].transpose(0, 1)
        outcome = resume(patched.reshape(len(units) * n, *base.shape[1:]))
        results.append(reduce(outcome.reshape(len(units), n, *outcome.shape[1:])))
    return torch.cat(results)


def patched_count(
    model: VAEAdapter,
    name: str,
    activation: torch.Tensor,
    units: Mapping[str, np.ndarray] | None,
) -> int:
    """How many units of hook point ``name`` are patched: its subset in ``units``, or every unit
    of its ``activation``."""
    if units and name in units:
        return len(units[name])
    return n_units(model, name, activation)


def ratio(moved: torch.Tensor, total: torch.Tensor | float) -> torch.Tensor:
    """moved / total, and 0 where the treatment moved nothing (within float round-off): there is
    no effect to restore, and round-off divided by round-off is not a measurement."""
    total = torch.as_tensor(total, dtype=moved.dtype, device=moved.device)
    return torch.where(total > 1e-6, moved / total.clamp_min(1e-6), torch.zeros_like(moved))


def encoder_run(
    model: VAEAdapter, images: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The latents of ``images`` as slots (B, d, e) and every encoder hook point's activation."""
    with captured(model, model.encoder_hooks) as acts:
        latents = as_slots(model.encode_latents(images))
    return latents, dict(acts)


@dataclass(frozen=True)
class PairRestoration:
    """Encoder patching of one factor's n pairs, pair by pair: ``moved[L]`` (U, n) is
    ||mu(x; a_Lu <- a_Lu(x')) - mu(x)|| and ``totals`` (n,) is ||mu(x') - mu(x)||. Restoration
    is the ratio of their means over pairs (``ratios``); the per-pair terms let the metrics
    stage resample pairs."""

    moved: dict[str, np.ndarray]
    totals: np.ndarray

    def ratios(self) -> dict[str, np.ndarray]:
        """Restoration R of every unit of every hook point, (U,)."""
        total = torch.as_tensor(self.totals.mean())
        return {
            name: ratio(torch.as_tensor(m).mean(1), total).numpy() for name, m in self.moved.items()
        }


@torch.no_grad()
def encoder_restoration(
    model: VAEAdapter,
    family: PairFamily,
    max_elements: int = 2**25,
    units: Mapping[str, np.ndarray] | None = None,
) -> PairRestoration:
    """Restoration of every unit of every encoder hook point (or of the indices ``units[name]``)
    for one factor's pairs."""
    control, control_acts = encoder_run(model, family.control)
    treated, treated_acts = encoder_run(model, family.treated)

    def moved(outcome: torch.Tensor) -> torch.Tensor:
        return (outcome - control).flatten(2).norm(dim=2)

    return PairRestoration(
        moved={
            name: patched_outcomes(
                encoder_resume(model, name, family.control),
                control_acts[name],
                treated_acts[name],
                is_linear(model, name),
                moved,
                max_elements,
                (units or {}).get(name),
            )
            .cpu()
            .numpy()
            for name in model.encoder_hooks
        },
        totals=(treated - control).flatten(1).norm(dim=1).cpu().numpy(),
    )


@torch.no_grad()
def decoder_patching(
    model: VAEAdapter,
    latents: torch.Tensor,
    targets: torch.Tensor,
    patched_latents: list[int],
    max_elements: int = 2**25,
    units: Mapping[str, np.ndarray] | None = None,
    decode_batch: int | None = None,
) -> dict[str, np.ndarray]:
    """Restoration R[L] of shape (U, d) for pairs (z, z^{i<-t_i}) over the codes ``latents``
    (n, d, ...), ``targets`` holding each latent's perturbed value: one for every code (d, ...)
    or each code's own (n, d, ...), as an additive perturbation gives. Only the latents in
    ``patched_latents`` are patched (an inactive latent moves nothing, so it has nothing to
    restore); the other columns are NaN. With ``units``, only hook point L's units
    ``units[L]`` are patched: R[L] has one row per patched unit. With ``decode_batch``, the
    latents go in groups whose treated codes fit a decoder call of that many (each latent's
    restoration is its own, so the groups give the same numbers)."""
    n, d = latents.shape[:2]
    if not patched_latents:  # a collapsed model: nothing moves, nothing to restore
        with captured(model, model.decoder_hooks) as acts:
            model.run_decoder(model.decoder_input(latents[:1]))
        return {
            name: np.full((patched_count(model, name, a, units), d), np.nan, np.float32)
            for name, a in acts.items()
        }
    group = len(patched_latents) if decode_batch is None else max(1, decode_batch // n)
    parts = [
        _decoder_patching(
            model, latents, targets, patched_latents[start : start + group], max_elements, units
        )
        for start in range(0, len(patched_latents), group)
    ]
    chosen = np.asarray(patched_latents)
    return {
        name: spread(np.concatenate([part[name] for part in parts], axis=1), chosen, d, axis=1)
        for name in model.decoder_hooks
    }


def _decoder_patching(
    model: VAEAdapter,
    latents: torch.Tensor,
    targets: torch.Tensor,
    patched_latents: list[int],
    max_elements: int,
    units: Mapping[str, np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """``decoder_patching`` of the latents ``patched_latents`` (at least one), in one call:
    R[L] of shape (U, m) over them alone."""
    n = latents.shape[0]
    chosen = torch.as_tensor(patched_latents, dtype=torch.long, device=latents.device)
    m = len(chosen)
    perturbed = latents[:, None].repeat(1, m, *([1] * (latents.dim() - 1)))
    per_code = targets.expand(n, *targets.shape[targets.dim() - latents.dim() + 1 :])
    perturbed[:, torch.arange(m, device=latents.device), chosen] = per_code[:, chosen]
    pairs_treated = perturbed.transpose(0, 1).flatten(0, 1)  # (m * n, d, ...), latent-major

    # the control is the same n codes for every latent: decoded once, repeated latent-major
    control_inputs = model.decoder_input(latents)
    with captured(model, model.decoder_hooks) as acts:
        control_images = decode_images(model, control_inputs).flatten(1).repeat(m, 1)
    control_acts = {name: a.repeat(m, *([1] * (a.dim() - 1))) for name, a in acts.items()}
    with captured(model, model.decoder_hooks) as treated_acts:
        treated_images = decode_images(model, model.decoder_input(pairs_treated)).flatten(1)
    treated_acts = dict(treated_acts)
    denominator = (treated_images - control_images).norm(dim=1).reshape(m, n).mean(1)

    def restoration(outcome: torch.Tensor) -> torch.Tensor:
        moved = (outcome.flatten(2) - control_images).norm(dim=2).reshape(-1, m, n).mean(2)
        return ratio(moved, denominator)

    base_inputs = control_inputs.repeat(m, *([1] * (control_inputs.dim() - 1)))
    result = {}
    for name in model.decoder_hooks:
        restored = patched_outcomes(
            decoder_resume(model, name, base_inputs),
            control_acts[name],
            treated_acts[name],
            is_linear(model, name),
            restoration,
            max_elements,
            (units or {}).get(name),
        )
        result[name] = restored.cpu().numpy().astype(np.float32)
    return result
