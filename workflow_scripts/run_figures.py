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
        prepared_dir=Path(sm.input.meta).parent,
        curves_path=Path(sm.output.curves),
        reconstructions_path=Path(sm.output.reconstructions),
        title=sm.params.title,
        log=log,
    )
