# Aggregate every run of the study into tidy and summary tables, the findings' tables and
# findings.md. `expected` is the study's plan: runs without a readable metrics.json are reported
# as missing: all exist when the rule runs as a normal DAG job; with `--config partial=true` it
# aggregates whatever has finished.


rule tables:
    input:
        metrics=finished_metrics,
    output:
        reported(TABLES, "2. Tables and findings"),
    log:
        log_path("tables", "tables"),
    benchmark:
        benchmark_path("tables", "tables")
    conda:
        "../envs/reporting.yaml"
    threads: resource("tables", "threads", 1)
    resources:
        mem_mb=resource("tables", "mem_mb"),
        runtime=resource("tables", "runtime"),
    params:
        expected=EXPECTED_RUNS,
        # the family of a run whose metrics.json predates recording it
        families={arch: spec.family for arch, spec in STUDY.architectures.items()},
        strength_of={
            arch: spec.strength_of
            for arch, spec in STUDY.architectures.items()
            if spec.strength_of
        },
        hypotheses=STUDY.settings.get("findings", {}),
    script:
        "../workflow_scripts/tables.py"
