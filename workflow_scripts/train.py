"""Entry point of rule `train`: wires its files to vaecausal.stages.train."""

from pathlib import Path

from vaecausal.stages import train
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    train.run(
        prepared_dir=Path(sm.input.meta).parent,
        model_path=Path(sm.output.model),
        losses_path=Path(sm.output.losses),
        summary_path=Path(sm.output.summary),
        architecture=sm.params.architecture,
        model_settings=sm.params.model,
        training=sm.params.training,
        seed=int(sm.wildcards.seed),
        threads=sm.threads,
        log=log,
    )
