"""vaecausal: multi-level causal interventions in variational autoencoders, as a reproducible study.

Subpackages hold the science (``data``, ``models``, ``interventions``, ``metrics``, ``analysis``,
``plots``); ``stages`` holds one module per step of the Snakemake DAG, each a function of explicit
paths and parameters that the thin scripts in ``workflow_scripts/`` call.
"""
