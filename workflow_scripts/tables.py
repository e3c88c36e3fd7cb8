"""Entry point of rule `tables`: wires its files to vaecausal.stages.tables."""

from pathlib import Path

from vaecausal.stages import tables
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    tables.run(
        list(sm.input.metrics),
        Path(sm.output[0]).parent,
        log,
        sm.params.expected,
        families=sm.params.families,
        strength_of=sm.params.strength_of,
        hypotheses=sm.params.hypotheses,
    )
