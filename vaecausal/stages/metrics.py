"""Stage ``metrics``: every metric of one model, with sample counts and seeds, in metrics.json."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaecausal.catalog import standard_metric
from vaecausal.data.store import read_factors, read_meta
from vaecausal.interventions import effects as keys
from vaecausal.interventions.effects import prefixed
from vaecausal.interventions.mediation import (
    ALPHA,
    TotalEffect,
    stored_total_effects,
    unit_shares,
)
from vaecausal.interventions.selection import unit_scale
from vaecausal.metrics.causal import (
    ces_per_latent,
    latent_activity,
    model_ces,
    model_specificity,
    rms_scale,
    specificity_per_latent,
)
from vaecausal.metrics.circuits import (
    circuit_overlap,
    model_modularity,
    modularity_layers,
    semantic_fractions,
)
from vaecausal.metrics.common import constant_factors
from vaecausal.metrics.dci import dci
from vaecausal.metrics.stability import (
    LEVEL,
    Interval,
    decoder_replicates,
    overlap_replicates,
    percentile_interval,
    resampling_weights,
    weighted_means,
)
from vaecausal.metrics.suite import METRICS, MetricSettings, standard_metrics
from vaecausal.models.vq_vae import codebook_usage
from vaecausal.stages.logs import Log

# Names in metrics.json of the suite's values that would be ambiguous beside the causal metrics.
SUITE_NAMES = {
    "modularity": "modularity_ridgeway",
    "factor_vae_eval_accuracy": "factor_vae_score",
    "beta_vae_eval_accuracy": "beta_vae_score",
    "explicitness_test": "explicitness",
}


def declared_scores(name: str, values: dict[str, float]) -> dict[str, float]:
    """A standard metric's values under their metrics.json names (``SUITE_NAMES``), each declared
    by the metric's entry in ``catalog.STANDARD_METRICS`` as a column or a diagnostic. A value it
    does not declare would reach metrics.json and never the tables: it is refused, named."""
    named = {SUITE_NAMES.get(key, key): value for key, value in values.items()}
    undeclared = sorted(set(named) - standard_metric(name).keys)
    if undeclared:
        raise ValueError(
            f"standard metric '{name}' writes {', '.join(undeclared)} to metrics.json, which its "
            "entry in vaecausal/catalog.py STANDARD_METRICS declares neither as a column (to reach "
            "the tables) nor as a diagnostic (docs/extending.md#a-standard-metric)"
        )
    return named


def suite_metrics() -> list[str]:
    """The suite's metrics the stage computes beside DCI (which it computes itself), each
    declared in ``catalog.STANDARD_METRICS``: a ValueError names one that is not."""
    return [standard_metric(name).name for name in METRICS if name != "dci"]


def standard_settings(settings: dict[str, Any]) -> MetricSettings:
    """The standard metrics' sample counts from the config's ``metrics`` section."""
    dci_, mig_ = settings["dci"], settings["mig"]
    factor_vae, beta_vae = settings["factor_vae"], settings["beta_vae"]
    return MetricSettings(
        n_train=dci_["n_train"],
        n_test=dci_["n_test"],
        dci_booster=dci_["booster"],
        mig_points=mig_["points"],
        histogram_bins=mig_["bins"],
        factor_vae_batch=factor_vae["batch"],
        factor_vae_train=factor_vae["train"],
        factor_vae_eval=factor_vae["eval"],
        factor_vae_variance_points=factor_vae["variance_points"],
        factor_vae_prune_std=factor_vae["prune_std"],
        beta_vae_batch=beta_vae["batch"],
        beta_vae_train=beta_vae["train"],
        beta_vae_eval=beta_vae["eval"],
    )


def _nullable(value: float) -> float | None:
    """JSON has no NaN: an undefined metric is written as null."""
    return None if np.isnan(value) else float(value)


def vq_intervention_metrics(effects: dict[str, np.ndarray]) -> dict[str, Any]:
    """How a VQ-VAE's interventions went: its perturbation mode; the share of perturbations
    (code, slot, value) that put slot i on another code, overall, per grid value and at the
    smallest move |v| > 0 (``smallest_move``; where "small moves snap back" is tested; null on a
    grid without one); and how many slots' swap candidates reach into the global ranking."""
    changed = effects[keys.CODE_CHANGED]  # (N, d, V)
    per_value = changed.mean((0, 1))
    moves = np.abs(effects[keys.VALUES])
    smallest = moves[moves > 0].min(initial=np.inf)
    has_move = bool(np.isfinite(smallest))
    return {
        "vq_perturbation_mode": str(effects[keys.PERTURBATION_MODE]),
        "code_change_share": float(changed.mean()),
        "code_change_share_per_value": per_value.tolist(),
        "code_change_share_smallest_move": (
            float(per_value[moves == smallest].mean()) if has_move else None
        ),
        "smallest_move": float(smallest) if has_move else None,
        "swap_slots_with_fallback": int(effects[keys.SWAP_FALLBACK].sum()),
    }


