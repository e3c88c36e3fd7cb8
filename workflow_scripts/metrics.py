"""Entry point of rule `metrics`: wires its files to vaecausal.stages.metrics."""

from pathlib import Path

from vaecausal.stages import metrics
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    metrics.run(
        latents_path=Path(sm.input.latents),
        effects_path=Path(sm.input.effects),
        train_summary_path=Path(sm.input.train_summary),
        prepared_dir=Path(sm.input.meta).parent,
        out_path=Path(sm.output.metrics),
        identity=sm.params.identity,
        active_kl_threshold=sm.params.metrics["active_kl_threshold"],
        dci_settings=sm.params.metrics["dci"],
        threads=sm.threads,
        log=log,
    )
