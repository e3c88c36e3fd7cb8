"""A small pool of codes and settings on which every metric of the suite runs in a second."""

from __future__ import annotations

import numpy as np

from tests.metrics.synthetic import aligned_codes, grid_factors
from vaecausal.metrics.suite import MetricSettings

SMALL = MetricSettings(
    n_train=300,
    n_test=100,
    dci_booster="fast",
    mig_points=300,
    factor_vae_train=100,
    factor_vae_eval=50,
    factor_vae_variance_points=300,
    beta_vae_train=100,
    beta_vae_eval=50,
)
_rng = np.random.default_rng(0)
_factors = grid_factors(400, _rng)
SMALL_POOL = (aligned_codes(_factors, _rng), _factors, SMALL)
