"""VQ-VAE code swaps: the right codes, never the code already there, effects measured."""

from __future__ import annotations

import numpy as np
import torch

from vaecausal.interventions.code_swaps import code_swap_effects, most_used_codes, swapped_codes
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
    norms, _ = code_swap_effects(model, codes, n_swap=2, decode_batch=16)
    assert norms.shape == (4, 3, 2)
    assert norms.min() > 0


def test_swapped_codes_replace_one_slot_by_other_candidates():
    codes = torch.tensor([[3, 5]])
    candidates = torch.tensor([3, 1, 5])
    swapped = swapped_codes(codes, candidates, 2)
    assert swapped.shape == (1, 2, 2, 2)
    assert swapped[0, 0].tolist() == [[1, 5], [5, 5]]  # slot 0: 3 -> 1, 3 -> 5
    assert swapped[0, 1].tolist() == [[3, 3], [3, 1]]  # slot 1: 5 -> 3, 5 -> 1


def test_code_swap_effects_are_positive_and_zero_for_an_ignored_slot():
    torch.manual_seed(0)
    model = place_network(VQVAE(1, 3, 2, 8), torch.device("cpu")).eval()
    with torch.no_grad():
        model.decoder.fc1[0].weight[:, 2:4] = 0.0  # slot 1's two embedding dims
    codes = np.random.default_rng(0).integers(0, 8, size=(10, 3))
    norms, means = code_swap_effects(model, codes, n_swap=3, decode_batch=16)
    assert norms.shape == (10, 3, 3)
    assert np.abs(norms[:, 1]).max() < 1e-6
    assert norms[:, [0, 2]].min() > 0
    assert means["activation_delta.decoder.fc1"].shape == (3, 256)
