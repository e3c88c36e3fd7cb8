"""Mutual Information Gap (Chen et al. 2018) on disentanglement_lib's protocol.

For each factor, the mutual information of the best code minus that of the second-best code,
divided by the factor's entropy, so 1 means one code holds all of the factor's information and
no other code holds any; MIG is the mean over factors. Codes are binned into 20 equal-width
histogram bins (see ``information``) and the reference uses 10,000 points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaecausal.metrics.common import require_varying, top_two_gap
from vaecausal.metrics.information import factor_entropy, histogram_discretise, mutual_information


@dataclass(frozen=True)
class MIGResult:
    mig: float
    per_factor: np.ndarray  # (n_factors,) normalised gap of each factor
    mutual_information: np.ndarray  # (n_codes, n_factors), nats


def mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> MIGResult:
    """MIG of codes (N, d) against discrete factors (N, K); every factor must vary."""
    require_varying(factors, "MIG")
    information = mutual_information(histogram_discretise(codes, n_bins), factors)
    per_factor = top_two_gap(information) / factor_entropy(factors)
    return MIGResult(float(per_factor.mean()), per_factor, information)
