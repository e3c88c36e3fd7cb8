"""The catalog names what the code produces: the configuration's objectives, the findings'
tables and figures, the tables the tables stage writes and the paper figures it draws from them.
The models' builders and the run figures are checked beside their modules (``tests/models``,
``tests/stages``)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib import resources

import pandas as pd
import yaml

from tests.analysis.synthetic import study, write_metrics
from vaecausal import catalog
from vaecausal.analysis.findings import TABLE_FILES
from vaecausal.analysis.findings import Resampling as FindingsResampling
from vaecausal.config import load_schema
from vaecausal.plots.style import architecture_label, architecture_order
from vaecausal.stages import paper_figures, tables
from vaecausal.stages.logs import stage_log


def test_the_catalog_imports_no_third_party_package():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, vaecausal.catalog; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = {"torch", "numpy", "pandas", "yaml", "jsonschema", "matplotlib"}
    assert not heavy & {name.split(".")[0] for name in loaded}


def test_names_are_unique():
    for names in (
        catalog.OBJECTIVES,
        [finding.id for finding in catalog.FINDINGS],
        [table.stem for table in catalog.TABLES],
        catalog.TABLE_FILES,
        catalog.PAPER_FIGURES,
        catalog.RUN_FIGURES,
    ):
        assert len(set(names)) == len(names), names


def test_the_schema_accepts_exactly_the_catalogs_objectives_each_with_its_hyperparameters():
    schema = load_schema()["$defs"]["architecture"]
    assert schema["properties"]["objective"]["enum"] == list(catalog.OBJECTIVES)
    shipped = yaml.safe_load(
        resources.files("vaecausal").joinpath("config.schema.yaml").read_text()
    )
    branches = [
        branch["if"]["properties"]["objective"]["const"]
        for branch in shipped["$defs"]["architecture"]["allOf"]
    ]
    assert branches == list(catalog.OBJECTIVES)


def test_plots_label_and_order_the_catalogs_architectures():
    assert [architecture_label(a.name) for a in catalog.ARCHITECTURES] == [
        a.label for a in catalog.ARCHITECTURES
    ]
    assert architecture_order(["external", *reversed(catalog.OBJECTIVES)]) == [
        *catalog.OBJECTIVES,
        "external",
    ]


def test_each_finding_is_one_module_its_tables_and_the_figures_that_read_them():
    for finding in catalog.FINDINGS:
        assert importlib.import_module(finding.module).__name__.endswith(f".{finding.id}")
        assert finding.figures and set(finding.figures) <= set(catalog.PAPER_FIGURES)
        for figure in finding.figures:
            read, _ = paper_figures.FIGURES[figure]
            assert set(finding.tables) <= set(read), (finding.id, figure)
    assert list(TABLE_FILES) == list(catalog.FINDING_TABLES)


def test_paper_figures_are_the_catalogs_and_read_tables_it_names():
    assert list(paper_figures.FIGURES) == list(catalog.PAPER_FIGURES)
    written_csv = {table.stem for table in catalog.TABLES if "csv" in table.formats}
    assert set(paper_figures.INPUT_TABLES) <= written_csv
    for name in (*catalog.PAPER_FIGURES, *catalog.RUN_FIGURES):
        importlib.import_module(f"vaecausal.plots.{name}")


def test_the_tables_stage_writes_exactly_the_catalogs_tables_and_one_verdict_per_finding(
    tmp_path,
):
    runs = study(("dsprites",), seeds=(0, 1))
    paths = write_metrics(runs, tmp_path / "metrics")
    with stage_log(tmp_path / "tables.log") as log:
        tables.run(
            [str(p) for p in paths],
            tmp_path / catalog.TABLES_DIR,
            log,
            resampling=FindingsResampling(n_boot=50, n_perm=50),
        )
    written = sorted(p.name for p in (tmp_path / catalog.TABLES_DIR).iterdir())
    assert written == sorted(catalog.TABLE_FILES)
    verdicts = pd.read_csv(tmp_path / catalog.TABLES_DIR / f"{catalog.VERDICTS}.csv")
    assert [f.split(")")[0] for f in verdicts["finding"]] == [
        f"({finding.numeral}" for finding in catalog.FINDINGS
    ]
