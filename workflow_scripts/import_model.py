"""Entry point of rule `import_model`: wires its files to vaecausal.stages.import_model."""

from pathlib import Path

from vaecausal.stages import import_model
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    import_model.run(
        factory=sm.params.factory,
        weights=Path(sm.input.weights) if sm.input.get("weights") else None,
        prepared_dir=Path(sm.input.meta).parent,
        model_path=Path(sm.output.model),
        losses_path=Path(sm.output.losses),
        summary_path=Path(sm.output.summary),
        log=log,
    )
