# The study's figures. The plotting code is an input: changing it reruns this rule alone.


rule paper_figures:
    input:
        runs=f"{TABLES_DIR}/{catalog.RUNS.stem}.csv",
        findings=[f"{TABLES_DIR}/{stem}.csv" for stem in catalog.FINDING_TABLES],
        code=plotting_code("paper_figures"),
    output:
        reported(FIGURES, "3. Paper figures"),
    log:
        log_path("paper_figures", "paper_figures"),
    benchmark:
        benchmark_path("paper_figures", "paper_figures")
    conda:
        "../envs/reporting.yaml"
    threads: resource("paper_figures", "threads", 1)
    resources:
        mem_mb=resource("paper_figures", "mem_mb"),
        runtime=resource("paper_figures", "runtime"),
    script:
        "../workflow_scripts/paper_figures.py"
