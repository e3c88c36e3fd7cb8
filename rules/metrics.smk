# Every metric of one model, as metrics.json.


rule metrics:
    input:
        latents=f"{RUN}/latents.npz",
        effects=f"{RUN}/effects.npz",
        oracle=f"{ORACLE}/oracle.json",
        train_summary=f"{RUN}/train_summary.json",
        factors=prepared("factors"),
        meta=prepared("meta"),
    output:
        metrics=f"{RUN}/metrics.json",
    params:
        identity=identity,
        metrics=SETTINGS["metrics"],
    log:
        log_path("metrics", RUN_ID),
    benchmark:
        benchmark_path("metrics", RUN_ID)
    threads: resource("metrics", "threads", 1)
    resources:
        mem_mb=resource("metrics", "mem_mb"),
        runtime=resource("metrics", "runtime"),
    conda:
        "../envs/torch.yaml"
    script:
        "../workflow_scripts/metrics.py"
