# Verified download of one file of a real dataset (shared by all studies).


def file_entry(wildcards):
    for spec in STUDY.datasets[wildcards.dataset].files:
        if spec.name == wildcards.filename:
            return asdict(spec)
    raise WorkflowError(f"{wildcards.filename} is not a file of dataset {wildcards.dataset}")


rule download:
    output:
        f"{DOWNLOAD_DIR}/{{dataset}}/{{filename}}",
    params:
        file=file_entry,
    log:
        f"{DOWNLOAD_DIR}/logs/{{dataset}}/{{filename}}.log",
    benchmark:
        f"{DOWNLOAD_DIR}/benchmarks/{{dataset}}/{{filename}}.tsv"
    threads: resource("download", "threads", 1)
    resources:
        mem_mb=resource("download", "mem_mb"),
        runtime=resource("download", "runtime"),
    conda:
        "../envs/data.yaml"
    script:
        "../workflow_scripts/download.py"
