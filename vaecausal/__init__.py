"""vaecausal: multi-level causal interventions in variational autoencoders, as a reproducible study.

Subpackages hold the science (``data``, ``models``, ``interventions``, ``metrics``, ``analysis``,
``plots``); ``stages`` holds one module per step of the Snakemake DAG, each a function of explicit
paths and parameters that the thin scripts in ``workflow_scripts/`` call.
"""


def __getattr__(name: str):
    """``vaecausal.analyze``, imported on first use: the workflow imports this package for its
    configuration alone and should not pay for torch."""
    if name == "analyze":
        from vaecausal.api import analyze

        return analyze
    raise AttributeError(f"module 'vaecausal' has no attribute {name!r}")
