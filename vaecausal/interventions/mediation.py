"""Causal mediation (manipulation 4): how much of a treatment's effect on a latent runs through
each encoder unit, with the total effect tested against its sampling noise.

A treatment is a family of directed pairs (x, x') (``pairs.mediation_pairs``: an ordered factor
moving up, a categorical factor's contrast a -> b, an input transform). Its pairs are split in
two independent parts:
- selection (the other pairs, less those that share an image with a measuring pair): the
  outcome latent i* is the active
  latent the treatment moves most, |E[mu_i(x') - mu_i(x)]| / std(mu_i) (for a VQ-VAE slot, the
  norm over its dims), and the outcome y(x) is the projection of latent i* on the direction of
  that mean move (a one-dim latent: +-mu_i*);
- measurement (the first ``n_measure`` pairs, the ones activation patching uses):
  TE = E[y(x') - y(x)] with its standard error and a two-sided one-sample t-test,
  NIE(L, u) = E[y(x; a_Lu <- a_Lu(x')) - y(x)] and NDE(L, u) = E[y(x'; a_Lu <- a_Lu(x)) - y(x)]
  unit by unit, and the same with the whole hook point L as the mediator.
Choosing i* and its direction on the pairs that then measure TE would bias TE away from zero
(the largest of d noisy mean moves, signed to be positive); on separate pairs, TE is unbiased
and its test keeps its level. A unit's share NIE/TE is defined only when TE is distinguishable
from noise (p < ``ALPHA``); otherwise it is a ratio of noise to noise, and reported as undefined.
In a feed-forward chain, and at any hook point every path goes through, the whole hook point
mediates everything (layer NIE = TE, NDE = 0): a law the tests check, not a finding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from vaecausal.adapters.protocol import VAEAdapter
from vaecausal.interventions.hooks import is_linear, unit_view
from vaecausal.interventions.input_manipulation import as_slots, encode_latents
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.patching import encoder_run, patched_outcomes
from vaecausal.interventions.resume import encoder_resume

# Level of the total-effect test: below it, shares of the effect are defined.
ALPHA = 0.05


@dataclass(frozen=True)
class TotalEffect:
    """TE over the measurement pairs, its standard error, the t-test's p-value and n."""

    value: float
    standard_error: float
    p_value: float
    n_pairs: int

    @property
    def distinguishable(self) -> bool:
        """Whether TE is told apart from zero at level ``ALPHA`` (shares are then defined)."""
        return self.p_value < ALPHA


def total_effect_test(differences: np.ndarray) -> TotalEffect:
    """TE = mean of the per-pair outcome changes, its standard error and the two-sided
    one-sample t-test of TE = 0 (pairs are independent draws of the other factors).

    Changes that are all exactly equal have no spread: p is 1 when they are all zero (nothing
    moved) and 0 otherwise (a deterministic effect). With fewer than two pairs p is NaN.
    """
    d = np.asarray(differences, dtype=np.float64)
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    if n < 2:
        return TotalEffect(mean, math.nan, math.nan, n)
    se = float(d.std(ddof=1) / math.sqrt(n))
    if se == 0.0:
        return TotalEffect(mean, 0.0, 1.0 if mean == 0.0 else 0.0, n)
    p = float(2 * stats.t.sf(abs(mean) / se, df=n - 1))
    return TotalEffect(mean, se, p, n)


def stored_total_effects(effects: dict[str, np.ndarray]) -> list[TotalEffect]:
    """The total effects an ``effects.npz`` holds, one per treatment."""
    return [
        TotalEffect(float(value), float(se), float(p), int(n))
        for value, se, p, n in zip(
            effects["mediation.total_effect"],
            effects["mediation.total_effect_se"],
            effects["mediation.total_effect_p"],
            effects["mediation.pairs"],
            strict=True,
        )
    ]


def unit_shares(nie: np.ndarray, total: TotalEffect) -> np.ndarray:
    """NIE / TE, all NaN when TE is not distinguishable from noise."""
    if not total.distinguishable:
        return np.full(np.shape(nie), np.nan)
    return np.asarray(nie, dtype=np.float64) / total.value


def outcome_direction(
    model: VAEAdapter, family: PairFamily, latent_std: torch.Tensor, active: np.ndarray
) -> tuple[int, torch.Tensor]:
    """(i*, unit direction (e,)) from a family's selection pairs; ``latent_std`` (d, e) is the
    latents' spread over the evaluation set. With no active latent, all latents compete."""
    change = (encode_latents(model, family.treated) - encode_latents(model, family.control)).mean(0)
    strength = (change / latent_std.clamp_min(1e-8)).norm(dim=-1).cpu().numpy()
    candidates = active if active.any() else np.ones_like(active)
    latent = int(np.where(candidates, strength, -np.inf).argmax())
    direction = change[latent]
    norm = direction.norm()
    unit = direction / norm if norm > 0 else torch.ones_like(direction) / direction.numel() ** 0.5
    return latent, unit


