"""The study as one DAG: download -> prepare -> train -> cache_activations -> intervene -> metrics
-> tables -> paper_figures (and run_figures per run), over every dataset x architecture x seed of
the selected study.

    snakemake --cores 2                          # the default study (offline, minutes on a CPU)
    snakemake --cores 8 --config study=paper     # the full 90-run study
    snakemake --profile profiles/slurm --config study=paper   # on a SLURM cluster
"""

import os
import sys

# The package lives beside this file; jobs (local, conda or cluster) import it from here.
sys.path.insert(0, workflow.basedir)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (workflow.basedir, os.environ.get("PYTHONPATH")) if p
)


from snakemake.logging import logger

from vaecausal.workflow_lock import claim

# A hard-killed Snakemake leaves its lock behind: it is removed here when the process that held it
# is gone, so that starting again resumes (vaecausal/workflow_lock.py says when it is kept).
if workflow.is_main_process:
    claim(".snakemake", logger.warning)


# Jobs need the PYTHONPATH set above; declared so that executors that do not inherit this
# process's environment pass it on to them.
envvars:
    "PYTHONPATH",


configfile: os.path.join(workflow.basedir, "config.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/download.smk"
include: "rules/prepare.smk"
include: "rules/oracle.smk"
include: "rules/train.smk"
include: "rules/import_model.smk"
include: "rules/cache_activations.smk"
include: "rules/intervene.smk"
include: "rules/metrics.smk"
include: "rules/tables.smk"
include: "rules/run_figures.smk"
include: "rules/paper_figures.smk"


rule all:
    default_target: True
    input:
        TABLES,
        FIGURES,
        RUN_FIGURES,
