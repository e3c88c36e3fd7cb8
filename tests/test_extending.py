"""docs/extending.md's four checklists, proven: a copy of the repository gets a toy architecture, a
toy standard metric, a toy manipulation and a toy figure, each through exactly the files its
checklist lists, in that order (``EDITS``); a tiny study of the toy architecture beside the VAE
runs in the copy through Snakemake, and each toy reaches ``metrics.json``, ``runs.csv``, the
summary and a figure.

The copy's package is the one imported (``PYTHONPATH``), by Snakemake's jobs and by the check of
what the figures draw, which calls the copy's plotting code on the tables the study wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest
import yaml

from tests.tiny_study import REPO, TINY, snakemake_command

DOC = REPO / "docs/extending.md"


@dataclass(frozen=True)
class Edit:
    """One step of a checklist: the file it touches and how (``create`` its text, or insert
    ``text`` before each ``anchor``, which must occur exactly once)."""

    path: str
    create: str = ""
    inserts: tuple[tuple[str, str], ...] = ()  # (anchor, text inserted before it)

    def apply(self, root: Path) -> None:
        target = root / self.path
        if self.create:
            assert not target.exists(), f"{self.path} exists already"
            target.write_text(self.create)
            return
        text = target.read_text()
        for anchor, insert in self.inserts:
            assert text.count(anchor) == 1, f"{self.path}: anchor {anchor!r} is not unique"
            text = text.replace(anchor, insert + anchor)
        target.write_text(text)


ARCHITECTURE = "toy_vae"
METRIC, METRIC_COLUMN = "toy_metric", "toy_spread"
MANIPULATION, MANIPULATION_COLUMN = "toy_shift", "toy_shift"
FIGURE = "toy_figure"

# Checklist heading in docs/extending.md -> (the toy's name for <name>, its steps in order).
EDITS: dict[str, tuple[str, tuple[Edit, ...]]] = {
    "An architecture": (
        ARCHITECTURE,
        (
            Edit(
                "vaecausal/catalog.py",
                inserts=(
                    ('    Architecture("vq_vae"', '    Architecture("toy_vae", "Toy VAE"),\n'),
                ),
            ),
            Edit(
                "vaecausal/models/toy_vae.py",
                create='''"""A toy objective: beta-VAE at half its weight."""

from vaecausal.models.beta_vae import BetaVAEObjective


class ToyVAEObjective(BetaVAEObjective):
    def __init__(self, weight: float) -> None:
        super().__init__(beta=weight / 2)
''',
            ),
            Edit(
                "vaecausal/models/registry.py",
                inserts=(
                    (
                        "from vaecausal.models.vq_vae import",
                        "from vaecausal.models.toy_vae import ToyVAEObjective\n",
                    ),
                    (
                        '    "vq_vae": Builder(',
                        '    "toy_vae": Builder(\n'
                        "        lambda h, dataset_size, n_latents: "
                        'ToyVAEObjective(float(h["weight"]))\n'
                        "    ),\n",
                    ),
                ),
            ),
            Edit(
                "vaecausal/config.schema.yaml",
                inserts=(
                    (
                        "      - if: {properties: {objective: {const: vq_vae}}}",
                        """      - if: {properties: {objective: {const: toy_vae}}}
        then:
          additionalProperties: false
          required: [weight]
          properties:
            objective: true
            family: true
            strength_of: true
            n_latents: true
            weight: {$ref: "#/$defs/positive_number"}
""",
                    ),
                ),
            ),
            Edit(
                "config.yaml",
                inserts=(
                    (
                        "  # Size variants for a latent-size sweep",
                        "  toy_vae: {objective: toy_vae, weight: 1.0}\n",
                    ),
                ),
            ),
        ),
    ),
    "A standard metric": (
        METRIC,
        (
            Edit(
                "vaecausal/metrics/toy_metric.py",
                create='''"""A toy metric: the mean spread of the codes."""

import numpy as np


def toy_spread(codes: np.ndarray) -> float:
    return float(np.std(codes, axis=0).mean())
''',
            ),
            Edit(
                "vaecausal/metrics/suite.py",
                inserts=(
                    (
                        "from vaecausal.metrics.mig import mig\n",
                        "from vaecausal.metrics.toy_metric import toy_spread\n",
                    ),
                    (
                        "_Metric = Callable",
                        """def _toy_metric(
    data: _Inputs, s: MetricSettings, seed: int, n_jobs: int
) -> dict[str, float]:
    return {"toy_spread": toy_spread(data.pool[0])}