def oracle_factors_used(
    names: list[str], sizes: list[int], oracle_report: dict[str, Any]
) -> np.ndarray:
    """(K,) bool: the factors oracle-based metrics count. A factor with one value (a subsample
    may leave one) can never be moved; one the oracle reads below its floor (``below_floor``
    of its report) cannot be measured: its factor effect would be the oracle's noise."""
    return (np.asarray(sizes) > 1) & ~np.isin(names, oracle_report["below_floor"])


def decoder_intervals(
    effects: dict[str, np.ndarray],
    prefix: str,
    active: np.ndarray,
    channels: int,
    used: np.ndarray,
) -> dict[str, Interval]:
    """Stability intervals of CES, CES_rms, specificity and modularity over the evaluation codes,
    named as ``effect_metrics`` names them (none for effects without bootstrap weights)."""
    if keys.BOOTSTRAP_WEIGHTS not in effects:
        return {}
    suffix = "_discrete" if prefix else ""
    weights = effects[keys.BOOTSTRAP_WEIGHTS]
    factor = effects.get(prefix + keys.REPLICATE_FACTOR_EFFECT)
    replicates = decoder_replicates(
        weights,
        effects[prefix + keys.PIXEL_EFFECT_NORMS],
        None if factor is None else factor[:, :, used],
        effects.get(prefix + keys.REPLICATE_MODULARITY),
        active,
        channels,
    )
    n = weights.shape[1]
    # named as effect_metrics names the values: ces_discrete_rms, not ces_rms_discrete
    named = {"ces_rms": f"ces{suffix}_rms"}
    return {
        named.get(name, f"{name}{suffix}"): percentile_interval(values, n, "evaluation codes")
        for name, values in replicates.items()
    }