@dataclass
class Mediation:
    """One treatment's mediation: TE, and NIE / NDE per unit (U,) and per whole hook point."""

    name: str
    outcome_latent: int
    total_effect: TotalEffect
    nie_units: dict[str, np.ndarray]
    nde_units: dict[str, np.ndarray]
    nie_layer: dict[str, float]
    nde_layer: dict[str, float]


@torch.no_grad()
def mediate(
    model: VAEAdapter,
    family: PairFamily,
    outcome_latent: int,
    direction: torch.Tensor,
    max_elements: int = 2**25,
) -> Mediation:
    """TE, and NIE and NDE of every encoder unit and hook point, on ``family``'s pairs."""
    control, control_acts = encoder_run(model, family.control)
    treated, treated_acts = encoder_run(model, family.treated)

    def y(latents: torch.Tensor) -> torch.Tensor:
        return (latents[..., outcome_latent, :] * direction).sum(-1)

    y_control = y(control)

    def effect(outcome: torch.Tensor) -> torch.Tensor:
        return (y(outcome) - y_control).mean(-1)

    total = total_effect_test((y(treated) - y_control).cpu().numpy())
    result = Mediation(family.name, outcome_latent, total, {}, {}, {}, {})
    for name in model.encoder_hooks:
        linear = is_linear(model, name)
        from_control = encoder_resume(model, name, family.control)
        from_treated = encoder_resume(model, name, family.treated)
        result.nie_units[name] = (
            patched_outcomes(
                from_control, control_acts[name], treated_acts[name], linear, effect, max_elements
            )
            .cpu()
            .numpy()
        )
        result.nde_units[name] = (
            patched_outcomes(
                from_treated, treated_acts[name], control_acts[name], linear, effect, max_elements
            )
            .cpu()
            .numpy()
        )
        result.nie_layer[name] = float(effect(from_control(treated_acts[name])))
        result.nde_layer[name] = float(effect(from_treated(control_acts[name])))
    return result


def split_pairs(family: PairFamily, n_measure: int) -> tuple[PairFamily, PairFamily]:
    """(selection, measurement): the first ``n_measure`` pairs (at most half) measure; the
    others choose the outcome, less those that share an image with a measuring pair (on a small
    grid, pairs of different rows can meet in one image, and a shared image would tie the
    choice to the measurement)."""
    n = min(n_measure, len(family.control) // 2)
    rest = np.arange(n, len(family.control))
    if family.sources is not None:
        measuring = np.unique(family.sources[:n])
        rest = rest[~np.isin(family.sources[rest], measuring).any(axis=1)]
    if n < 2 or len(rest) < 2:
        raise ValueError(
            f"mediation of '{family.name}' needs at least 2 pairs to measure and 2 other pairs, "
            f"sharing no image with them, to choose the outcome; {len(family.control)} pairs "
            f"give {n} and {len(rest)}: raise interventions.input_pairs"
        )
    return family.subset(rest), family.subset(np.arange(n))


def mediation_analysis(
    model: VAEAdapter,
    families: Iterable[PairFamily],
    eval_latents: torch.Tensor,
    active: np.ndarray,
    n_measure: int,
) -> list[Mediation]:
    """Mediation of every treatment, measured on its first ``n_measure`` pairs with the outcome
    chosen on others (``split_pairs``); ``eval_latents`` give the latents' spread. A model with
    no active latent has nothing to mediate: its results are undefined (``no_outcome``)."""
    latent_std = as_slots(eval_latents).std(0)
    results = []
    for family in families:
        selection, measurement = split_pairs(family, n_measure)
        if not active.any():
            results.append(no_outcome(model, measurement))
            continue
        latent, direction = outcome_direction(model, selection, latent_std, active)
        results.append(mediate(model, measurement, latent, direction))
    return results


@torch.no_grad()
def no_outcome(model: VAEAdapter, family: PairFamily) -> Mediation:
    """The mediation of a model without an active latent (posterior collapse): no latent
    carries the treatment's effect, so TE and every NIE and NDE are undefined (NaN), outcome -1."""
    _, acts = encoder_run(model, family.control[:1])
    units = {
        name: np.full(unit_view(a, is_linear(model, name)).shape[1], np.nan)
        for name, a in acts.items()
    }
    layers = dict.fromkeys(model.encoder_hooks, math.nan)
    total = TotalEffect(math.nan, math.nan, math.nan, len(family.control))
    return Mediation(family.name, -1, total, units, dict(units), layers, dict(layers))
