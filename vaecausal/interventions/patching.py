"""Activation patching (manipulation 3) and causal mediation (manipulation 4), unit by unit.

The network is a feed-forward chain of hook points, so patching unit u of hook point L needs only
the layers after L: the control's activation at L, with unit u taken from the treated input, is
fed to ``forward_from``. All units of a chunk go through in one batched call; nothing is copied
but activations.

Encoder side, per factor k and its pairs (x, x'):
  restoration R[L, u, k] = E||mu(x; a_Lu <- a_Lu(x')) - mu(x)|| / E||mu(x') - mu(x)||
  (a ratio of expectations, so pairs whose latents barely move cannot blow it up);
  mediation with outcome y = the projection of latent i* (the active latent factor k moves most,
  ``mediation_outcomes``) on the direction it moves in on average (for a one-dim latent:
  +-mu_i*, the methods' outcome up to a sign that cancels in NIE/TE):
  TE = E[y(x') - y(x)], NIE(L, u) = E[y(x; a_Lu <- a_Lu(x')) - y(x)],
  NDE(L, u) = E[y(x'; a_Lu <- a_Lu(x)) - y(x)], and the same with the whole layer as mediator.
Decoder side, per latent i and pairs (z, z^{i<-v}): R[L, u, i] with the image as outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from vaecausal.interventions.hooks import captured, is_linear, unit_view
from vaecausal.interventions.input_manipulation import as_slots
from vaecausal.interventions.pairs import PairFamily
from vaecausal.models.network import Decoder, Encoder, LatentModel

ENCODER_HOOKS = tuple(f"encoder.{name}" for name in Encoder.hook_points)
DECODER_HOOKS = tuple(f"decoder.{name}" for name in Decoder.hook_points)
# Elements of the largest activation of one input (32 channels x 32 x 32): sizes patch chunks.
_LARGEST_ACTIVATION = 32 * 32 * 32


def patched_outcomes(
    resume: Callable[[torch.Tensor], torch.Tensor],
    base: torch.Tensor,
    source: torch.Tensor,
    linear: bool,
    reduce: Callable[[torch.Tensor], torch.Tensor],
    max_elements: int,
) -> torch.Tensor:
    """``reduce`` of the outcomes of ``base`` (n, ...) with each unit in turn taken from
    ``source``; ``resume`` maps a hook point's activation to the outcome. Returns reduce's
    results stacked over units: reduce gets (u, n, ...) outcomes and returns (u, ...)."""
    n = base.shape[0]
    base_units, source_units = unit_view(base, linear), unit_view(source, linear)
    n_all = base_units.shape[1]
    chunk = max(1, max_elements // (n * _LARGEST_ACTIVATION))
    results = []
    for start in range(0, n_all, chunk):
        units = torch.arange(start, min(start + chunk, n_all), device=base.device)
        patched = base_units.unsqueeze(0).repeat(len(units), 1, 1, 1)
        patched[torch.arange(len(units), device=base.device), :, units] = source_units[
            :, units
        ].transpose(0, 1)
        outcome = resume(patched.reshape(len(units) * n, *base.shape[1:]))
        results.append(reduce(outcome.reshape(len(units), n, *outcome.shape[1:])))
    return torch.cat(results)


def ratio(moved: torch.Tensor, total: torch.Tensor | float) -> torch.Tensor:
    """moved / total, and 0 where the treatment moved nothing (within float round-off): there is
    no effect to restore, and round-off divided by round-off is not a measurement."""
    total = torch.as_tensor(total, dtype=moved.dtype, device=moved.device)
    return torch.where(total > 1e-6, moved / total.clamp_min(1e-6), torch.zeros_like(moved))


@dataclass
class EncoderPatching:
    """Per hook point: restoration, NIE and NDE per unit (U,); per layer: NIE, NDE; and TE."""

    restoration: dict[str, np.ndarray]
    nie_units: dict[str, np.ndarray]
    nde_units: dict[str, np.ndarray]
    nie_layer: dict[str, float]
    nde_layer: dict[str, float]
    total_effect: float
    outcome_latent: int


def mediation_outcomes(input_effect: np.ndarray, active: np.ndarray) -> np.ndarray:
    """i* per factor: the latent each factor moves most, A (K, d), among the active latents.

    A is a shift in units of the latent's spread, so an inactive latent's noise-level jitter
    (posterior collapsed, mu ~ 1e-8) can score as high as a real latent; mediation through such
    an outcome would report shares of nothing. With no active latent, all latents compete.
    """
    candidates = active if active.any() else np.ones_like(active)
    return np.where(candidates[None, :], input_effect, -np.inf).argmax(axis=1)


@torch.no_grad()
def encoder_patching(
    model: LatentModel, family: PairFamily, outcome_latent: int, max_elements: int = 2**25
) -> EncoderPatching:
    """Patching and mediation of every encoder unit and layer for one factor's pairs."""

    def resume_at(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
        layer = name.split(".")[1]
        return lambda a: as_slots(model.latents_from_features(model.encoder.forward_from(layer, a)))

    with captured(model, ENCODER_HOOKS) as control_acts:
        control = as_slots(model.latents_from_features(model.encoder(family.control)))
    control_acts = dict(control_acts)
    with captured(model, ENCODER_HOOKS) as treated_acts:
        treated = as_slots(model.latents_from_features(model.encoder(family.treated)))
    treated_acts = dict(treated_acts)

    mean_change = (treated - control)[:, outcome_latent].mean(0)
    direction = mean_change / mean_change.norm().clamp_min(1e-12)

    def y(latents: torch.Tensor) -> torch.Tensor:
        return (latents[..., outcome_latent, :] * direction).sum(-1)

    y_control = y(control)
    denominator = float((treated - control).flatten(1).norm(dim=1).mean())

    def restoration_and_nie(outcome: torch.Tensor) -> torch.Tensor:
        moved = (outcome - control).flatten(2).norm(dim=2).mean(1)
        return torch.stack([ratio(moved, denominator), (y(outcome) - y_control).mean(1)], dim=1)

    def nde(outcome: torch.Tensor) -> torch.Tensor:
        return (y(outcome) - y_control).mean(1)

    result = EncoderPatching(
        {}, {}, {}, {}, {}, float((y(treated) - y_control).mean()), outcome_latent
    )
    for name in ENCODER_HOOKS:
        linear, resume = is_linear(model, name), resume_at(name)
        forward = patched_outcomes(
            resume,
            control_acts[name],
            treated_acts[name],
            linear,
            restoration_and_nie,
            max_elements,
        )
        backward = patched_outcomes(
            resume, treated_acts[name], control_acts[name], linear, nde, max_elements
        )
        result.restoration[name] = forward[:, 0].cpu().numpy()
        result.nie_units[name] = forward[:, 1].cpu().numpy()
        result.nde_units[name] = backward.cpu().numpy()
        result.nie_layer[name] = float((y(resume(treated_acts[name])) - y_control).mean())
        result.nde_layer[name] = float((y(resume(control_acts[name])) - y_control).mean())
    return result


@torch.no_grad()
def decoder_patching(
    model: LatentModel,
    latents: torch.Tensor,
    targets: torch.Tensor,
    patched_latents: list[int],
    max_elements: int = 2**25,
) -> dict[str, np.ndarray]:
    """Restoration R[L] of shape (U, d) for pairs (z, z^{i<-t_i}), ``targets`` (d, ...) holding
    each latent's perturbed value, over the codes ``latents`` (n, d, ...). Only the latents in
    ``patched_latents`` are patched (an inactive latent moves nothing, so it has nothing to
    restore); the other columns are NaN."""
    n, d = latents.shape[:2]
    if not patched_latents:  # a collapsed model: nothing moves, nothing to restore
        with captured(model, DECODER_HOOKS) as acts:
            model.decode_latents(latents[:1])
        return {
            name: np.full((unit_view(a, is_linear(model, name)).shape[1], d), np.nan, np.float32)
            for name, a in acts.items()
        }
    chosen = torch.as_tensor(patched_latents, dtype=torch.long, device=latents.device)
    m = len(chosen)
    perturbed = latents[:, None].repeat(1, m, *([1] * (latents.dim() - 1)))
    perturbed[:, torch.arange(m, device=latents.device), chosen] = targets[chosen].expand(
        n, m, *targets.shape[1:]
    )
    pairs_treated = perturbed.transpose(0, 1).flatten(0, 1)  # (m * n, d, ...), latent-major

    # the control is the same n codes for every latent: decoded once, repeated latent-major
    with captured(model, DECODER_HOOKS) as acts:
        control_images = torch.sigmoid(model.decode_latents(latents)).flatten(1).repeat(m, 1)
    control_acts = {name: a.repeat(m, *([1] * (a.dim() - 1))) for name, a in acts.items()}
    with captured(model, DECODER_HOOKS) as treated_acts:
        treated_images = torch.sigmoid(model.decode_latents(pairs_treated)).flatten(1)
    treated_acts = dict(treated_acts)
    denominator = (treated_images - control_images).norm(dim=1).reshape(m, n).mean(1)

    def restoration(outcome: torch.Tensor) -> torch.Tensor:
        moved = (outcome.flatten(2) - control_images).norm(dim=2).reshape(-1, m, n).mean(2)
        return ratio(moved, denominator)

    result = {}
    for name in DECODER_HOOKS:
        layer = name.split(".")[1]
        restored = patched_outcomes(
            lambda a, layer=layer: torch.sigmoid(model.decoder.forward_from(layer, a)),
            control_acts[name],
            treated_acts[name],
            is_linear(model, name),
            restoration,
            max_elements,
        )
        full = np.full((restored.shape[0], d), np.nan, dtype=np.float32)
        full[:, patched_latents] = restored.cpu().numpy()
        result[name] = full
    return result
