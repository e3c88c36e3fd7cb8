# The manipulations of one model: tidy table (Parquet) and effect arrays (npz).


rule intervene:
    input:
        model=f"{RUN}/model.pt",
        latents=f"{RUN}/latents.npz",
    output:
        table=f"{RUN}/interventions.parquet",
        effects=f"{RUN}/effects.npz",
    params:
        interventions=SETTINGS["interventions"],
        identity=identity,
    log:
        log_path("intervene", RUN_ID),
    benchmark:
        benchmark_path("intervene", RUN_ID)
    threads: resource("intervene", "threads", 1)
    resources:
        mem_mb=resource("intervene", "mem_mb"),
        runtime=resource("intervene", "runtime"),
        gpu=resource("intervene", "gpus", 0),
    conda:
        "../envs/torch.yaml"
    script:
        "../workflow_scripts/intervene.py"
