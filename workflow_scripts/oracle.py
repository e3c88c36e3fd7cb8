"""Entry point of rule `oracle`: wires its files to vaecausal.stages.oracle."""

from pathlib import Path

from vaecausal.stages import oracle
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    oracle.run(
        prepared_dir=Path(sm.input.meta).parent,
        oracle_path=Path(sm.output.oracle),
        report_path=Path(sm.output.report),
        settings=sm.params.oracle,
        symmetries=sm.params.symmetries,
        threads=sm.threads,
        log=log,
    )
