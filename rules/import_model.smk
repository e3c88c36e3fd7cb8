# A model trained outside the project takes the place of `train` (the study's `external_models`).


rule import_model:
    input:
        unpack(external_weights),
        images=prepared("images"),
        meta=prepared("meta"),
    output:
        model=f"{RUN}/{catalog.MODEL}",
        losses=f"{RUN}/{catalog.LOSSES}",
        summary=f"{RUN}/{catalog.TRAIN_SUMMARY}",
    log:
        log_path("import_model", RUN_ID),
    benchmark:
        benchmark_path("import_model", RUN_ID)
    wildcard_constraints:
        arch=_alternatives(STUDY.external),
    conda:
        "../envs/torch.yaml"
    threads: resource("import_model", "threads", 1)
    resources:
        mem_mb=resource("import_model", "mem_mb"),
        runtime=resource("import_model", "runtime"),
    params:
        factory=lambda wildcards: STUDY.external[wildcards.arch].factory,
    script:
        "../workflow_scripts/import_model.py"
