"""Stage ``train``: one (dataset, architecture, seed) run, resumable from its checkpoint."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from vaecausal.adapters.saved import save_model
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_meta
from vaecausal.models.device import choose_device
from vaecausal.models.host import prepare_host
from vaecausal.models.registry import build_model, build_objective
from vaecausal.outputs import replacing
from vaecausal.stages.logs import Log
from vaecausal.training import TrainingSettings, fingerprint, train


def run(
    prepared_dir: Path,
    model_path: Path,
    losses_path: Path,
    summary_path: Path,
    architecture: dict[str, Any],
    model_settings: dict[str, Any],
    training: dict[str, Any],
    seed: int,
    threads: int,
    log: Log,
) -> None:
    prepare_host(threads)
    device = choose_device()
    meta = read_meta(prepared_dir)
    images = BatchGatherer(open_images(prepared_dir), device)
    settings = TrainingSettings(**{**training, "adam_betas": tuple(training["adam_betas"])})
    # Seeded before the networks are built: their initial weights (and FactorVAE's discriminator)
    # come from the global generator, which torch otherwise seeds at random in every process.
    torch.manual_seed(seed)
    objective = build_objective(
        architecture["objective"],
        architecture.get("hyperparameters", {}),
        meta.n_images,
        model_settings["n_latents"],
    )
    model = build_model(
        architecture["objective"],
        architecture.get("hyperparameters", {}),
        meta.channels,
        model_settings["n_latents"],
        model_settings["encoder_kernels"],
    )
    log(
        f"training {architecture['objective']} on {meta.label} ({meta.n_images} images), "
        f"seed {seed}, {settings.steps} steps on {device}, {threads} thread(s)"
    )
    run_fingerprint = fingerprint(
        {
            "architecture": architecture,
            "model": model_settings,
            "training": training,
            "seed": seed,
            "dataset": asdict(meta),
        }
    )
    result = train(
        model,
        objective,
        images,
        settings,
        seed,
        checkpoint_path=Path(model_path).with_name("checkpoint.pt"),
        loss_csv_path=Path(losses_path),
        run_fingerprint=run_fingerprint,
        log=log,
    )
    save_model(
        Path(model_path), model, {"architecture": architecture, "seed": seed, "dataset": meta.name}
    )
    Path(model_path).with_name("checkpoint.pt").unlink(missing_ok=True)
    with replacing(summary_path) as partial:
        partial.write_text(json.dumps(asdict(result), indent=2))
    log(f"done in {result.seconds:.1f}s ({result.images_per_second:.0f} img/s)")
