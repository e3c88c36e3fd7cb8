"""Stage ``cache_activations``: encode the evaluation set and the scoring sample of one model once.

The evaluation set feeds the interventions; the scoring sample (train + test codes) feeds the
disentanglement metrics. Both index sets are drawn with fixed seeds from the dataset alone, so
every model trained on a dataset is evaluated on the same images. Arrays are stored as
``<set>_<name>`` (e.g. ``eval_latents``, ``scoring_metric_codes``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_meta, sample_indices
from vaecausal.interventions.cache import encode, mean_image_reconstruction
from vaecausal.models.device import choose_device
from vaecausal.models.saved import load_model
from vaecausal.stages.logs import Log


def run(
    model_path: Path,
    prepared_dir: Path,
    out_path: Path,
    n_eval: int,
    split_seed: int,
    n_metric: int,
    metric_seed: int,
    threads: int,
    log: Log,
) -> None:
    torch.set_num_threads(threads)
    device = choose_device()
    meta = read_meta(prepared_dir)
    model = load_model(model_path, device)
    images = BatchGatherer(open_images(prepared_dir), device)
    sets = {
        "eval": sample_indices(meta.n_images, n_eval, split_seed),
        "scoring": sample_indices(meta.n_images, n_metric, metric_seed),
    }
    arrays: dict[str, np.ndarray] = {}
    for name, indices in sets.items():
        log(f"encoding {len(indices)} images of the {name} set")
        arrays[f"{name}_indices"] = indices
        for key, value in encode(model, images, indices).items():
            arrays[f"{name}_{key}"] = value
    arrays["eval_mean_image_reconstruction"] = mean_image_reconstruction(
        images, sets["eval"], sets["scoring"]
    )
    codebook_size = getattr(model, "codebook_size", None)
    if codebook_size is not None:  # discrete latents: the metrics report codebook usage
        arrays["codebook_size"] = np.asarray(codebook_size)
    np.savez(out_path, **arrays)
    log(
        f"eval reconstruction loss {arrays['eval_reconstruction'].mean():.2f} nats/image "
        f"(mean image: {arrays['eval_mean_image_reconstruction'].mean():.2f})"
    )
