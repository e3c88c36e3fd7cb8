"""The framework on any VAE from Python: one call runs what the pipeline runs for one trained
model (factor oracle, cached codes, the four manipulations, every metric, the run's figures) and
writes the same files into one folder.

    metrics = vaecausal.analyze(model, images, factors, "out/")

``model`` is a ``VAEAdapter`` (``vaecausal.adapters``: the generic ``ModuleAdapter``,
``PythaeAdapter``, ``PythaeVQAdapter``; this project's networks as they are) or a module with
``encode`` / ``decode`` methods; images are (N, 64, 64, C) uint8 and factors (N, K) integer
indices. Settings are the pipeline's ``default`` study's, with ``overrides`` merged key by key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vaecausal import catalog
from vaecausal.adapters.checks import check_data, check_model_on_data
from vaecausal.adapters.factory import as_adapter, hook_point_listing
from vaecausal.adapters.protocol import DecoderOutput, InputScale, VAEAdapter
from vaecausal.config import deep_merge, load_study
from vaecausal.data.store import (
    IMAGE_SIZE,
    DatasetMeta,
    StorePaths,
    read_meta,
    write_factors_and_meta,
)
from vaecausal.interventions.oracle import OracleSettings
from vaecausal.interventions.plan import check_budget
from vaecausal.models.device import choose_device, place_network
from vaecausal.models.host import prepare_host
from vaecausal.stages import cache_activations, intervene, metrics, oracle, run_figures
from vaecausal.stages.logs import Log

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"


def default_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``default`` study's settings from the project's ``config.yaml``, with ``overrides``."""
    if not CONFIG.exists():
        raise FileNotFoundError(
            f"{CONFIG} not found: analyze() takes its default settings from the project's "
            "config.yaml (install the project from its source tree)"
        )
    settings = load_study(yaml.safe_load(CONFIG.read_text()), "default").settings
    return deep_merge(settings, overrides or {})


def dataset_symmetries(prepared: Path) -> dict[str, Any]:
    """The look-alike values the project's ``config.yaml`` declares for a prepared dataset of
    one of its benchmarks (by the name in its ``meta.json``); none for a user's own data."""
    name = read_meta(prepared).name
    datasets = yaml.safe_load(CONFIG.read_text()).get("datasets", {}) if CONFIG.exists() else {}
    return dict(datasets.get(name, {}).get("symmetries", {}))


def write_dataset(
    root: Path,
    images: np.ndarray,
    factors: np.ndarray,
    factor_names: Sequence[str] | None = None,
    label: str = "user data",
    source: DatasetMeta | None = None,
) -> DatasetMeta:
    """``images`` and ``factors`` as a prepared dataset (the pipeline's format) in ``root``;
    taken from the prepared dataset of meta ``source``, its name, label and preprocessing are
    kept (a benchmark's declared symmetries are found by name and put on its stored grid)."""
    check_data(images, factors)
    names = list(factor_names or [f"factor{k}" for k in range(factors.shape[1])])
    if len(names) != factors.shape[1]:
        raise ValueError(f"{len(names)} factor names for {factors.shape[1]} factors")
    paths = StorePaths(Path(root))
    paths.root.mkdir(parents=True, exist_ok=True)
    np.save(paths.images, images)
    meta = DatasetMeta(
        name=source.name if source else paths.root.name,
        label=source.label if source else label,
        procedural=source.procedural if source else False,
        channels=int(images.shape[3]),
        n_images=len(images),
        factor_names=names,
        factor_sizes=(factors.max(axis=0) + 1).astype(int).tolist(),
        preprocessing=dict(source.preprocessing) if source else {},
    )
    write_factors_and_meta(paths, factors, meta)
    return meta


