"""A VQ-VAE whose 1-dim codes lie on a line 10 apart, and z_e near its middle codes: a move of
a slot snaps back to the same code exactly when it stays within 5 of that code."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.models.device import place_network
from vaecausal.models.vq_vae import VQVAE

SPACING = 10.0


def line_vq(n_slots: int = 3, codebook_size: int = 16) -> VQVAE:
    """Codes at 0, 10, 20, ... (random decoder, seeded)."""
    torch.manual_seed(0)
    model = place_network(VQVAE(1, n_slots, 1, codebook_size), torch.device("cpu")).eval()
    with torch.no_grad():
        model.quantiser.codebook.weight.copy_(SPACING * torch.arange(codebook_size)[:, None])
    return model


def near_middle_codes(n: int, n_slots: int = 3) -> np.ndarray:
    """z_e (n, n_slots, 1): codes 5..10 of the line, each within 0.5 of its code, so the
    per-slot std is about 17 (1.7 code spacings)."""
    rng = np.random.default_rng(0)
    codes = rng.integers(5, 11, size=(n, n_slots, 1))
    return (SPACING * codes + rng.uniform(-0.5, 0.5, size=codes.shape)).astype(np.float32)
