# Verified download of one file of a real dataset (shared by all studies).


rule download:
    output:
        f"{DOWNLOAD_DIR}/{{dataset}}/{{filename}}",
    log:
        f"{DOWNLOAD_DIR}/logs/{{dataset}}/{{filename}}.log",
    benchmark:
        f"{DOWNLOAD_DIR}/benchmarks/{{dataset}}/{{filename}}.tsv"
    conda:
        "../envs/data.yaml"
    threads: resource("download", "threads", 1)
    resources:
        mem_mb=resource("download", "mem_mb"),
        runtime=resource("download", "runtime"),
    params:
        file=file_entry,
    script:
        "../workflow_scripts/download.py"
