"""The project's names in one place: the architectures it trains, the tables and figures it writes
and the four findings that relate them. Plain data, no third-party import, so that the Snakefile,
the configuration check and every layer of the package can read it at no cost.

Each reader builds from these lists: the workflow its output paths (``rules/common.smk``), the
configuration its objective enum (``config.load_schema``), ``models.registry`` its builders (one
per architecture), ``plots.style`` its labels and order, the stages the files they write.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    """An objective the project trains: ``name`` as in ``config.yaml``'s ``objective``, its
    display ``label`` in figures, and whether its latent code is ``discrete`` (a codebook index
    per slot) rather than continuous."""

    name: str
    label: str
    discrete: bool = False


# In the order figures and tables show them.
ARCHITECTURES = (
    Architecture("vae", "VAE"),
    Architecture("beta_vae", "β-VAE"),
    Architecture("factor_vae", "FactorVAE"),
    Architecture("beta_tc_vae", "β-TC-VAE"),
    Architecture("dip_vae_ii", "DIP-VAE-II"),
    Architecture("vq_vae", "VQ-VAE", discrete=True),
)
OBJECTIVES = tuple(a.name for a in ARCHITECTURES)
DISCRETE_OBJECTIVES = frozenset(a.name for a in ARCHITECTURES if a.discrete)
ARCHITECTURE_LABELS = {a.name: a.label for a in ARCHITECTURES}


@dataclass(frozen=True)
class Finding:
    """One of the study's findings: its ``id`` (the module ``vaecausal.analysis.findings.<id>``
    computes it), its numeral in ``findings.md`` and the verdicts, the tables it writes (file
    stems in the tables folder) and the paper figures that draw it."""

    id: str
    numeral: str
    tables: tuple[str, ...]
    figures: tuple[str, ...]

    @property
    def module(self) -> str:
        return f"vaecausal.analysis.findings.{self.id}"


FINDINGS = (
    Finding("tradeoff", "i", ("ces_dci_correlation",), ("ces_vs_dci",)),
    Finding("capacity", "ii", ("capacity_bottleneck", "capacity_trend"), ("capacity_bottleneck",)),
    Finding("ranking", "iii", ("architecture_ranks", "top_architectures"), ("architecture_ranks",)),
    Finding("discrete", "iv", ("vq_discrete_ces",), ("vq_discrete_ces",)),
)
VERDICTS = "verdicts"  # one row per finding
# The findings' tables (CSV and Markdown each), in the order the tables stage writes them.
FINDING_TABLES = (*(stem for finding in FINDINGS for stem in finding.tables), VERDICTS)


@dataclass(frozen=True)
class Table:
    """A file stem of the tables folder and the formats (file suffixes) it is written in."""

    stem: str
    formats: tuple[str, ...] = ("csv", "md")

    def file(self, suffix: str) -> str:
        """The file name of one of the table's formats."""
        if suffix not in self.formats:
            raise ValueError(f"{self.stem} is written as {', '.join(self.formats)}, not {suffix}")
        return f"{self.stem}.{suffix}"

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self.file(suffix) for suffix in self.formats)


RUNS = Table("runs", ("csv",))
SUMMARY = Table("summary", ("csv", "md", "tex"))
MISSING_RUNS = Table("missing_runs", ("csv",))
METRIC_COVERAGE = Table("metric_coverage", ("csv",))
FINDINGS_REPORT = Table("findings", ("md",))
MEDIATION_EFFECTS = Table("mediation_effects")
ORACLE_FACTORS = Table("oracle_factors")
# Everything the tables stage writes, in this order.
TABLES = (
    RUNS,
    SUMMARY,
    MISSING_RUNS,
    METRIC_COVERAGE,
    FINDINGS_REPORT,
    *(Table(stem) for stem in FINDING_TABLES),
    MEDIATION_EFFECTS,
    ORACLE_FACTORS,
)
TABLE_FILES = tuple(name for table in TABLES for name in table.files)

FIGURE_FORMATS = ("png", "pdf")
# The study's figures (``stages/paper_figures.py``), each drawn by ``plots/<name>.py``.
PAPER_FIGURES = (
    "ces_vs_dci",
    "metric_heatmap",
    "causal_metric_heatmap",
    "architecture_ranks",
    "vq_discrete_ces",
    "capacity_bottleneck",
)
# The figures of one run (``stages/run_figures.py``), each drawn by ``plots/<name>.py``.
RUN_FIGURES = (
    "training_curves",
    "reconstructions",
    "traversals",
    "effect_heatmaps",
    "patching_heatmap",
    "mediation",
)
# Folders: the study's tables and figures, and a run's figures (inside the run's folder).
TABLES_DIR = "tables"
FIGURES_DIR = "figures"
