"""Entry point of rule `paper_figures`: wires its files to vaecausal.stages.paper_figures."""

from pathlib import Path

from vaecausal.stages import paper_figures
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    paper_figures.run(Path(sm.input.runs).parent, Path(sm.output[0]).parent, log)
