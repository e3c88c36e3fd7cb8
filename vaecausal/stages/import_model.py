"""Stage ``import_model``: a model trained outside the project takes the place of ``train``.

The factory builds it and the weights are loaded, it is checked against the dataset it was
trained on (the decoder must draw that dataset's images from the encoder's codes), and it is
stored as a run's ``model.pt`` (factory and weights), so every later stage loads it as it loads a
trained one. Its ``losses.csv`` has no rows and its training time is unknown (null).
"""

from __future__ import annotations

import json
from pathlib import Path

from vaecausal.adapters.checks import check_model_on_data
from vaecausal.adapters.factory import build_model
from vaecausal.adapters.saved import save_external
from vaecausal.data.store import IMAGE_SIZE, open_images, read_meta
from vaecausal.stages.logs import Log


def run(
    factory: str,
    weights: Path | None,
    prepared_dir: Path,
    model_path: Path,
    losses_path: Path,
    summary_path: Path,
    log: Log,
) -> None:
    meta = read_meta(prepared_dir)
    image_shape = [meta.channels, IMAGE_SIZE, IMAGE_SIZE]
    model = build_model(factory, weights, image_shape)
    check_model_on_data(model, open_images(prepared_dir)[:2])
    log(
        f"{factory}: {model.n_latents} latents, {len(model.encoder_hooks)} encoder and "
        f"{len(model.decoder_hooks)} decoder hook points; weights {weights or 'as built'}"
    )
    save_external(model_path, model, factory, image_shape, {"weights": str(weights or "")})
    Path(losses_path).write_text("step\n")
    summary = {"seconds": None, "trained": "outside the project", "factory": factory}
    Path(summary_path).write_text(json.dumps(summary, indent=2))
