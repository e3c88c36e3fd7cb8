"""Entry point of rule `run_figures`: wires its files to vaecausal.stages.run_figures."""

from pathlib import Path

from vaecausal.stages import run_figures
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    run_figures.run(
        losses_path=Path(sm.input.losses),
        model_path=Path(sm.input.model),
        latents_path=Path(sm.input.latents),
        effects_path=Path(sm.input.effects),
        metrics_path=Path(sm.input.metrics),
        prepared_dir=Path(sm.input.meta).parent,
        out_dir=Path(sm.output[0]).parent,
        title=sm.params.title,
        log=log,
    )
