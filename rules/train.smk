# Train one (dataset, architecture, seed); a rerun resumes from the run's checkpoint.


rule train:
    input:
        images=prepared("images"),
        factors=prepared("factors"),
        meta=prepared("meta"),
    output:
        model=f"{RUN}/{catalog.MODEL}",
        losses=f"{RUN}/{catalog.LOSSES}",
        summary=f"{RUN}/{catalog.TRAIN_SUMMARY}",
    log:
        log_path("train", RUN_ID),
    benchmark:
        benchmark_path("train", RUN_ID)
    wildcard_constraints:
        arch=_alternatives(STUDY.architectures),
    conda:
        "../envs/torch.yaml"
    threads: resource("train", "threads", 1)
    resources:
        mem_mb=resource("train", "mem_mb"),
        runtime=resource("train", "runtime"),
        gpu=resource("train", "gpus", 0),
    params:
        architecture=lambda wildcards: architecture_entry(wildcards.arch),
        model=lambda wildcards: STUDY.model_settings(wildcards.arch),
        training=SETTINGS["training"],
    script:
        "../workflow_scripts/train.py"