def analyze(
    model: Any,
    images: np.ndarray,
    factors: np.ndarray,
    out_dir: str | Path,
    factor_names: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    name: str = "model",
    threads: int = 1,
    log: Log = print,
    output: DecoderOutput = "logits",
    max_minutes: float | None = None,
    prepared_from: str | Path | None = None,
    inputs: InputScale = "unit",
) -> dict[str, Any]:
    """Analyse ``model`` on ``images`` / ``factors``; returns ``metrics.json``'s content.
    ``output`` declares what a plain module's decoder returns (logits, probabilities, tanh
    images in [-1, 1], or clamped: images on the [-1, 1] scale that nothing bounds) and
    ``inputs`` what its encoder takes (images in [0, 1], or signed: scaled to [-1, 1]); an
    adapter declares its own. Before any manipulation the plan of the
    work is logged (hook points and units, latents, image passes, estimated time); with
    ``max_minutes`` a plan estimated over it is refused (``OverBudget``, a ``ValueError``
    naming the settings that shrink it) before the oracle is trained. Images and factors read
    from a prepared dataset folder (``prepared_from``) keep its name and preprocessing, so a
    benchmark's look-alike values (dSprites' orientations) count for the oracle.

    Writes to ``out_dir``: ``data/`` (the prepared dataset), ``oracle.pt``, ``oracle.json``,
    ``latents.npz``, ``activations.npz``, ``interventions.parquet`` (the tidy table),
    ``effects.npz``, ``metrics.json`` and ``figures/``. Everything is checked before any work.
    """
    out = Path(out_dir)
    check_data(images, factors)
    adapter = as_adapter(model, (int(images.shape[3]), IMAGE_SIZE, IMAGE_SIZE), output, inputs)
    prepare_host(threads)
    adapter = place_network(adapter, choose_device()).eval()
    check_model_on_data(adapter, images)
    log("\n".join(hook_point_listing(adapter, (int(images.shape[3]), IMAGE_SIZE, IMAGE_SIZE))))
    settings = default_settings(overrides)
    prepared = out / "data"
    source = read_meta(Path(prepared_from)) if prepared_from is not None else None
    meta = write_dataset(prepared, images, factors, factor_names, source=source)
    unknown = sorted(set(categorical) - set(meta.factor_names))
    if unknown:
        raise ValueError(f"categorical factor(s) {unknown} are not among {meta.factor_names}")
    return analyze_prepared(
        adapter, prepared, out, list(categorical), settings, name, threads, log, max_minutes
    )


def analyze_prepared(
    model: VAEAdapter,
    prepared: Path,
    out: Path,
    categorical: list[str],
    settings: dict[str, Any],
    name: str,
    threads: int,
    log: Log,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """``analyze`` on a prepared dataset folder, the model checked and placed: the codes cached,
    the plan logged and held to ``max_minutes``, then the oracle, the manipulations, the
    metrics and the figures."""
    out.mkdir(parents=True, exist_ok=True)
    evaluation, scoring = settings["evaluation"], settings["metrics"]["dci"]
    cache_activations.cache(
        model,
        prepared,
        out / catalog.LATENTS,
        out / catalog.ACTIVATIONS,
        evaluation["n_eval"],
        evaluation["split_seed"],
        evaluation["n_activations"],
        scoring["n_train"] + scoring["n_test"],
        scoring["seed"],
        log,
    )
    planned = intervene.scope(
        model,
        out / catalog.LATENTS,
        prepared,
        settings["interventions"],
        evaluation["split_seed"],
        settings["metrics"]["active_kl_threshold"],
        categorical,
        OracleSettings(**settings["oracle"]),
    )
    log("\n".join(planned.plan.lines()))
    check_budget(planned.plan, max_minutes)
    oracle.run(
        prepared,
        out / catalog.ORACLE_WEIGHTS,
        out / catalog.ORACLE_REPORT,
        settings["oracle"],
        threads,
        log,
        dataset_symmetries(prepared),
    )
    identity = {"architecture": name, "seed": 0, "dataset": prepared.name}
    intervene.intervene(
        model,
        out / catalog.LATENTS,
        out / catalog.ORACLE_WEIGHTS,
        prepared,
        out / catalog.INTERVENTIONS,
        out / catalog.EFFECTS,
        settings["interventions"],
        evaluation["split_seed"],
        settings["metrics"]["active_kl_threshold"],
        categorical,
        identity,
        log,
        planned,
    )
    summary = out / catalog.TRAIN_SUMMARY
    summary.write_text(json.dumps({"seconds": None, "trained": "outside the project"}))
    metrics.run(
        out / catalog.LATENTS,
        out / catalog.EFFECTS,
        out / catalog.ORACLE_REPORT,
        summary,
        prepared,
        out / catalog.METRICS,
        identity,
        settings["metrics"],
        threads,
        log,
    )
    run_figures.draw(
        model,
        None,
        out / catalog.LATENTS,
        out / catalog.EFFECTS,
        out / catalog.METRICS,
        prepared,
        out / catalog.FIGURES_DIR,
        name,
        log,
    )
    return json.loads((out / catalog.METRICS).read_text())
