"""Entry point of rule `prepare`: wires its files to vaecausal.stages.prepare."""

from pathlib import Path

from vaecausal.stages import prepare
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    prepare.run(sm.params.dataset, list(sm.input), Path(sm.output.meta).parent, log)