""",
                    ),
                    ("}\n_SPLIT = ", '    "toy_metric": _toy_metric,\n'),
                ),
            ),
            Edit(
                "vaecausal/catalog.py",
                inserts=(
                    (
                        ")\nSTANDARD_COLUMNS = ",
                        '    StandardMetric("toy_metric", (Column("toy_spread", "Toy spread"),)),'
                        "\n",
                    ),
                ),
            ),
        ),
    ),
    "A manipulation type": (
        MANIPULATION,
        (
            Edit(
                "vaecausal/interventions/toy_shift.py",
                create='''"""A toy computation: the mean evaluation code."""

import numpy as np


def latent_means(latents: np.ndarray) -> np.ndarray:
    return latents.mean(0)
''',
            ),
            Edit(
                "vaecausal/interventions/effects.py",
                inserts=(
                    (
                        "``timings`` (M,) seconds",
                        "``toy_shift``: ``toy.latent_mean`` (d,): the mean evaluation code.\n\n",
                    ),
                    ('TIMINGS = "timings"', 'TOY_LATENT_MEAN = "toy.latent_mean"\n\n'),
                ),
            ),
            Edit(
                "vaecausal/interventions/manipulations/toy_shift.py",
                create='''"""A toy manipulation: the mean evaluation code."""

from vaecausal.interventions import effects as keys
from vaecausal.interventions.manipulations.base import Context, Manipulation, Output
from vaecausal.interventions.tidy import matrix_rows
from vaecausal.interventions.toy_shift import latent_means


def run(context: Context) -> Output:
    mean = latent_means(context.latents)
    rows = matrix_rows("toy_shift", "latent", "mean", mean[:, None], ["code"])
    return Output({keys.TOY_LATENT_MEAN: mean}, [rows])


TOY_SHIFT = Manipulation("toy_shift", run, shrinks="evaluation.n_eval")
''',
            ),
            Edit(
                "vaecausal/interventions/manipulations/__init__.py",
                inserts=(
                    (
                        "\nMANIPULATIONS",
                        "from vaecausal.interventions.manipulations.toy_shift import TOY_SHIFT\n",
                    ),
                    ("    CODE_SWAPS,\n)", "    TOY_SHIFT,\n"),
                ),
            ),
            Edit(
                "vaecausal/stages/metrics.py",
                inserts=(
                    (
                        "    if keys.BOOTSTRAP_WEIGHTS in effects:\n        intervals",
                        """    if keys.TOY_LATENT_MEAN in effects:
        causal["toy_shift"] = float(np.abs(effects[keys.TOY_LATENT_MEAN]).mean())
""",
                    ),
                ),
            ),
            Edit(
                "vaecausal/analysis/aggregate.py",
                inserts=(('        "code_change_share": ', '        "toy_shift": "toy shift",\n'),),
            ),
        ),
    ),
    "A figure": (
        FIGURE,
        (
            Edit(
                "vaecausal/catalog.py",
                inserts=(('    "capacity_bottleneck",\n)', '    "toy_figure",\n'),),
            ),
            Edit(
                "vaecausal/plots/toy_figure.py",
                create='''"""A toy figure: the toy metrics' mean per architecture."""

import matplotlib.pyplot as plt
import pandas as pd

from vaecausal.plots.style import architecture_label, architecture_order

COLUMNS = {"toy_spread": "Toy spread", "toy_shift": "toy shift"}


def plot(runs: pd.DataFrame) -> plt.Figure:
    order = architecture_order(runs["architecture"])
    means = runs.groupby("architecture")[list(COLUMNS)].mean().loc[order]
    figure, axes = plt.subplots(1, len(COLUMNS), figsize=(4.0 * len(COLUMNS), 3.0))
    for axis, (column, title) in zip(axes, COLUMNS.items()):
        axis.bar([architecture_label(a) for a in order], means[column])
        axis.set_title(title)
    return figure
