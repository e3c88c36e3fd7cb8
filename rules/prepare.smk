# Convert one dataset once to the common store: images.npy, factors.npy, meta.json.


rule prepare:
    input:
        downloaded_files,
    output:
        images=prepared("images"),
        factors=prepared("factors"),
        meta=prepared("meta"),
    log:
        log_path("prepare", "{dataset}"),
    benchmark:
        benchmark_path("prepare", "{dataset}")
    conda:
        "../envs/data.yaml"
    threads: resource("prepare", "threads", 1)
    resources:
        mem_mb=resource("prepare", "mem_mb"),
        runtime=resource("prepare", "runtime"),
    params:
        dataset=lambda wildcards: dataset_entry(wildcards.dataset),
    script:
        "../workflow_scripts/prepare.py"
