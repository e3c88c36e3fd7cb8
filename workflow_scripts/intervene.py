"""Entry point of rule `intervene`: wires its files to vaecausal.stages.intervene."""

from pathlib import Path

from vaecausal.stages import intervene
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    intervene.run(
        model_path=Path(sm.input.model),
        latents_path=Path(sm.input.latents),
        oracle_path=Path(sm.input.oracle),
        prepared_dir=Path(sm.input.meta).parent,
        table_path=Path(sm.output.table),
        arrays_path=Path(sm.output.effects),
        settings=sm.params.interventions,
        split_seed=sm.params.split_seed,
        active_kl_threshold=sm.params.active_kl_threshold,
        categorical=sm.params.categorical,
        identity=sm.params.identity,
        threads=sm.threads,
        log=log,
    )
