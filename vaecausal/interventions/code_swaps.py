"""Discrete interventions for VQ-VAE: code swaps.

A small continuous move of z_e mostly snaps back to the same code, so a VQ-VAE's CES measured
that way is expected near zero. The discrete counterpart replaces slot i's code c_i by each of
the ``n_swap`` first other codes of slot i's candidates and decodes; pixel, factor and activation
effects are then measured exactly as for latent perturbation.

A slot's candidates are the codes that slot takes over the evaluation set, most used first, so a
swap puts a slot on a code the decoder has seen there (a code a slot never takes is an
off-distribution input that could inflate discrete CES). A slot with fewer than n_swap + 1
distinct codes is filled up with the codebook's global ranking (most used over all slots, then
unused codes), skipping the codes it already has; this is the only way a slot meets codes it never
takes, and ``slot_candidates`` reports which slots needed it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from vaecausal.adapters.protocol import DiscreteAdapter, model_device
from vaecausal.interventions.decoder_effects import (
    EffectSums,
    images_per_call,
    measure_decoder_change,
)
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.models.vq_vae import code_counts


def most_used_codes(codes: torch.Tensor, n: int, codebook_size: int) -> torch.Tensor:
    """The ``n`` most frequent of a codebook's codes, most used first (ties by code index).
    Unused codes rank last, so a collapsed codebook (one code used) still gives ``n`` codes."""
    counts = code_counts(codes, codebook_size)
    return torch.argsort(-counts, stable=True)[: min(n, codebook_size)]


class SlotCandidates(NamedTuple):
    """Each slot's swap candidates, (d, n), and whether its list reaches into the global
    ranking because the slot takes fewer than n distinct codes, (d,) bool."""

    codes: torch.Tensor
    fallback: torch.Tensor


def slot_candidates(codes: torch.Tensor, n: int, codebook_size: int) -> SlotCandidates:
    """The first min(n, codebook_size) candidates of each slot from the evaluation set's codes
    (N, d): the codes the slot takes, most used first (ties by global rank), then the global
    ranking of ``most_used_codes``."""
    ranking = most_used_codes(codes, codebook_size, codebook_size)
    per_slot = torch.stack([code_counts(slot, codebook_size) for slot in codes.T])  # (d, M)
    order = torch.argsort(-per_slot[:, ranking], dim=1, stable=True)
    return SlotCandidates(ranking[order[:, :n]], (per_slot > 0).sum(1) < n)


def swapped_codes(codes: torch.Tensor, candidates: torch.Tensor, n_swap: int) -> torch.Tensor:
    """(B, d, n_swap, d): [b, i, m] = codes[b] with slot i set to the m-th of slot i's
    ``candidates`` (d, M) that differs from codes[b, i]. Each slot's list must hold at least
    n_swap + 1 distinct codes."""
    batch, d = codes.shape
    differs = candidates[None] != codes[:, :, None]  # (B, d, M)
    order = torch.argsort((~differs).to(torch.int8), dim=-1, stable=True)[..., :n_swap]
    replacement = torch.gather(candidates.expand(batch, -1, -1), 2, order)  # (B, d, n_swap)
    out = codes[:, None, None].repeat(1, d, n_swap, 1)
    slot = torch.arange(d, device=codes.device)
    out[:, slot, :, slot] = replacement.permute(1, 0, 2)
    return out


@torch.no_grad()
def code_swap_effects(
    model: DiscreteAdapter,
    codes: np.ndarray,
    n_swap: int,
    decode_batch: int,
    oracle: FactorOracle | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray], SlotCandidates]:
    """(pixel effect norms (N, d, n_swap), mean factor and activation effects (per bootstrap
    replicate too, with ``weights`` (R, N)), the slots' candidates (n_swap + 1 per slot))."""
    all_codes = torch.as_tensor(codes, dtype=torch.long, device=model_device(model))
    embed = model.decoder_input_from_codes
    candidates = slot_candidates(all_codes, n_swap + 1, model.codebook_size)
    n_swap = min(n_swap, candidates.codes.shape[1] - 1)
    n, d = all_codes.shape
    per_call = images_per_call(decode_batch, d * n_swap)
    norms = np.empty((n, d, n_swap), dtype=np.float32)
    device = all_codes.device
    sums = EffectSums.over_codes(d, weights, device)
    for start in range(0, n, per_call):
        c = all_codes[start : start + per_call]
        changed = embed(swapped_codes(c, candidates.codes, n_swap))
        change = measure_decoder_change(model, embed(c), changed, oracle, sums, start=start)
        norms[start : start + len(c)] = change.cpu().numpy()
    return norms, sums.means(), candidates
