"""Entry point of rule `metrics`: wires its files to vaecausal.stages.metrics."""

from pathlib import Path

from vaecausal.stages import metrics
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    metrics.run(
        latents_path=Path(sm.input.latents),
        effects_path=Path(sm.input.effects),
        oracle_report_path=Path(sm.input.oracle),
        train_summary_path=Path(sm.input.train_summary),
        prepared_dir=Path(sm.input.meta).parent,
        out_path=Path(sm.output.metrics),
        identity=sm.params.identity,
        settings=sm.params.metrics,
        threads=sm.threads,
        log=log,
        family=sm.params.family,
    )
