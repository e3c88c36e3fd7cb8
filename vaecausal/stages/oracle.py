"""Stage ``oracle``: train one dataset's factor oracle until it reads every factor (or its step
budget runs out) and report its held-out accuracy, chance, and the factors it can read."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import DatasetMeta, open_images, read_factors, read_meta
from vaecausal.interventions.oracle import (
    FactorOracle,
    OracleSettings,
    Symmetry,
    chance_accuracy,
    oracle_accuracy,
    readable,
    save_oracle,
    split_indices,
    surely_readable,
    train_oracle,
)
from vaecausal.models.device import choose_device
from vaecausal.models.host import prepare_host
from vaecausal.stages.logs import Log


def symmetries_of(meta: DatasetMeta, declared: dict[str, Any]) -> list[Symmetry]:
    """The dataset's declared symmetries (``datasets.<name>.symmetries``) on its stored grid."""
    subsample = meta.preprocessing.get("subsample", {})
    return [
        Symmetry.from_config(meta.factor_names, name, entry, subsample)
        for name, entry in declared.items()
    ]


def run(
    prepared_dir: Path,
    oracle_path: Path,
    report_path: Path,
    settings: dict[str, Any],
    threads: int,
    log: Log,
    symmetries: dict[str, Any] | None = None,
) -> None:
    """Train the oracle of the dataset prepared in ``prepared_dir`` (``settings``: the config's
    ``oracle`` section; ``symmetries``: the dataset's look-alike values) and write it and its
    report."""
    prepare_host(threads)
    device = choose_device()
    meta = read_meta(prepared_dir)
    factors = read_factors(prepared_dir)
    images = BatchGatherer(open_images(prepared_dir), device)
    oracle_settings = OracleSettings(**settings)
    alike = symmetries_of(meta, symmetries or {})
    train, check, held_out = split_indices(
        meta.n_images, oracle_settings.holdout, oracle_settings.seed
    )
    log(
        f"oracle for {meta.label}: {len(train)} training / {len(check)} check / "
        f"{len(held_out)} held-out images; up to {oracle_settings.steps} steps, until every "
        f"factor surely reads at {oracle_settings.accuracy_floor} on the check images"
    )
    started = time.perf_counter()
    every = max(1, oracle_settings.steps // 10)

    def progress(step: int, loss: torch.Tensor) -> None:
        if step % every == 0 or step == oracle_settings.steps:  # reads the loss back only here
            rate = step * oracle_settings.batch_size / (time.perf_counter() - started)
            log(f"step {step}/{oracle_settings.steps} loss {float(loss):.4f} ({rate:.0f} img/s)")

    def on_check(oracle: FactorOracle) -> np.ndarray:
        accuracy = oracle_accuracy(oracle, images, factors, check, alike)
        log(
            "check accuracy "
            + ", ".join(f"{n} {a:.3f}" for n, a in zip(names, accuracy, strict=True))
        )
        return accuracy

    names, floor = meta.factor_names, oracle_settings.accuracy_floor
    check_chance = chance_accuracy(factors[check], meta.factor_sizes, alike)

    def done(accuracy: np.ndarray) -> bool:
        return bool(surely_readable(accuracy, check_chance, len(check), floor).all())

    oracle, checks = train_oracle(
        images, factors, meta.factor_sizes, train, oracle_settings, progress, on_check, done
    )
    accuracy = oracle_accuracy(oracle, images, factors, held_out, alike)
    chance = chance_accuracy(factors[held_out], meta.factor_sizes, alike)
    reads = readable(accuracy, chance, len(held_out), floor)
    report = {
        "dataset": meta.name,
        "factor_names": names,
        "held_out_accuracy": dict(zip(names, accuracy.tolist(), strict=True)),
        # the best constant guess: the majority class (or look-alike value) of the images
        "chance": dict(zip(names, chance.tolist(), strict=True)),
        "accuracy_floor": oracle_settings.accuracy_floor,
        "readable": [n for n, r in zip(names, reads, strict=True) if r],
        "below_floor": [n for n, r in zip(names, reads, strict=True) if not r],
        "scored_modulo": {
            names[s.factor]: f"look-alike values of {names[s.given]}'s classes (symmetries)"
            for s in alike
        },
        "steps_trained": checks[-1].step if checks else oracle_settings.steps,
        "checks": [{"step": c.step, "accuracy": c.accuracy.tolist()} for c in checks],
        "n_train": int(len(train)),
        "n_check": int(len(check)),
        "n_held_out": int(len(held_out)),
        "settings": settings,
        "symmetries": symmetries or {},
        "seconds": time.perf_counter() - started,
    }
    save_oracle(oracle_path, oracle, {"held_out_accuracy": accuracy.tolist()})
    Path(report_path).write_text(json.dumps(report, indent=2))
    for name, value in report["held_out_accuracy"].items():
        below = "" if name in report["readable"] else " BELOW FLOOR: left out of oracle metrics"
        log(f"held-out accuracy {name}: {value:.3f} (chance {report['chance'][name]:.3f}){below}")
