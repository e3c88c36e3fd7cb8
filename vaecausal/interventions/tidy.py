"""The tidy interventions table: one row per manipulation, layer, unit or latent, factor, value.

Columns: the run's identity, ``manipulation``, ``layer`` (a hook point, ``latent`` or ``code``),
``unit`` (unit or latent index; empty for a whole-layer mediator), ``factor`` (a factor or
transform name, ``z<i>`` for a latent, ``pixels`` for the image), ``value`` (the perturbation
value where there is one), ``quantity`` (what ``effect`` measures) and ``effect``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def matrix_rows(
    manipulation: str,
    layer: str,
    quantity: str,
    matrix: np.ndarray,
    factors: Sequence[str],
    units: Sequence[int | None] | None = None,
    value: float = float("nan"),
) -> pd.DataFrame:
    """Rows for a (units, factors) matrix; ``units`` default to 0..U-1."""
    matrix = np.asarray(matrix, dtype=np.float64)
    n_units, n_factors = matrix.shape
    unit_labels = list(range(n_units)) if units is None else list(units)
    return pd.DataFrame(
        {
            "manipulation": manipulation,
            "layer": layer,
            "unit": pd.array(np.repeat(unit_labels, n_factors).tolist(), dtype="Int64"),
            "factor": np.tile(np.asarray(factors, dtype=object), n_units),
            "value": value,
            "quantity": quantity,
            "effect": matrix.ravel(),
        }
    )


def with_identity(parts: list[pd.DataFrame], identity: dict[str, object]) -> pd.DataFrame:
    table = pd.concat(parts, ignore_index=True)
    for position, (key, value) in enumerate(identity.items()):
        table.insert(position, key, value)
    return table


def latent_names(d: int) -> list[str]:
    return [f"z{i}" for i in range(d)]
