"""Discrete interventions for VQ-VAE: code swaps.

Continuous perturbation of z_e mostly snaps back to the same code, so a VQ-VAE's CES measured
that way is near zero. The discrete counterpart replaces slot i's code c_i by each of the
``n_swap`` most used other codes (most used over the evaluation set, unused codes last) and
decodes; pixel, factor and activation effects are then measured exactly as for latent
perturbation.
"""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.interventions.decoder_effects import (
    EffectSums,
    images_per_call,
    measure_decoder_change,
)
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.models.vq_vae import VQVAE, code_counts


def most_used_codes(codes: torch.Tensor, n: int, codebook_size: int) -> torch.Tensor:
    """The ``n`` most frequent of a codebook's codes, most used first (ties by code index).
    Unused codes rank last, so a collapsed codebook (one code used) still gives ``n`` codes."""
    counts = code_counts(codes, codebook_size)
    return torch.argsort(-counts, stable=True)[: min(n, codebook_size)]


def swapped_codes(codes: torch.Tensor, candidates: torch.Tensor, n_swap: int) -> torch.Tensor:
    """(B, d, n_swap, d): [b, i, m] = codes[b] with slot i set to the m-th candidate that
    differs from codes[b, i]. ``candidates`` must hold at least n_swap + 1 codes."""
    batch, d = codes.shape
    differs = candidates[None, None, :] != codes[:, :, None]  # (B, d, M)
    order = torch.argsort((~differs).to(torch.int8), dim=-1, stable=True)[..., :n_swap]
    replacement = candidates[order]  # (B, d, n_swap)
    out = codes[:, None, None].repeat(1, d, n_swap, 1)
    slot = torch.arange(d, device=codes.device)
    out[:, slot, :, slot] = replacement.permute(1, 0, 2)
    return out


@torch.no_grad()
def code_swap_effects(
    model: VQVAE,
    codes: np.ndarray,
    n_swap: int,
    decode_batch: int,
    oracle: FactorOracle | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(pixel effect norms (N, d, n_swap), mean factor and activation effects)."""
    device = next(model.parameters()).device
    all_codes = torch.as_tensor(codes, dtype=torch.long, device=device)
    embed = model.quantiser.codebook
    candidates = most_used_codes(all_codes, n_swap + 1, embed.num_embeddings)
    n_swap = min(n_swap, len(candidates) - 1)
    n, d = all_codes.shape
    per_call = images_per_call(decode_batch, d * n_swap)
    norms = np.empty((n, d, n_swap), dtype=np.float32)
    sums = EffectSums(d)
    for start in range(0, n, per_call):
        c = all_codes[start : start + per_call]
        changed = embed(swapped_codes(c, candidates, n_swap)).flatten(-2)
        change = measure_decoder_change(model, embed(c).flatten(1), changed, oracle, sums)
        norms[start : start + len(c)] = change.cpu().numpy()
    return norms, sums.means()
