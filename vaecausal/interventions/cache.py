"""Encoding a fixed set of images once, so every manipulation and metric reuses the same codes."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from vaecausal.adapters.protocol import VAEAdapter, reconstruction_nats
from vaecausal.data.loader import BatchGatherer
from vaecausal.interventions.hooks import captured, is_linear


@torch.no_grad()
def encode(
    model: VAEAdapter, images: BatchGatherer, indices: np.ndarray, batch_size: int = 1024
) -> dict[str, np.ndarray]:
    """The model's summary arrays (``latents``, ``metric_codes``, ...) of the indexed images and
    the per-image reconstruction loss (nats) when decoding their intervention latents."""
    parts: dict[str, list[torch.Tensor]] = {}
    for start in range(0, len(indices), batch_size):
        x = images.gather(indices[start : start + batch_size])
        summary = model.summarise(x)
        output = model.run_decoder(model.decoder_input(summary["latents"]))
        summary["reconstruction"] = reconstruction_nats(model, output, x)
        for key, value in summary.items():
            parts.setdefault(key, []).append(value.cpu())
    return {key: torch.cat(values).numpy() for key, values in parts.items()}


@torch.no_grad()
def mean_image_reconstruction(
    images: BatchGatherer, indices: np.ndarray, reference: np.ndarray, batch_size: int = 1024
) -> np.ndarray:
    """Per-image Bernoulli loss (nats) of predicting every indexed image by the mean image of the
    ``reference`` images: the baseline a reconstruction must beat to have learnt anything."""
    total = None
    for start in range(0, len(reference), batch_size):
        part = images.gather(reference[start : start + batch_size]).sum(0)
        total = part if total is None else total + part
    mean = (total / len(reference)).clamp(1e-6, 1 - 1e-6)
    losses = []
    for start in range(0, len(indices), batch_size):
        x = images.gather(indices[start : start + batch_size])
        bce = F.binary_cross_entropy(mean.expand_as(x), x, reduction="none")
        losses.append(bce.flatten(1).sum(1).cpu())
    return torch.cat(losses).numpy()


@torch.no_grad()
def hook_activations(
    model: VAEAdapter, images: torch.Tensor, batch_size: int = 256
) -> dict[str, np.ndarray]:
    """Every hook point's activation of ``images`` (encoding, then decoding the intervention
    latents); linear layers as (B, neurons), conv layers as (B, channels, H, W)."""
    names = [*model.encoder_hooks, *model.decoder_hooks]
    parts: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    for start in range(0, len(images), batch_size):
        with captured(model, names) as outputs:
            latents = model.summarise(images[start : start + batch_size])["latents"]
            model.run_decoder(model.decoder_input(latents))
        for name in names:
            value = outputs[name]
            parts[name].append((value.flatten(1) if is_linear(model, name) else value).cpu())
    return {name: torch.cat(values).numpy() for name, values in parts.items()}
