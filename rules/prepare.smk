# Convert one dataset once to the common store: images.npy, factors.npy, meta.json.


rule prepare:
    input:
        downloaded_files,
    output:
        images=prepared("images"),
        factors=prepared("factors"),
        meta=prepared("meta"),
    params:
        dataset=lambda wildcards: dataset_entry(wildcards.dataset),
    log:
        log_path("prepare", "{dataset}"),
    benchmark:
        benchmark_path("prepare", "{dataset}")
    threads: resource("prepare", "threads", 1)
    resources:
        mem_mb=resource("prepare", "mem_mb"),
        runtime=resource("prepare", "runtime"),
    conda:
        "../envs/data.yaml"
    script:
        "../workflow_scripts/prepare.py"