def pair_weights(effects: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Bootstrap weights over n input pairs: as many replicates as over the codes, and their
    seed, so a run's intervals are reproducible."""
    replicates = effects[keys.BOOTSTRAP_WEIGHTS].shape[0]
    return resampling_weights(n, replicates, int(effects[keys.BOOTSTRAP_SEED]))


def overlap_interval(effects: dict[str, np.ndarray], circuit_fraction: float) -> Interval:
    """Stability interval of circuit overlap over the encoder patching pairs."""
    totals = effects[keys.RESTORATION_TOTALS]
    moved = prefixed(effects, keys.RESTORATION_MOVED)
    n = totals.shape[1]
    values = overlap_replicates(pair_weights(effects, n), moved, totals, circuit_fraction)
    return percentile_interval(values, n, "patching pairs")


def mediation_intervals(
    effects: dict[str, np.ndarray], totals: list[TotalEffect]
) -> dict[str, Any]:
    """Per treatment, stability intervals of TE and of each encoder hook point's sum of unit
    shares over the measuring pairs (shares only where TE is told apart from noise)."""
    encoder = [str(n) for n in effects[keys.ENCODER_HOOKS]]
    te, shares = [], {name: [] for name in encoder}
    for t, total in enumerate(totals):
        differences = effects[keys.PAIR_EFFECTS][t]
        keep = np.isfinite(differences)
        n = int(keep.sum())
        if n < 2:
            te.append(Interval(None, None, n, "mediation pairs"))
            for name in encoder:
                shares[name].append(Interval(None, None, n, "mediation pairs"))
            continue
        weights = pair_weights(effects, n)
        te_replicates = weighted_means(weights, differences[keep])
        te.append(percentile_interval(te_replicates, n, "mediation pairs"))
        for name in encoder:
            sums = effects[keys.PAIR_UNIT_NIE_SUMS + name][t][keep] * unit_scale(effects, name)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = weighted_means(weights, sums) / te_replicates
            shares[name].append(
                percentile_interval(ratio, n, "mediation pairs")
                if total.distinguishable
                else Interval(None, None, n, "mediation pairs")
            )
    return {
        "total_effect_ci": [[i.low, i.high] for i in te],
        "sum_of_unit_shares_by_layer_ci": {
            name: [[i.low, i.high] for i in intervals] for name, intervals in shares.items()
        },
    }


def stability_fields(intervals: dict[str, Interval]) -> dict[str, Any]:
    """metrics.json's view of the intervals: flat ``<metric>_ci_low/_ci_high/_ci_n`` columns
    for the tables, and a ``stability`` block that says what they are."""
    flat: dict[str, Any] = {}
    for name, interval in intervals.items():
        flat.update(
            {
                f"{name}_ci_low": interval.low,
                f"{name}_ci_high": interval.high,
                f"{name}_ci_n": interval.n,
            }
        )
    return {
        **flat,
        "stability": {
            "level": LEVEL,
            "method": (
                "bootstrap over the run's evaluation inputs (codes for the decoder metrics, "
                "input pairs for patching and mediation), expanded percentile interval"
            ),
            "metrics": {name: interval.as_dict() for name, interval in intervals.items()},
        },
    }


def effect_metrics(
    effects: dict[str, np.ndarray],
    prefix: str,
    active: np.ndarray,
    channels: int,
    used: np.ndarray,
) -> dict[str, Any]:
    """CES, specificity and modularity of one kind of decoder intervention (``prefix`` '' for
    latent perturbation, 'swap.' for VQ-VAE code swaps); keys get the suffix of the kind.
    Specificity is over the ``used`` factors (a mask over the oracle's factors: those that vary
    and that the oracle reads)."""
    suffix = "_discrete" if prefix else ""
    ces = ces_per_latent(effects[prefix + keys.PIXEL_EFFECT_NORMS])
    factor_effect = effects[prefix + keys.FACTOR_EFFECT][:, used]
    specificity, inverse_entropy = specificity_per_latent(factor_effect)
    deltas = prefixed(effects, prefix + keys.ACTIVATION_DELTA)
    value = model_ces(ces, active)
    return {
        f"ces{suffix}": _nullable(value),
        f"ces{suffix}_rms": _nullable(value / rms_scale(channels)),
        f"ces{suffix}_per_latent": [_nullable(v) for v in ces],
        f"specificity{suffix}": _nullable(model_specificity(specificity, ces, active)),
        f"specificity{suffix}_per_latent": [_nullable(v) for v in specificity],
        f"specificity{suffix}_inverse_entropy": [_nullable(v) for v in inverse_entropy],
        f"modularity{suffix}": _nullable(model_modularity(deltas, active)),
        f"modularity{suffix}_layers": modularity_layers(deltas),
    }


def patching_metrics(
    effects: dict[str, np.ndarray], circuit_fraction: float, poly_threshold: float
) -> dict[str, Any]:
    """Circuit overlap, per-layer poly/monosemantic shares, and each treatment's total effect
    with the share of it its units carry one at a time (undefined where TE is noise)."""
    encoder = [str(n) for n in effects[keys.ENCODER_HOOKS]]
    restoration = {name: effects[keys.patching_key(name)] for name in encoder}
    totals = stored_total_effects(effects)
    unit_share = {
        name: [
            unit_shares(nie.sum() * unit_scale(effects, name), total)
            for nie, total in zip(effects[keys.mediation_key("nie", name)].T, totals, strict=True)
        ]
        for name in encoder
    }
    return {
        "circuit_overlap": _nullable(circuit_overlap(restoration, circuit_fraction)),
        "semantic_fractions": {
            name: semantic_fractions(r, poly_threshold) for name, r in restoration.items()
        },
        "mediation": {
            "treatments": [str(f) for f in effects[keys.TREATMENTS]],
            "outcome_latent": effects[keys.OUTCOME_LATENT].tolist(),
            "outcome": (
                "projection of the active latents on the treatment's standardised mean move, "
                "chosen on selection pairs; in evaluation-set SDs (outcome_weights per latent)"
            ),
            "outcome_weights": [
                [_nullable(float(w)) for w in row] for row in effects[keys.OUTCOME_WEIGHTS]
            ],
            "pairs": [t.n_pairs for t in totals],
            "total_effect": [_nullable(t.value) for t in totals],
            "total_effect_se": [_nullable(t.standard_error) for t in totals],
            "total_effect_p": [_nullable(t.p_value) for t in totals],
            "shares_defined": [t.distinguishable for t in totals],
            "sum_of_unit_shares_by_layer": {
                name: [_nullable(float(v)) for v in shares] for name, shares in unit_share.items()
            },
            "note": (
                f"shares are null where TE is not told apart from noise (p >= {ALPHA}): a "
                "ratio of noise to noise is no measurement"
            ),
        },
    }


def run(
    latents_path: Path,
    effects_path: Path,
    oracle_report_path: Path,
    train_summary_path: Path,
    prepared_dir: Path,
    out_path: Path,
    identity: dict[str, Any],
    settings: dict[str, Any],
    threads: int,
    log: Log,
    family: str | None = None,
) -> None:
    """Every metric of one run as ``metrics.json``, beside what the analysis selects runs by:
    ``family`` (the architecture this one is a size variant of; the run's own architecture where
    None), ``n_latents`` and ``discrete`` (the intervene stage found a discrete adapter and
    recorded its code changes: the model's latent is discrete, whatever its name)."""
    # the suite's metrics are checked for their declarations before any work
    standard_names = suite_metrics()
    meta = read_meta(prepared_dir)
    all_factors = read_factors(prepared_dir)
    with np.load(latents_path) as cached:
        latents = dict(cached)
    with np.load(effects_path) as stored:
        effects = dict(stored)
    norms = effects[keys.PIXEL_EFFECT_NORMS]
    discrete = keys.CODE_CHANGED in effects
    training = json.loads(Path(train_summary_path).read_text())
    oracle = json.loads(Path(oracle_report_path).read_text())
    dci_settings = settings["dci"]
    weak = oracle["below_floor"]
    if weak:
        log(
            f"left out of specificity: {', '.join(weak)} (the oracle reads them below its floor "
            f"{oracle['accuracy_floor']}, so their factor effects are not measurements)"
        )

    kl, active = latent_activity(
        latents["eval_latents"], latents.get("eval_logvar"), settings["active_kl_threshold"]
    )
    used = oracle_factors_used(meta.factor_names, meta.factor_sizes, oracle)
    # the causal metrics average over the active latents the manipulations analysed
    analysed = effects.get(keys.ANALYSED_LATENTS, np.ones(len(active), dtype=bool)).astype(bool)
    measured = active & analysed
    causal = effect_metrics(effects, "", measured, meta.channels, used)
    intervals = decoder_intervals(effects, "", measured, meta.channels, used)
    if keys.SWAP + keys.PIXEL_EFFECT_NORMS in effects:
        causal.update(effect_metrics(effects, keys.SWAP, measured, meta.channels, used))
        intervals.update(decoder_intervals(effects, keys.SWAP, measured, meta.channels, used))
    causal.update(
        patching_metrics(effects, settings["circuit_fraction"], settings["poly_threshold"])
    )
    if keys.BOOTSTRAP_WEIGHTS in effects:
        intervals["circuit_overlap"] = overlap_interval(effects, settings["circuit_fraction"])
        causal["mediation"].update(mediation_intervals(effects, stored_total_effects(effects)))
        causal.update(stability_fields(intervals))
        log("95% stability intervals: " + ", ".join(f"{k} {v}" for k, v in intervals.items()))
    log(
        f"{int(active.sum())}/{len(active)} active latents; CES {causal['ces']}; "
        f"specificity {causal['specificity']}; modularity {causal['modularity']}; "
        f"circuit overlap {causal['circuit_overlap']}"
    )

    standard = standard_settings(settings)
    seed = dci_settings["seed"]
    n_train, n_test = standard.n_train, standard.n_test
    codes = latents["scoring_metric_codes"]
    factors = all_factors[latents["scoring_indices"]]
    keep = np.ones(factors.shape[1], dtype=bool)
    keep[constant_factors(factors)] = False  # a constant factor has nothing to score
    log(
        f"DCI ({standard.dci_booster} booster) on {n_train}/{n_test} codes, "
        f"{int(keep.sum())} factors, {threads} job(s)"
    )
    result = dci(
        codes[:n_train],
        factors[:n_train][:, keep],
        codes[n_train : n_train + n_test],
        factors[n_train : n_train + n_test][:, keep],
        seed=seed,
        n_jobs=threads,
        booster=standard.dci_booster,
    )
    log(
        f"DCI D {result.disentanglement:.3f} C {result.completeness:.3f} "
        f"I {result.informativeness:.3f}"
    )
    scores: dict[str, float] = {}
    # one metric at a time, so that an undeclared value is named with its metric (a metric's
    # values do not depend on which others are computed with it)
    for name in standard_names:
        values = standard_metrics(codes, factors[:, keep], standard, seed, threads, [name])
        scores.update(declared_scores(name, values))
    log("standard metrics: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    metrics = {
        **identity,
        "dataset_label": meta.label,
        "procedural": meta.procedural,
        "family": family or identity["architecture"],
        "discrete": discrete,
        "n_latents": len(active),
        "n_active": int(active.sum()),
        "active_latents": np.flatnonzero(active).tolist(),
        "n_analysed": int(analysed.sum()),
        "analysed_latents": np.flatnonzero(analysed).tolist(),
        "latent_selection": str(effects.get(keys.LATENT_SELECTION, f"all {len(active)} latents")),
        "patched_units": {
            name: {"patched": len(effects[keys.PATCHED_UNITS + name]), "of": int(value)}
            for name, value in prefixed(effects, keys.HOOK_UNITS).items()
        },
        "kl_per_latent": [None if np.isnan(v) else float(v) for v in kl],
        **causal,
        "oracle_accuracy": oracle["held_out_accuracy"],
        "oracle_accuracy_floor": oracle["accuracy_floor"],
        "oracle_below_floor": weak,
        "oracle_factors_used": [n for n, u in zip(meta.factor_names, used, strict=True) if u],
        "dci_disentanglement": result.disentanglement,
        "dci_completeness": result.completeness,
        "dci_informativeness": result.informativeness,
        "dci_informativeness_train": result.informativeness_train,
        "dci_importance": result.importance.tolist(),
        "dci_factors": [n for n, k in zip(meta.factor_names, keep, strict=True) if k],
        "dci_booster": standard.dci_booster,
        **{name: _nullable(value) for name, value in scores.items()},
        "reconstruction_loss": float(latents["eval_reconstruction"].mean()),
        "mean_image_loss": float(latents["eval_mean_image_reconstruction"].mean()),
        "training_seconds": training["seconds"],
        # absent from summaries written before the plateau check
        "training_late_improvement": training.get("late_improvement"),
        "samples": {
            "n_eval": int(len(latents["eval_indices"])),
            "metric_seed": seed,
            **asdict(standard),
            "latent_values": int(norms.shape[2]),
            "patching_pairs": int(effects[keys.PATCHING_PAIRS]),
            "circuit_fraction": settings["circuit_fraction"],
            "poly_threshold": settings["poly_threshold"],
        },
    }
    if discrete:
        codes_used = torch.as_tensor(latents["eval_codes"])
        usage = codebook_usage(codes_used, int(latents["codebook_size"]))
        metrics.update({k: float(v) for k, v in usage.items()})
        metrics.update(vq_intervention_metrics(effects))
    Path(out_path).write_text(json.dumps(metrics, indent=2, allow_nan=False))
