# Train each dataset's factor oracle once: it reads which factors an intervention changed.


rule oracle:
    input:
        images=prepared("images"),
        factors=prepared("factors"),
        meta=prepared("meta"),
    output:
        oracle=f"{ORACLE}/{catalog.ORACLE_WEIGHTS}",
        report=f"{ORACLE}/{catalog.ORACLE_REPORT}",
    log:
        log_path("oracle", "{dataset}"),
    benchmark:
        benchmark_path("oracle", "{dataset}")
    conda:
        "../envs/torch.yaml"
    threads: resource("oracle", "threads", 1)
    resources:
        mem_mb=resource("oracle", "mem_mb"),
        runtime=resource("oracle", "runtime"),
        gpu=resource("oracle", "gpus", 0),
    params:
        oracle=SETTINGS["oracle"],
        symmetries=lambda wildcards: STUDY.datasets[wildcards.dataset].symmetries,
    script:
        "../workflow_scripts/oracle.py"
