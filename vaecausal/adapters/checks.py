"""Refusing bad input before any work: every message names the problem, so a user learns in a
second what would otherwise fail, or silently mislead, minutes into an analysis."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.adapters.protocol import VAEAdapter, model_device
from vaecausal.data.store import IMAGE_SIZE


def check_data(images: np.ndarray, factors: np.ndarray) -> None:
    """Images (N, 64, 64, C) uint8 and integer factors (N, K) of the same length."""
    if images.ndim != 4 or images.shape[1:3] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"images must be (N, {IMAGE_SIZE}, {IMAGE_SIZE}, channels); got {images.shape}"
        )
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 in [0, 255]; got {images.dtype}")
    if factors.ndim != 2 or not np.issubdtype(factors.dtype, np.integer):
        raise ValueError(
            f"factors must be integer factor indices (N, factors); got {factors.dtype} "
            f"{factors.shape}"
        )
    if len(images) != len(factors):
        raise ValueError(
            f"images and factors have different lengths: {len(images)} images, "
            f"{len(factors)} rows of factors"
        )
    if factors.min() < 0:
        raise ValueError("factor indices must be non-negative")


@torch.no_grad()
def check_model_on_data(model: VAEAdapter, images: np.ndarray) -> None:
    """Encode two of the images and decode their codes: the decoder must read the encoder's
    codes and give back images of the dataset's shape."""
    x = torch.as_tensor(images[:2], device=model_device(model)).permute(0, 3, 1, 2) / 255.0
    latents = model.encode_latents(x.contiguous())
    if latents.shape[1] != model.n_latents:
        raise ValueError(
            f"the encoder gives codes of width {latents.shape[1]}; the model declares "
            f"{model.n_latents} latents"
        )
    try:
        decoded = model.run_decoder(model.decoder_input(latents))
    except RuntimeError as error:
        raise ValueError(
            f"the decoder cannot read codes of width {latents.shape[1]}: {error}"
        ) from error
    expected = tuple(x.shape[1:])
    if tuple(decoded.shape[1:]) != expected:
        raise ValueError(
            f"the decoder outputs {tuple(decoded.shape[1:])} per code, not an image of the "
            f"dataset's shape {expected} (channels, height, width)"
        )
