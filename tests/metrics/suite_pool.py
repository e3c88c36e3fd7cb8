"""Small settings of the suite, and a pool of codes on which every metric runs with them."""

from __future__ import annotations

import numpy as np

from tests.metrics.synthetic import aligned_codes, grid_factors
from vaecausal.metrics.suite import MetricSettings

SMALL = MetricSettings(
    n_train=800,
    n_test=400,
    dci_booster="fast",
    mig_points=800,
    factor_vae_train=400,
    factor_vae_eval=200,
    factor_vae_variance_points=800,
    beta_vae_train=400,
    beta_vae_eval=200,
)
_rng = np.random.default_rng(0)
_factors = grid_factors(1200, _rng)
SMALL_POOL = (aligned_codes(_factors, _rng), _factors, SMALL)
