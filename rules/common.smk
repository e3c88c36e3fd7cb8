# Study resolution, wildcard constraints and path helpers. No science here.
import re
from dataclasses import asdict
from pathlib import Path

from vaecausal import catalog
from vaecausal.config import ConfigError, load_study

try:
    STUDY = load_study(config)
except ConfigError as error:
    raise WorkflowError(str(error)) from None

SETTINGS = STUDY.settings
STUDY_DIR = STUDY.study_dir
DOWNLOAD_DIR = STUDY.download_dir
DATA = f"{STUDY_DIR}/data/{{dataset}}"
ORACLE = f"{STUDY_DIR}/oracles/{{dataset}}"
RUN = f"{STUDY_DIR}/runs/{{dataset}}/{{arch}}/seed{{seed}}"
RUN_ID = "{dataset}/{arch}/seed{seed}"


def _alternatives(names):
    """A wildcard pattern of exactly ``names``; none matches nothing (an empty pattern would
    match any name: a study of external models only would have ``train`` claim them)."""
    return "|".join(re.escape(n) for n in names) or r"(?!)"


wildcard_constraints:
    dataset=_alternatives(STUDY.datasets),
    arch=_alternatives([*STUDY.architectures, *STUDY.external]),
    seed=r"\d+",


def log_path(rule, name):
    return f"{STUDY_DIR}/logs/{rule}/{name}.log"


def benchmark_path(rule, name):
    return f"{STUDY_DIR}/benchmarks/{rule}/{name}.tsv"


def resource(rule, key, default=None):
    """A rule's scheduler request from the config's `resources` section."""
    return SETTINGS["resources"].get(rule, {}).get(key, default)


def dataset_entry(dataset):
    """What `prepare` reads of a dataset; analysis-only keys stay out, so that changing them
    does not re-prepare the data and retrain every model."""
    entry = asdict(STUDY.datasets[dataset])
    # where a file comes from and its checksums are the download's business: a moved URL must not
    # re-prepare the data
    del entry["categorical"], entry["files"]
    return entry


def architecture_entry(arch):
    """What `train` reads of an architecture: its family and the architecture whose strength it
    varies are for the analysis, and its own latent size reaches the model through
    STUDY.model_settings, so none is a parameter of the run."""
    entry = asdict(STUDY.architectures[arch])
    del entry["family"], entry["n_latents"], entry["strength_of"]
    return entry


def downloaded_files(wildcards):
    spec = STUDY.datasets[wildcards.dataset]
    return [f"{DOWNLOAD_DIR}/{spec.name}/{f.name}" for f in spec.files]


def file_entry(wildcards):
    """The config entry of the file `download` fetches (name, URLs, size, checksum)."""
    for spec in STUDY.datasets[wildcards.dataset].files:
        if spec.name == wildcards.filename:
            return asdict(spec)
    raise WorkflowError(f"{wildcards.filename} is not a file of dataset {wildcards.dataset}")


def prepared(kind):
    """Paths of a prepared dataset (`kind` is images, factors or meta)."""
    return {
        "images": f"{DATA}/images.npy",
        "factors": f"{DATA}/factors.npy",
        "meta": f"{DATA}/meta.json",
    }[kind]


def plotting_code(stage):
    """The plotting package and the stage module: figure rules rerun when either changes."""
    package = Path(workflow.basedir, "vaecausal")
    return sorted(str(p) for p in (package / "plots").glob("*.py")) + [
        str(package / "stages" / f"{stage}.py")
    ]


def reported(paths, category, subcategory=None, labels=None):
    """PNG figures and Markdown/CSV tables as report items captioned from report/<name>.rst;
    anything else (PDF copies, LaTeX) as a plain output."""
    items = []
    for path in paths:
        stem, suffix = Path(path).stem, Path(path).suffix
        caption = Path(workflow.basedir, "report", f"{stem}.rst")
        if suffix in (".png", ".md") and caption.exists():
            extra = {"labels": {**labels, "figure": stem}} if labels else {}
            item = report(
                path, caption=str(caption), category=category, subcategory=subcategory, **extra
            )
            items.append(item)
        else:
            items.append(path)
    return items


def identity(wildcards):
    return {
        "dataset": wildcards.dataset,
        "architecture": wildcards.arch,
        "seed": int(wildcards.seed),
    }


def run_family(wildcards):
    """The family the run records: a study architecture's configured family, an external
    model's own name."""
    spec = STUDY.architectures.get(wildcards.arch)
    return spec.family if spec else wildcards.arch


# A model trained outside the project is one run, under seed 0, on the dataset it was trained on.
EXTERNAL_SEED = 0
EXPECTED_RUNS = [
    {"dataset": dataset, "architecture": arch, "seed": seed} for dataset, arch, seed in STUDY.runs
] + [
    {"dataset": spec.dataset, "architecture": name, "seed": EXTERNAL_SEED}
    for name, spec in STUDY.external.items()
]
ALL_RUNS = [
    RUN.format(dataset=r["dataset"], arch=r["architecture"], seed=r["seed"]) for r in EXPECTED_RUNS
]


def external_weights(wildcards):
    """An external model's weights file, as the input `weights` (none when it has no file)."""
    weights = STUDY.external[wildcards.arch].weights
    return {"weights": weights} if weights else {}


# Output names come from vaecausal/catalog.py, which the stages that write them read too.
TABLES_DIR = f"{STUDY_DIR}/{catalog.TABLES_DIR}"
TABLES = [f"{TABLES_DIR}/{name}" for name in catalog.TABLE_FILES]
FIGURES = [
    f"{STUDY_DIR}/{catalog.FIGURES_DIR}/{name}.{ext}"
    for name in catalog.PAPER_FIGURES
    for ext in catalog.FIGURE_FORMATS
]
RUN_FIGURES = [
    f"{run}/{catalog.FIGURES_DIR}/{name}.png" for run in ALL_RUNS for name in catalog.RUN_FIGURES
]


def finished_metrics(wildcards):
    """Every run's metrics.json; in partial mode only those already written (no jobs planned)."""
    wanted = [f"{run}/{catalog.METRICS}" for run in ALL_RUNS]
    return [p for p in wanted if Path(p).exists()] if STUDY.partial else wanted
