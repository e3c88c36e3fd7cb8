"""Causal mediation (manipulation 4): how much of a treatment's effect on a latent runs through
each encoder unit, with the total effect tested against its sampling noise.

A treatment is a family of directed pairs (x, x') (``pairs.mediation_pairs``: an ordered factor
moving up, a categorical factor's contrast a -> b, an input transform). Its pairs are split in
two independent parts:
- selection (the other pairs, less those that share an image with a measuring pair): the
  outcome y is chosen here. Each active latent's mean move over these pairs, in units of its
  spread over the evaluation set, gives the treatment's direction w (unit length; a VQ-VAE
  slot's dims each get their own weight), and y(x) = sum_i w_i mu_i(x) / std(mu_i): the code's
  projection on that direction, in evaluation-set standard deviations. Where one latent carries
  the factor, y is that latent (+-mu_i / std); where a code spreads the factor over many latents
  (a spatial latent, an entangled model), y adds up their moves instead of keeping the one that
  happens to move most, whose share of the effect can be small. ``outcome_latent`` reports the
  latent with the largest weight;
- measurement (the first ``n_measure`` pairs, the ones activation patching uses):
  TE = E[y(x') - y(x)] with its standard error and a two-sided one-sample t-test,
  NIE(L, u) = E[y(x; a_Lu <- a_Lu(x')) - y(x)] and NDE(L, u) = E[y(x'; a_Lu <- a_Lu(x)) - y(x)]
  unit by unit, and the same with the whole hook point L as the mediator.
Choosing the direction on the pairs that then measure TE would bias TE away from zero (a noisy
mean move projected on itself is positive); on separate pairs, TE is unbiased and its test keeps
its level. A unit's share NIE/TE is defined only when TE is distinguishable
from noise (p < ``ALPHA``); otherwise it is a ratio of noise to noise, and reported as undefined.
In a feed-forward chain, and at any hook point every path goes through, the whole hook point
mediates everything (layer NIE = TE, NDE = 0): a law the tests check, not a finding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import stats

from vaecausal.adapters.protocol import VAEAdapter
from vaecausal.interventions import effects as keys
from vaecausal.interventions.hooks import is_linear
from vaecausal.interventions.input_manipulation import as_slots, encode_latents
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.patching import encoder_run, patched_count, patched_outcomes
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
            effects[keys.TOTAL_EFFECT],
            effects[keys.TOTAL_EFFECT_SE],
            effects[keys.TOTAL_EFFECT_P],
            effects[keys.MEDIATION_PAIRS],
            strict=True,
        )
    ]


def unit_shares(nie: np.ndarray, total: TotalEffect) -> np.ndarray:
    """NIE / TE, all NaN when TE is not distinguishable from noise."""
    if not total.distinguishable:
        return np.full(np.shape(nie), np.nan)
    return np.asarray(nie, dtype=np.float64) / total.value


@dataclass(frozen=True)
class Outcome:
    """y(x) = sum of ``weights`` * latents over the slots (d, e): the code's projection on a
    treatment's direction, in evaluation-set standard deviations (``outcome``)."""

    weights: torch.Tensor  # (d, e), already divided by the latents' spread
    standardised: torch.Tensor  # (d, e), unit norm: the direction w

    def __call__(self, latents: torch.Tensor) -> torch.Tensor:
        return (latents * self.weights).sum((-2, -1))

    @classmethod
    def of_latent(cls, latent: int, slots: torch.Tensor) -> Outcome:
        """The outcome that reads slot ``latent`` of codes shaped like ``slots`` (d, e), along
        its dims' diagonal, in raw units (a fixed outcome, for laws and benchmarks)."""
        unit = torch.zeros_like(slots)
        unit[latent] = 1.0 / slots.shape[-1] ** 0.5
        return cls(weights=unit, standardised=unit)

    @property
    def main_latent(self) -> int:
        """The latent (slot) with the largest weight in standardised units."""
        return int(self.standardised.norm(dim=-1).argmax())

    @property
    def latent_weights(self) -> np.ndarray:
        """Each latent's (slot's) share of the unit direction, (d,): its weights' norm."""
        return self.standardised.norm(dim=-1).cpu().numpy()


def outcome(
    model: VAEAdapter, family: PairFamily, latent_std: torch.Tensor, active: np.ndarray
) -> Outcome:
    """The outcome chosen on a family's selection pairs: w = the active latents' standardised
    mean move, made unit length (``latent_std`` (d, e) is their spread over the evaluation set).
    A treatment that moves no active latent at all on average gets the equal-weight direction.
    ``active`` must hold an active latent (``mediation_analysis`` gives a model without one no
    outcome)."""
    scale = latent_std.clamp_min(1e-8)
    change = (encode_latents(model, family.treated) - encode_latents(model, family.control)).mean(0)
    mask = torch.as_tensor(active, device=scale.device)[:, None].to(scale.dtype).expand_as(scale)
    direction = change / scale * mask
    if direction.norm() == 0:
        direction = mask.clone()
    unit = direction / direction.norm()
    return Outcome(weights=unit / scale, standardised=unit)


