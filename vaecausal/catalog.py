"""The project's names in one place: the architectures it trains, the standard metrics it scores
them with, the tables and figures it writes and the four findings that relate them. Plain data, no
third-party import, so that the Snakefile, the configuration check and every layer of the package
can read it at no cost.

Each reader builds from these lists: the workflow its output paths (``rules/common.smk``), the
configuration its objective enum (``config.load_schema``), ``models.registry`` one builder per
architecture (a test holds the two equal), ``plots.style`` its labels and order,
``analysis.aggregate`` and the metric heatmap the standard metrics' columns, the stages and the
API the files they write. What to add where: docs/extending.md.
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
class Column:
    """A value of ``metrics.json`` the tables show: its key there, its label in the summary
    tables and, where it differs, its panel title in the metric heatmap."""

    key: str
    label: str
    title: str = ""

    @property
    def panel(self) -> str:
        return self.title or self.label


@dataclass(frozen=True)
class StandardMetric:
    """A standard disentanglement metric: ``name`` as in ``metrics.suite.METRICS``, the
    ``columns`` of ``metrics.json`` it reaches runs.csv, the summary tables and the metric heatmap
    with, and its ``diagnostics``: the other values it writes to ``metrics.json`` (kept per run,
    never tabulated). Every value the metric writes is one or the other: the metrics stage refuses
    an undeclared one rather than let it miss the tables unnoticed."""

    name: str
    columns: tuple[Column, ...]
    diagnostics: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        """Every ``metrics.json`` key the metric writes."""
        return frozenset((*(c.key for c in self.columns), *self.diagnostics))


# In the order the tables and the heatmap show them; keys as in metrics.json.
STANDARD_METRICS = (
    StandardMetric(
        "dci",
        (
            Column("dci_disentanglement", "DCI-D", "DCI disentanglement"),
            Column("dci_completeness", "DCI-C", "DCI completeness"),
            Column("dci_informativeness", "DCI-I", "DCI informativeness"),
        ),
        ("dci_informativeness_train",),
    ),
    StandardMetric("mig", (Column("mig", "MIG"),)),
    StandardMetric("sap", (Column("sap", "SAP"),)),
    StandardMetric(
        "factor_vae",
        (Column("factor_vae_score", "FactorVAE", "FactorVAE score"),),
        (
            "factor_vae_train_accuracy",
            "factor_vae_active_codes",
            "factor_vae_votes_with_replacement",
        ),
    ),
    StandardMetric(
        "beta_vae",
        (Column("beta_vae_score", "BetaVAE", "BetaVAE score"),),
        ("beta_vae_train_accuracy", "beta_vae_points_with_replacement"),
    ),
    StandardMetric(
        "modularity_explicitness",
        (
            Column("modularity_ridgeway", "Modularity (R&M)", "Modularity (Ridgeway & Mozer)"),
            Column("explicitness", "Explicitness"),
        ),
        ("explicitness_train",),
    ),
)
STANDARD_COLUMNS = tuple(column for metric in STANDARD_METRICS for column in metric.columns)


def standard_metric(name: str) -> StandardMetric:
    """The declaration of a standard metric; a ValueError that says where to declare one that
    has none."""
    for metric in STANDARD_METRICS:
        if metric.name == name:
            return metric
    raise ValueError(
        f"standard metric '{name}' has no entry in vaecausal/catalog.py STANDARD_METRICS: declare "
        "the metrics.json columns it reaches the tables with (and its diagnostics), or its values "
        "never reach runs.csv or the summary (docs/extending.md#a-standard-metric)"
    )


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
# A run's files (in results/<study>/runs/<dataset>/<architecture>/seed<n>/ or the folder
# vaecausal.analyze writes to), as the rules and the API name them.
MODEL = "model.pt"
LOSSES = "losses.csv"
TRAIN_SUMMARY = "train_summary.json"
LATENTS = "latents.npz"
ACTIVATIONS = "activations.npz"
INTERVENTIONS = "interventions.parquet"
EFFECTS = "effects.npz"
METRICS = "metrics.json"
# A dataset's factor oracle (in results/<study>/oracles/<dataset>/, or beside a run's files).
ORACLE_WEIGHTS = "oracle.pt"
ORACLE_REPORT = "oracle.json"
# Folders: the study's tables and figures, and a run's figures (inside the run's folder).
TABLES_DIR = "tables"
FIGURES_DIR = "figures"
