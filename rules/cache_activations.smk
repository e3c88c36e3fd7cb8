# Encode the dataset's fixed evaluation set and metric sample with one trained model.


rule cache_activations:
    input:
        model=f"{RUN}/{catalog.MODEL}",
        images=prepared("images"),
        meta=prepared("meta"),
    output:
        latents=f"{RUN}/{catalog.LATENTS}",
        activations=f"{RUN}/{catalog.ACTIVATIONS}",
    log:
        log_path("cache_activations", RUN_ID),
    benchmark:
        benchmark_path("cache_activations", RUN_ID)
    conda:
        "../envs/torch.yaml"
    threads: resource("cache_activations", "threads", 1)
    resources:
        mem_mb=resource("cache_activations", "mem_mb"),
        runtime=resource("cache_activations", "runtime"),
        gpu=resource("cache_activations", "gpus", 0),
    params:
        evaluation=SETTINGS["evaluation"],
        n_metric=SETTINGS["metrics"]["dci"]["n_train"] + SETTINGS["metrics"]["dci"]["n_test"],
        metric_seed=SETTINGS["metrics"]["dci"]["seed"],
    script:
        "../workflow_scripts/cache_activations.py"
