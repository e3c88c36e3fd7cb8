"""Entry point of rule `cache_activations`: wires its files to its stage module."""

from pathlib import Path

from vaecausal.stages import cache_activations
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    cache_activations.run(
        model_path=Path(sm.input.model),
        prepared_dir=Path(sm.input.meta).parent,
        out_path=Path(sm.output.latents),
        activations_path=Path(sm.output.activations),
        n_eval=sm.params.evaluation["n_eval"],
        split_seed=sm.params.evaluation["split_seed"],
        n_activations=sm.params.evaluation["n_activations"],
        n_metric=sm.params.n_metric,
        metric_seed=sm.params.metric_seed,
        threads=sm.threads,
        log=log,
    )
