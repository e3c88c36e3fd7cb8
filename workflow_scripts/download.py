"""Entry point of rule `download`: wires its files to vaecausal.stages.download.

The copies a user accepts come from the configuration here rather than from the rule's params, so
that setting `accepted_digests` never makes Snakemake re-download (or re-prepare) files it has.
"""

from vaecausal.config import load_study
from vaecausal.stages import download
from vaecausal.stages.logs import stage_log

sm = snakemake  # noqa: F821 (injected by Snakemake)
with stage_log(sm.log[0]) as log:
    accepted = load_study(sm.config).accepted_copies(sm.wildcards.dataset, sm.params.file["name"])
    download.run(sm.params.file, sm.output[0], log, accepted)
