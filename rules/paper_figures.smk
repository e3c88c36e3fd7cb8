# The study's figures. The plotting code is an input: changing it reruns this rule alone.


rule paper_figures:
    input:
        runs=f"{STUDY_DIR}/tables/runs.csv",
        code=sorted(
            str(p)
            for p in Path(workflow.basedir, "vaecausal", "plots").glob("*.py")
        )
        + [os.path.join(workflow.basedir, "vaecausal", "stages", "paper_figures.py")],
    output:
        FIGURES,
    log:
        log_path("paper_figures", "paper_figures"),
    benchmark:
        benchmark_path("paper_figures", "paper_figures")
    threads: resource("paper_figures", "threads", 1)
    resources:
        mem_mb=resource("paper_figures", "mem_mb"),
        runtime=resource("paper_figures", "runtime"),
    conda:
        "../envs/reporting.yaml"
    script:
        "../workflow_scripts/paper_figures.py"
