"""Entry point of rule `download`: wires its files to vaecausal.stages.download."""

from vaecausal.stages import download
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    download.run(sm.params.file, sm.output[0], log)
