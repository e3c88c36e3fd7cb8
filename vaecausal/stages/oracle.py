"""Stage ``oracle``: train one dataset's factor oracle and report its held-out accuracy."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_factors, read_meta
from vaecausal.interventions.oracle import (
    OracleSettings,
    oracle_accuracy,
    save_oracle,
    split_indices,
    train_oracle,
)
from vaecausal.models.device import choose_device
from vaecausal.models.host import prepare_host
from vaecausal.stages.logs import Log


def run(
    prepared_dir: Path,
    oracle_path: Path,
    report_path: Path,
    settings: dict[str, Any],
    threads: int,
    log: Log,
) -> None:
    prepare_host(threads)
    device = choose_device()
    meta = read_meta(prepared_dir)
    factors = read_factors(prepared_dir)
    images = BatchGatherer(open_images(prepared_dir), device)
    oracle_settings = OracleSettings(**settings)
    train, held_out = split_indices(meta.n_images, oracle_settings.holdout, oracle_settings.seed)
    log(f"oracle for {meta.label}: {len(train)} training / {len(held_out)} held-out images")
    started = time.perf_counter()
    every = max(1, oracle_settings.steps // 10)

    def progress(step: int, loss: torch.Tensor) -> None:
        if step % every == 0 or step == oracle_settings.steps:  # reads the loss back only here
            rate = step * oracle_settings.batch_size / (time.perf_counter() - started)
            log(f"step {step}/{oracle_settings.steps} loss {float(loss):.4f} ({rate:.0f} img/s)")

    oracle = train_oracle(images, factors, meta.factor_sizes, train, oracle_settings, progress)
    accuracy = oracle_accuracy(oracle, images, factors, held_out)
    report = {
        "dataset": meta.name,
        "factor_names": meta.factor_names,
        "held_out_accuracy": dict(zip(meta.factor_names, accuracy.tolist(), strict=True)),
        "chance": {n: 1.0 / s for n, s in zip(meta.factor_names, meta.factor_sizes, strict=True)},
        "n_train": int(len(train)),
        "n_held_out": int(len(held_out)),
        "settings": settings,
        "seconds": time.perf_counter() - started,
    }
    save_oracle(oracle_path, oracle, {"held_out_accuracy": accuracy.tolist()})
    Path(report_path).write_text(json.dumps(report, indent=2))
    for name, value in report["held_out_accuracy"].items():
        log(f"held-out accuracy {name}: {value:.3f} (chance {report['chance'][name]:.3f})")
