"""The vector quantiser: nearest codes, straight-through gradients, codebook updates, usage."""

from __future__ import annotations

import math

import torch

from vaecausal.models.vq_vae import VQVAE, VectorQuantiser, VQVAEObjective, codebook_usage


def _quantiser() -> VectorQuantiser:
    quantiser = VectorQuantiser(codebook_size=3, embedding_dim=2)
    with torch.no_grad():
        quantiser.codebook.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        quantiser.initialised.fill_(True)  # a codebook set by hand: no data-dependent init
    return quantiser


def test_slots_snap_to_their_nearest_code():
    z_e = torch.tensor([[[0.9, 0.1], [0.1, 0.2], [-0.2, 0.8]]])
    straight, codes, z_q = _quantiser()(z_e)
    assert codes.tolist() == [[1, 0, 2]]
    torch.testing.assert_close(straight, z_q)


def test_gradient_passes_straight_through_to_the_encoder_output():
    z_e = torch.tensor([[[0.9, 0.1]]], requires_grad=True)
    straight, _, _ = _quantiser()(z_e)
    (straight * torch.tensor([2.0, 3.0])).sum().backward()
    torch.testing.assert_close(z_e.grad, torch.tensor([[[2.0, 3.0]]]))


def test_codebook_loss_moves_the_chosen_code_towards_the_encoder_output():
    torch.manual_seed(0)
    model = VQVAE(1, 2, 2, 4)
    objective = VQVAEObjective(commitment=0.25)
    x = torch.rand(8, 1, 64, 64)
    optimiser = torch.optim.SGD(model.quantiser.parameters(), lr=0.1)
    objective(model, x)  # the first training batch initialises the codebook
    before = model.quantiser.codebook.weight.detach().clone()
    with torch.no_grad():
        z_e = model.encode_slots(x)
        used = model.quantiser.codes(z_e).unique()
    terms = objective(model, x)
    terms.total.backward()
    optimiser.step()
    after = model.quantiser.codebook.weight.detach()
    moved = (after - before).norm(dim=1) > 0
    assert moved[used].all() and not moved[[i for i in range(4) if i not in used]].any()
    assert {"codebook", "commitment", "perplexity", "codebook_usage"} <= set(terms.logs)


def test_codebook_usage_and_perplexity():
    usage = codebook_usage(torch.tensor([[0, 1], [2, 3]]), codebook_size=8)
    assert usage["codebook_usage"].item() == 0.5
    assert abs(usage["perplexity"].item() - 4.0) < 1e-5  # four codes used equally
    collapsed = codebook_usage(torch.zeros(5, 3, dtype=torch.long), codebook_size=8)
    assert collapsed["perplexity"].item() == 1.0 and collapsed["codebook_usage"].item() == 1 / 8
    assert math.isfinite(collapsed["perplexity"].item())


def test_vq_vae_summary_and_decoding_shapes():
    model = VQVAE(3, 5, 4, 16)
    summary = model.summarise(torch.rand(2, 3, 64, 64))
    assert summary["latents"].shape == (2, 5, 4) and summary["codes"].shape == (2, 5)
    assert summary["metric_codes"].shape == (2, 20)
    assert model.decode_latents(summary["latents"]).shape == (2, 3, 64, 64)


def test_codebook_starts_on_encoder_outputs_and_dead_codes_restart():
    torch.manual_seed(0)
    quantiser = VectorQuantiser(codebook_size=6, embedding_dim=2, restart_every=2)
    z_e = torch.randn(16, 3, 2) + 5.0  # far from the random init around 0
    quantiser(z_e)
    assert quantiser.initialised and (quantiser.codebook.weight - 5.0).abs().max() < 4
    with torch.no_grad():
        quantiser.codebook.weight[0] = 100.0  # a code no slot will ever choose
    only_near = z_e[:1, :1]
    quantiser(only_near)
    quantiser(only_near)  # second batch since init: codes unused in both are restarted
    assert (quantiser.codebook.weight[0] - 100.0).abs().max() > 50
    assert int(quantiser.usage.sum()) == 0  # usage counting starts afresh


def test_a_loaded_quantiser_counts_on_from_its_checkpointed_batches():
    torch.manual_seed(0)
    z_e = torch.randn(16, 3, 2)
    trained = VectorQuantiser(codebook_size=6, embedding_dim=2, restart_every=3)
    for _ in range(3):  # initialisation, then two counted batches
        trained(z_e)
    assert int(trained.batches) == 2 and int(trained.usage.sum()) == 2 * 16 * 3
    loaded = VectorQuantiser(codebook_size=6, embedding_dim=2, restart_every=3)
    loaded(z_e)  # initialised on its own, then overwritten by the checkpoint
    loaded.load_state_dict(trained.state_dict())
    loaded(z_e)  # the third counted batch: a restart round, which resets usage
    assert int(loaded.batches) == 3 and int(loaded.usage.sum()) == 0


def test_quantiser_leaves_the_codebook_alone_in_evaluation_mode():
    quantiser = VectorQuantiser(codebook_size=4, embedding_dim=2).eval()
    before = quantiser.codebook.weight.detach().clone()
    quantiser(torch.randn(8, 2, 2) + 5.0)
    assert torch.equal(before, quantiser.codebook.weight) and not quantiser.initialised
