# The figures of one run. The plotting code is an input: changing it reruns figure rules alone.


rule run_figures:
    input:
        losses=f"{RUN}/{catalog.LOSSES}",
        model=f"{RUN}/{catalog.MODEL}",
        latents=f"{RUN}/{catalog.LATENTS}",
        effects=f"{RUN}/{catalog.EFFECTS}",
        metrics=f"{RUN}/{catalog.METRICS}",
        images=prepared("images"),
        meta=prepared("meta"),
        code=plotting_code("run_figures"),
    output:
        reported(
            [
                f"{RUN}/{catalog.FIGURES_DIR}/{name}.{ext}"
                for name in catalog.RUN_FIGURES
                for ext in catalog.FIGURE_FORMATS
            ],
            "1. Runs",
            subcategory="{dataset}",
            labels={"architecture": "{arch}", "seed": "{seed}"},
        ),
    log:
        log_path("run_figures", RUN_ID),
    benchmark:
        benchmark_path("run_figures", RUN_ID)
    conda:
        "../envs/torch.yaml"
    threads: resource("run_figures", "threads", 1)
    resources:
        mem_mb=resource("run_figures", "mem_mb"),
        runtime=resource("run_figures", "runtime"),
    params:
        title=lambda wildcards: f"{wildcards.arch}, seed {wildcards.seed}",
    script:
        "../workflow_scripts/run_figures.py"