''',
            ),
            Edit(
                "vaecausal/stages/paper_figures.py",
                inserts=(
                    ("    vq_discrete_ces,\n)", "    toy_figure,\n"),
                    ("\n}\nINPUT_TABLES", '\n    "toy_figure": (("runs",), toy_figure.plot),'),
                ),
            ),
            Edit(
                f"report/{FIGURE}.rst",
                create="The toy metrics' mean per architecture (docs/extending.md's proof).\n",
            ),
        ),
    ),
}


def documented_steps(doc: str) -> dict[str, list[str]]:
    """Checklist heading -> the files its numbered steps name, in order (each step starts with a
    file in backticks)."""
    steps: dict[str, list[str]] = {}
    heading = None
    for line in doc.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            steps[heading] = []
        elif heading and (step := re.match(r"\d+\. `([^`]+)`", line)):
            steps[heading].append(step[1])
    return {heading: files for heading, files in steps.items() if files}


def test_each_checklist_touches_the_files_docs_extending_md_lists_in_that_order():
    documented = documented_steps(DOC.read_text())
    assert list(documented) == list(EDITS)
    for heading, (name, edits) in EDITS.items():
        listed = [path.replace("<name>", name) for path in documented[heading]]
        assert [edit.path for edit in edits] == listed, heading


def repository_copy(destination: Path) -> Path:
    """The repository's files (git's tracked and not-ignored ones) in ``destination``."""
    names = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, names.split("\0")):
        source = REPO / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


@dataclass(frozen=True)
class Study:
    root: Path  # the copy with the toys
    results: Path  # the study's results folder
    env: dict[str, str]

    def run_metrics(self, architecture: str) -> dict:
        run = self.results / "runs" / "tiny_dsprites" / architecture / "seed3"
        return json.loads((run / "metrics.json").read_text())

    def table(self, stem: str) -> pd.DataFrame:
        return pd.read_csv(self.results / "tables" / f"{stem}.csv")

    def drawn(self, figure: str) -> dict[str, list[str]]:
        """What the copy's ``plots/<figure>.py`` draws from the study's runs.csv: its panels'
        titles and tick labels."""
        script = f"""
import json, pandas as pd
from vaecausal.analysis.findings.capacity import reference_runs
from vaecausal.plots import {figure}
figure = {figure}.plot(reference_runs(pd.read_csv({str(self.results / "tables/runs.csv")!r})))
axes = [a for a in figure.axes if a.get_visible()]
print(json.dumps({{
    "titles": [a.get_title() for a in axes],
    "labels": [t.get_text() for a in axes for t in (*a.get_xticklabels(), *a.get_yticklabels())],
}}))
"""
        drawn = subprocess.run(
            [sys.executable, "-c", script],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert drawn.returncode == 0, drawn.stderr[-3000:]
        return json.loads(drawn.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    """The four checklists applied to a copy of the repository, and a tiny study of the toy
    architecture beside the VAE run in it through Snakemake."""
    base = tmp_path_factory.mktemp("extending")
    root = repository_copy(base / "repository")
    for _, edits in EDITS.values():
        for edit in edits:
            edit.apply(root)
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["studies"]["tiny"]["architectures"] = ["vae", ARCHITECTURE]
    config_path = base / "tiny.yaml"
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(root), "MPLBACKEND": "Agg"}
    work = base / "work"
    command = snakemake_command(root, work, "--cores", "2", "--configfile", str(config_path))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-5000:]
    return Study(root, work / "results" / "tiny", env)


def _summary_has(study: Study, column: str, architecture: str) -> bool:
    summary = study.table("summary")
    row = summary[summary["architecture"] == architecture]
    return any(c.startswith(column) and row[c].notna().all() for c in summary.columns)


def test_a_toy_architecture_reaches_metrics_json_the_tables_and_the_figures(study: Study):
    metrics = study.run_metrics(ARCHITECTURE)
    assert metrics["architecture"] == ARCHITECTURE and metrics["family"] == ARCHITECTURE
    assert ARCHITECTURE in set(study.table("runs")["architecture"])
    assert _summary_has(study, "dci_disentanglement", ARCHITECTURE)
    figures = study.results / "runs" / "tiny_dsprites" / ARCHITECTURE / "seed3" / "figures"
    assert all((figures / f"{name}.png").stat().st_size > 0 for name in ("traversals", "mediation"))
    assert "Toy VAE" in study.drawn("metric_heatmap")["labels"]  # its catalog label


def test_a_toy_standard_metric_reaches_metrics_json_the_tables_and_the_metric_heatmap(
    study: Study,
):
    for architecture in ("vae", ARCHITECTURE):
        assert study.run_metrics(architecture)[METRIC_COLUMN] > 0
    assert study.table("runs")[METRIC_COLUMN].notna().all()
    assert _summary_has(study, METRIC_COLUMN, ARCHITECTURE)
    assert "Toy spread" in (study.results / "tables" / "summary.md").read_text()
    assert "Toy spread" in study.drawn("metric_heatmap")["titles"]


def test_a_toy_manipulation_reaches_effects_metrics_json_the_tables_and_a_figure(study: Study):
    run = study.results / "runs" / "tiny_dsprites" / "vae" / "seed3"
    interventions = pd.read_parquet(run / "interventions.parquet")
    assert MANIPULATION in set(interventions["manipulation"])
    assert study.run_metrics("vae")[MANIPULATION_COLUMN] >= 0
    assert study.table("runs")[MANIPULATION_COLUMN].notna().all()
    assert _summary_has(study, MANIPULATION_COLUMN, "vae")
    assert "toy shift" in study.drawn(FIGURE)["titles"]


def test_a_toy_figure_is_drawn_from_the_tables(study: Study):
    png = study.results / "figures" / f"{FIGURE}.png"
    assert matplotlib.image.imread(png).std() > 0.01
    assert (png.with_suffix(".pdf")).stat().st_size > 0
    drawn = study.drawn(FIGURE)
    assert drawn["titles"] == ["Toy spread", "toy shift"]
    assert {"VAE", "Toy VAE"} <= set(drawn["labels"])


def test_a_standard_metric_left_out_of_the_catalog_fails_loudly(tmp_path: Path):
    """The standard-metric checklist without its catalog step: the metrics stage refuses the
    metric, naming it and where to declare it, instead of writing values no table shows."""
    root = repository_copy(tmp_path)
    _, edits = EDITS["A standard metric"]
    for edit in edits:
        if edit.path != "vaecausal/catalog.py":
            edit.apply(root)
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "from vaecausal.stages.metrics import suite_metrics; suite_metrics()",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode != 0
    assert "standard metric 'toy_metric' has no entry in vaecausal/catalog.py" in check.stderr
