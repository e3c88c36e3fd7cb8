"""VQ-VAE code swaps: each slot's own codes, never the code already there, effects measured."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.interventions.code_swaps import (
    code_swap_effects,
    most_used_codes,
    slot_candidates,
    swapped_codes,
)
from vaecausal.models.device import place_network
from vaecausal.models.vq_vae import VQVAE


def test_most_used_codes_in_order():
    codes = torch.tensor([[3, 3, 1], [3, 1, 7]])
    assert most_used_codes(codes, 2, 8).tolist() == [3, 1]
    assert most_used_codes(codes, 5, 8).tolist() == [3, 1, 7, 0, 2]  # unused codes last


def test_a_collapsed_codebook_is_swapped_to_its_unused_codes():
    torch.manual_seed(0)
    model = place_network(VQVAE(1, 3, 2, 8), torch.device("cpu")).eval()
    codes = np.full((4, 3), 5)  # every slot of every image uses code 5
    norms, _, candidates = code_swap_effects(model, codes, n_swap=2, decode_batch=16)
    assert norms.shape == (4, 3, 2)
    assert norms.min() > 0
    assert candidates.fallback.all()  # one code per slot: every list is filled up


def test_swapped_codes_replace_one_slot_by_other_candidates():
    codes = torch.tensor([[3, 5]])
    candidates = torch.tensor([[3, 1, 5], [6, 5, 2]])  # slot 0's list, slot 1's list
    swapped = swapped_codes(codes, candidates, 2)
    assert swapped.shape == (1, 2, 2, 2)
    assert swapped[0, 0].tolist() == [[1, 5], [5, 5]]  # slot 0: 3 -> 1, 3 -> 5
    assert swapped[0, 1].tolist() == [[3, 6], [3, 2]]  # slot 1: 5 -> 6, 5 -> 2


def test_slot_candidates_are_the_slots_own_codes_most_used_first():
    # slot 0 takes 4 (x3), 2 (x2), 7; slot 1 takes 1 (x4), 0 (x2): too few for n = 3
    codes = torch.tensor([[4, 1], [4, 1], [4, 1], [2, 1], [2, 0], [7, 0]])
    candidates = slot_candidates(codes, 3, 8)
    assert candidates.codes[0].tolist() == [4, 2, 7]
    # slot 1 is filled up from the global ranking (1, 4, 0, 2, 7, ...) past the codes it has
    assert candidates.codes[1].tolist() == [1, 0, 4]
    assert candidates.fallback.tolist() == [False, True]


def test_swaps_only_use_codes_seen_in_the_slot_when_it_has_enough():
    torch.manual_seed(0)
    model = place_network(VQVAE(1, 3, 2, 16), torch.device("cpu")).eval()
    rng = np.random.default_rng(0)
    # disjoint code ranges per slot, four codes each (enough for 3 swaps); slot 2 has only two
    codes = np.stack(
        [rng.integers(0, 4, 40), rng.integers(4, 8, 40), rng.integers(12, 14, 40)], axis=1
    )
    _, _, candidates = code_swap_effects(model, codes, n_swap=3, decode_batch=64)
    assert candidates.fallback.tolist() == [False, False, True]
    swapped = swapped_codes(torch.as_tensor(codes), candidates.codes, 3)
    slot = np.arange(3)
    replaced = swapped[:, slot, :, slot].numpy()  # (3 slots, 40 images, 3 swaps)
    for i in (0, 1):
        assert set(replaced[i].ravel()) <= set(codes[:, i])
    assert set(codes[:, 2]) < set(replaced[2].ravel())  # filled up: codes from other slots


def test_code_swap_effects_are_positive_and_zero_for_an_ignored_slot():
    torch.manual_seed(0)
    model = place_network(VQVAE(1, 3, 2, 8), torch.device("cpu")).eval()
    with torch.no_grad():
        model.decoder.fc1[0].weight[:, 2:4] = 0.0  # slot 1's two embedding dims
    codes = np.random.default_rng(0).integers(0, 8, size=(10, 3))
    norms, means, _ = code_swap_effects(model, codes, n_swap=3, decode_batch=16)
    assert norms.shape == (10, 3, 3)
    assert np.abs(norms[:, 1]).max() < 1e-6
    assert norms[:, [0, 2]].min() > 0
    assert means["activation_delta.decoder.fc1"].shape == (3, 256)
