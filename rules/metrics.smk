# Every metric of one model, as metrics.json.


rule metrics:
    input:
        latents=f"{RUN}/{catalog.LATENTS}",
        effects=f"{RUN}/{catalog.EFFECTS}",
        oracle=f"{ORACLE}/{catalog.ORACLE_REPORT}",
        train_summary=f"{RUN}/{catalog.TRAIN_SUMMARY}",
        factors=prepared("factors"),
        meta=prepared("meta"),
    output:
        metrics=f"{RUN}/{catalog.METRICS}",
    log:
        log_path("metrics", RUN_ID),
    benchmark:
        benchmark_path("metrics", RUN_ID)
    conda:
        "../envs/torch.yaml"
    threads: resource("metrics", "threads", 1)
    resources:
        mem_mb=resource("metrics", "mem_mb"),
        runtime=resource("metrics", "runtime"),
    params:
        identity=identity,
        family=run_family,
        metrics=SETTINGS["metrics"],
    script:
        "../workflow_scripts/metrics.py"
