"""Stage ``tables``: all runs of the study as tidy CSV, and the summary as CSV, Markdown, LaTeX."""

from __future__ import annotations

from pathlib import Path

from vaecausal.analysis.aggregate import load_runs, summarise, to_latex, to_markdown
from vaecausal.stages.logs import Log


def run(metrics_paths: list[str], out_dir: Path, log: Log) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = load_runs(metrics_paths)
    runs.to_csv(out_dir / "runs.csv", index=False)
    summary = summarise(runs)
    summary.to_csv(out_dir / "summary.csv", index=False)
    (out_dir / "summary.md").write_text(to_markdown(summary))
    (out_dir / "summary.tex").write_text(to_latex(summary))
    log(f"aggregated {len(runs)} runs into {len(summary)} dataset x architecture rows")
