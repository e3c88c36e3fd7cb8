"""Stage ``cache_activations``: encode the evaluation set and the scoring sample of one model once.

The evaluation set feeds the interventions; the scoring sample (train + test codes) feeds the
disentanglement metrics. Both index sets are drawn with fixed seeds from the dataset alone, so
every model trained on a dataset is evaluated on the same images. Arrays are stored as
``<set>_<name>`` (e.g. ``eval_latents``, ``scoring_metric_codes``).

Every hook point's activations for the first ``n_activations`` evaluation images go to a second
file, as float16 with their layout recorded (``layout``: per hook point its shape, whether units
are channels or neurons), for analyses beyond the pipeline's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from vaecausal.adapters.protocol import VAEAdapter, model_device
from vaecausal.adapters.saved import load_model
from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images, read_meta, sample_indices
from vaecausal.interventions.cache import encode, hook_activations, mean_image_reconstruction
from vaecausal.models.device import choose_device
from vaecausal.models.host import prepare_host
from vaecausal.stages.logs import Log


def run(model_path: Path, threads: int, **stage: Any) -> None:
    """The stage as a rule runs it: the model stored at ``model_path``, then ``cache`` with the
    same keyword arguments (all but ``model``)."""
    prepare_host(threads)
    cache(load_model(model_path, choose_device()), **stage)


def cache(
    model: VAEAdapter,
    prepared_dir: Path,
    out_path: Path,
    activations_path: Path,
    n_eval: int,
    split_seed: int,
    n_activations: int,
    n_metric: int,
    metric_seed: int,
    log: Log,
) -> None:
    """The stage's work on a model already loaded."""
    meta = read_meta(prepared_dir)
    images = BatchGatherer(open_images(prepared_dir), model_device(model), resident=False)
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
    shown = sets["eval"][:n_activations]
    log(f"caching every hook point's activations of {len(shown)} evaluation images")
    activations = hook_activations(model, images.gather(shown))
    layout = {
        name: {"shape": list(a.shape[1:]), "units": "neurons" if a.ndim == 2 else "channels"}
        for name, a in activations.items()
    }
    np.savez(
        activations_path,
        indices=shown,
        layout=np.asarray(json.dumps(layout)),
        **{name: a.astype(np.float16) for name, a in activations.items()},
    )
    log(
        f"eval reconstruction loss {arrays['eval_reconstruction'].mean():.2f} nats/image "
        f"(mean image: {arrays['eval_mean_image_reconstruction'].mean():.2f})"
    )
