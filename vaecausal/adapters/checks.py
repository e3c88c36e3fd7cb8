"""Refusing bad input before any work: every message names the problem, so a user learns in a
second what would otherwise fail, or silently mislead, minutes into an analysis."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.adapters.protocol import OUTPUT_RANGES, VAEAdapter, model_device
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
def probe(model: VAEAdapter, images: torch.Tensor) -> torch.Tensor:
    """The latents of ``images`` (B, C, H, W), after checking that the encoder reads them, that
    the latents are (images, latents) or (images, slots, slot dims), and that the decoder reads
    them and draws images of the same shape."""
    shape = tuple(images.shape[1:])
    try:
        latents = model.encode_latents(images)
    except RuntimeError as error:
        raise ValueError(f"the encoder cannot read images of shape {shape}: {error}") from error
    if latents.dim() not in (2, 3) or latents.shape[0] != len(images):
        raise ValueError(
            f"the encoder gives latents of shape {tuple(latents.shape)} for {len(images)} "
            "images; expected (images, latents) or (images, slots, slot dims)"
        )
    try:
        decoded = model.run_decoder(model.decoder_input(latents))
    except RuntimeError as error:
        raise ValueError(
            f"the decoder cannot read the encoder's codes of width {latents.shape[1]}: {error}"
        ) from error
    if tuple(decoded.shape[1:]) != shape:
        raise ValueError(
            f"the decoder outputs {tuple(decoded.shape[1:])} per code, not an image of the "
            f"dataset's shape {shape} (channels, height, width)"
        )
    check_output_range(model.output, decoded)
    return latents


# Declared outputs whose range is checked on the output's bulk, not its extremes: (share cut
# from each tail, slack around the range). A "clamped" image on the [-1, 1] scale may overshoot
# it (a random-init AutoencoderKL reaches about +-2), but its 1st to 99th percentiles lie within
# half a unit of it, while a trained logits decoder's background sits far below.
BULK = {"clamped": (0.01, 0.5)}
EXACT_TOLERANCE = 1e-4


def _fits(name: str, decoded: torch.Tensor) -> tuple[bool, float, float]:
    """Whether ``decoded`` fits declared output ``name``, with the low and high it was judged
    on (extremes, or percentiles for ``BULK`` outputs)."""
    low, high = OUTPUT_RANGES[name]
    tail, slack = BULK.get(name, (0.0, EXACT_TOLERANCE))
    values = decoded.detach().flatten().float()
    if tail:  # percentiles of at most 100,000 of the values (torch.quantile's input is bounded)
        seen = torch.quantile(
            values[:: max(1, len(values) // 100_000)].cpu(), torch.tensor([tail, 1 - tail])
        )
        seen_low, seen_high = float(seen[0]), float(seen[1])
    else:
        seen_low, seen_high = float(values.min()), float(values.max())
    return seen_low >= low - slack and seen_high <= high + slack, seen_low, seen_high


def check_output_range(declared: str, decoded: torch.Tensor) -> None:
    """Refuse a decoder whose output on the probe lies outside what its declared ``output``
    allows (a Tanh decoder declared as probabilities would be read as images it never drew),
    suggesting the narrowest declaration that fits."""
    fits, seen_low, seen_high = _fits(declared, decoded)
    if fits:
        return
    low, high = OUTPUT_RANGES[declared]
    narrowest = min(
        (name for name in OUTPUT_RANGES if _fits(name, decoded)[0]),
        key=lambda name: (OUTPUT_RANGES[name][1] - OUTPUT_RANGES[name][0], name in BULK),
    )
    judged = "its 1st to 99th percentiles range" if declared in BULK else "its output ranges"
    raise ValueError(
        f"the decoder is declared to output {declared} in [{low:g}, {high:g}], but on a probe "
        f"batch {judged} over [{seen_low:.3g}, {seen_high:.3g}]: declare the output it has (the "
        f"narrowest that fits is {narrowest!r})"
    )


def check_model_on_data(model: VAEAdapter, images: np.ndarray) -> None:
    """``probe`` on two of the dataset's images (N, H, W, C) uint8."""
    x = torch.as_tensor(images[:2], device=model_device(model)).permute(0, 3, 1, 2) / 255.0
    probe(model, x.contiguous())
