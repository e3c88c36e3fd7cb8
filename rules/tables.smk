# Aggregate every run of the study into tidy and summary tables.


rule tables:
    input:
        metrics=[f"{run}/metrics.json" for run in ALL_RUNS],
    output:
        TABLES,
    log:
        log_path("tables", "tables"),
    benchmark:
        benchmark_path("tables", "tables")
    threads: resource("tables", "threads", 1)
    resources:
        mem_mb=resource("tables", "mem_mb"),
        runtime=resource("tables", "runtime"),
    conda:
        "../envs/reporting.yaml"
    script:
        "../workflow_scripts/tables.py"
