"""Every standard disentanglement metric of one pool of codes, as JSON-ready floats.

The metrics stage hands over the model's pool of codes (N, d) with the factor indices (N, K) of
their images, drawn uniformly from the factor grid. The supervised metrics read it as a split:
rows [0, n_train) train and [n_train, n_train + n_test) test DCI, SAP and explicitness, as the
stage already does for DCI; MIG and modularity use the first ``mig_points`` / n_train rows; the
sampling-based FactorVAE and BetaVAE scores draw matched batches from the whole pool, and count
the votes / points that had to be drawn with replacement (a factor value with too few rows).

Factors constant in the pool are dropped first (see ``common.constant_factors``); every metric
gets the same seed and its own random stream, so a metric's value does not depend on which other
metrics were computed with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vaecausal.metrics.beta_vae_score import beta_vae_score
from vaecausal.metrics.common import check_inputs, constant_factors
from vaecausal.metrics.dci import Booster, dci
from vaecausal.metrics.factor_vae_score import factor_vae_score
from vaecausal.metrics.mig import mig
from vaecausal.metrics.modularity_explicitness import modularity_explicitness
from vaecausal.metrics.sap import sap


@dataclass(frozen=True)
class MetricSettings:
    """Sample counts and options of the standard metrics; the defaults are disentanglement_lib's
    (the paper study's), smaller counts are for tests and quick looks."""

    n_train: int = 10_000  # DCI, SAP, explicitness; modularity's mutual information
    n_test: int = 5_000
    dci_booster: Booster = "reference"
    mig_points: int = 10_000
    histogram_bins: int = 20  # MIG and modularity
    factor_vae_batch: int = 64
    factor_vae_train: int = 10_000
    factor_vae_eval: int = 5_000
    factor_vae_variance_points: int = 10_000
    factor_vae_prune_std: float = 0.05
    beta_vae_batch: int = 64
    beta_vae_train: int = 10_000
    beta_vae_eval: int = 5_000


class _Inputs:
    """The validated pool and its split, handed to each metric's adapter."""

    def __init__(self, codes: np.ndarray, factors: np.ndarray, settings: MetricSettings) -> None:
        end = settings.n_train + settings.n_test
        self.pool = codes, factors
        self.train = codes[: settings.n_train], factors[: settings.n_train]
        self.test = codes[settings.n_train : end], factors[settings.n_train : end]
        self.mig = codes[: settings.mig_points], factors[: settings.mig_points]


def _dci(data: _Inputs, s: MetricSettings, seed: int, n_jobs: int) -> dict[str, float]:
    result = dci(*data.train, *data.test, seed=seed, n_jobs=n_jobs, booster=s.dci_booster)
    return {
        "dci_disentanglement": result.disentanglement,
        "dci_completeness": result.completeness,
        "dci_informativeness": result.informativeness,
        "dci_informativeness_train": result.informativeness_train,
    }


def _mig(data: _Inputs, s: MetricSettings, seed: int, n_jobs: int) -> dict[str, float]:
    return {"mig": mig(*data.mig, n_bins=s.histogram_bins).mig}


def _sap(data: _Inputs, s: MetricSettings, seed: int, n_jobs: int) -> dict[str, float]:
    return {"sap": sap(*data.train, *data.test, seed=seed, n_jobs=n_jobs).sap}


def _factor_vae(data: _Inputs, s: MetricSettings, seed: int, n_jobs: int) -> dict[str, float]:
    result = factor_vae_score(
        *data.pool,
        seed=seed,
        batch_size=s.factor_vae_batch,
        n_train=s.factor_vae_train,
        n_eval=s.factor_vae_eval,
        n_variance=s.factor_vae_variance_points,
        prune_std=s.factor_vae_prune_std,
    )
    return {
        "factor_vae_train_accuracy": result.train_accuracy,
        "factor_vae_eval_accuracy": result.eval_accuracy,
        "factor_vae_active_codes": result.active_codes,
        "factor_vae_votes_with_replacement": result.votes_with_replacement,
    }


def _beta_vae(data: _Inputs, s: MetricSettings, seed: int, n_jobs: int) -> dict[str, float]:
    result = beta_vae_score(
        *data.pool,
        seed=seed,
        batch_size=s.beta_vae_batch,
        n_train=s.beta_vae_train,
        n_eval=s.beta_vae_eval,
    )
    return {
        "beta_vae_train_accuracy": result.train_accuracy,
        "beta_vae_eval_accuracy": result.eval_accuracy,
        "beta_vae_points_with_replacement": result.points_with_replacement,
    }


def _modularity_explicitness(
    data: _Inputs, s: MetricSettings, seed: int, n_jobs: int
) -> dict[str, float]:
    result = modularity_explicitness(
        *data.train, *data.test, n_bins=s.histogram_bins, seed=seed, n_jobs=n_jobs
    )
    return {
        "modularity": result.modularity,
        "explicitness_train": result.explicitness_train,
        "explicitness_test": result.explicitness_test,
    }


_Metric = Callable[[_Inputs, MetricSettings, int, int], dict[str, float]]
METRICS: dict[str, _Metric] = {
    "dci": _dci,
    "mig": _mig,
    "sap": _sap,
    "factor_vae": _factor_vae,
    "beta_vae": _beta_vae,
    "modularity_explicitness": _modularity_explicitness,
}
_SPLIT = {"dci", "sap", "modularity_explicitness"}  # the metrics that read the train/test split


def standard_metrics(
    codes: np.ndarray,
    factors: np.ndarray,
    settings: MetricSettings | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    metrics: Sequence[str] = tuple(METRICS),
) -> dict[str, float]:
    """The chosen metrics of a pool of codes (N, d) against factor indices (N, K).

    Keys are the metrics' values (e.g. ``dci_disentanglement``, ``mig``,
    ``factor_vae_eval_accuracy``); record ``settings``, ``seed`` and ``constant_factors(factors)``
    beside them. ``settings`` defaults to the reference ``MetricSettings()``. Raises ValueError
    for inconsistent inputs or a pool smaller than the settings ask for, naming the problem.
    """
    settings = settings or MetricSettings()
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {list(METRICS)}")
    codes, factors = check_inputs(codes, factors)
    needed = {
        "n_train + n_test": settings.n_train + settings.n_test if _SPLIT & set(metrics) else 0,
        "mig_points": settings.mig_points if "mig" in metrics else 0,
    }
    for name, rows in needed.items():
        if rows > len(codes):
            raise ValueError(f"{name} = {rows} is more than the {len(codes)} codes given")
    constant = constant_factors(factors)
    if len(constant) == factors.shape[1]:
        raise ValueError("no factor varies in the pool: there is nothing to measure")
    varying = np.delete(factors, constant, axis=1)
    data = _Inputs(codes, varying, settings)
    values: dict[str, float] = {}
    for name in metrics:
        values.update(METRICS[name](data, settings, seed, n_jobs))
    return values
