"""Encoding a fixed set of images once, so every manipulation and metric reuses the same codes."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from vaecausal.data.loader import BatchGatherer
from vaecausal.models.network import LatentModel


@torch.no_grad()
def encode(
    model: LatentModel, images: BatchGatherer, indices: np.ndarray, batch_size: int = 1024
) -> dict[str, np.ndarray]:
    """The model's summary arrays (``latents``, ``metric_codes``, ...) of the indexed images and
    the per-image reconstruction loss (nats) when decoding their intervention latents."""
    parts: dict[str, list[torch.Tensor]] = {}
    for start in range(0, len(indices), batch_size):
        x = images.gather(indices[start : start + batch_size])
        summary = model.summarise(x)
        logits = model.decode_latents(summary["latents"])
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        summary["reconstruction"] = bce.flatten(1).sum(1)
        for key, value in summary.items():
            parts.setdefault(key, []).append(value.cpu())
    return {key: torch.cat(values).numpy() for key, values in parts.items()}
