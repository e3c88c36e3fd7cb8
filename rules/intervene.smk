# The four manipulation types (and VQ-VAE code swaps) on one model: tidy table and arrays.


rule intervene:
    input:
        model=f"{RUN}/{catalog.MODEL}",
        latents=f"{RUN}/{catalog.LATENTS}",
        oracle=f"{ORACLE}/{catalog.ORACLE_WEIGHTS}",
        images=prepared("images"),
        factors=prepared("factors"),
        meta=prepared("meta"),
    output:
        table=f"{RUN}/{catalog.INTERVENTIONS}",
        effects=f"{RUN}/{catalog.EFFECTS}",
    log:
        log_path("intervene", RUN_ID),
    benchmark:
        benchmark_path("intervene", RUN_ID)
    conda:
        "../envs/torch.yaml"
    threads: resource("intervene", "threads", 1)
    resources:
        mem_mb=resource("intervene", "mem_mb"),
        runtime=resource("intervene", "runtime"),
        gpu=resource("intervene", "gpus", 0),
    params:
        interventions=SETTINGS["interventions"],
        split_seed=SETTINGS["evaluation"]["split_seed"],
        active_kl_threshold=SETTINGS["metrics"]["active_kl_threshold"],
        categorical=lambda w: list(STUDY.datasets[w.dataset].categorical),
        identity=identity,
    script:
        "../workflow_scripts/intervene.py"