@dataclass
class Mediation:
    """One treatment's mediation: TE, and NIE / NDE per unit (U,) and per whole hook point;
    per measuring pair, the outcome's change (TE's terms) and per hook point the sum of its
    units' NIE terms (n,), from which the stability intervals resample pairs."""

    name: str
    outcome_latent: int
    outcome_weights: np.ndarray  # (d,): each latent's share of the outcome's direction
    total_effect: TotalEffect
    nie_units: dict[str, np.ndarray]
    nde_units: dict[str, np.ndarray]
    nie_layer: dict[str, float]
    nde_layer: dict[str, float]
    pair_effects: np.ndarray = field(default_factory=lambda: np.empty(0))
    pair_unit_nie_sums: dict[str, np.ndarray] = field(default_factory=dict)


@torch.no_grad()
def mediate(
    model: VAEAdapter,
    family: PairFamily,
    y: Outcome,
    max_elements: int = 2**25,
    units: Mapping[str, np.ndarray] | None = None,
) -> Mediation:
    """TE, and NIE and NDE of every encoder unit (or of the indices ``units[name]``) and hook
    point, on ``family``'s pairs, with the outcome ``y``."""
    control, control_acts = encoder_run(model, family.control)
    treated, treated_acts = encoder_run(model, family.treated)
    y_control = y(control)

    def per_pair(outcome: torch.Tensor) -> torch.Tensor:
        return y(outcome) - y_control

    def effect(outcome: torch.Tensor) -> torch.Tensor:
        return per_pair(outcome).mean(-1)

    differences = per_pair(treated).cpu().numpy()
    total = total_effect_test(differences)
    result = Mediation(family.name, y.main_latent, y.latent_weights, total, {}, {}, {}, {})
    result.pair_effects = differences
    for name in model.encoder_hooks:
        linear = is_linear(model, name)
        from_control = encoder_resume(model, name, family.control)
        from_treated = encoder_resume(model, name, family.treated)
        chosen = (units or {}).get(name)
        nie = patched_outcomes(
            from_control,
            control_acts[name],
            treated_acts[name],
            linear,
            per_pair,
            max_elements,
            chosen,
        )  # (U, n)
        result.nie_units[name] = nie.mean(1).cpu().numpy()
        result.pair_unit_nie_sums[name] = nie.sum(0).cpu().numpy()
        result.nde_units[name] = (
            patched_outcomes(
                from_treated,
                treated_acts[name],
                control_acts[name],
                linear,
                effect,
                max_elements,
                chosen,
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
    units: Mapping[str, np.ndarray] | None = None,
) -> list[Mediation]:
    """Mediation of every treatment, measured on its first ``n_measure`` pairs with the outcome
    chosen on others (``split_pairs``); ``eval_latents`` give the latents' spread. A model with
    no active latent has nothing to mediate: its results are undefined (``no_outcome``). With
    ``units``, only those units of each hook point are patched."""
    latent_std = as_slots(eval_latents).std(0)
    results = []
    for family in families:
        selection, measurement = split_pairs(family, n_measure)
        if not active.any():
            results.append(no_outcome(model, measurement, units))
            continue
        y = outcome(model, selection, latent_std, active)
        results.append(mediate(model, measurement, y, units=units))
    return results


@torch.no_grad()
def no_outcome(
    model: VAEAdapter, family: PairFamily, patched: Mapping[str, np.ndarray] | None = None
) -> Mediation:
    """The mediation of a model without an active latent (posterior collapse): no latent
    carries the treatment's effect, so TE and every NIE and NDE are undefined (NaN), outcome -1."""
    latents, acts = encoder_run(model, family.control[:1])
    units = {
        name: np.full(patched_count(model, name, a, patched), np.nan) for name, a in acts.items()
    }
    layers = dict.fromkeys(model.encoder_hooks, math.nan)
    total = TotalEffect(math.nan, math.nan, math.nan, len(family.control))
    weights = np.full(latents.shape[1], np.nan)
    pairs = np.full(len(family.control), np.nan)
    sums = {name: pairs.copy() for name in model.encoder_hooks}
    return Mediation(
        family.name, -1, weights, total, units, dict(units), layers, dict(layers), pairs, sums
    )
